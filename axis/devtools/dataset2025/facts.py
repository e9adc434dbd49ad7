"""What the generated dataset takes as given: the known codes and dates, the provinces and
their 2025 mergers, the special zones, the ministries, the kinds of units and the syllables of
generated names (see the package docstring for which of them are facts)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

JsonObject = dict[str, Any]

BASELINE_EFFECTIVE: Final = "2020-01-01T00:00:00+07:00"
BASELINE_REASON: Final = "Baseline directory before the 2025 rearrangement (generated)"
REARRANGEMENT_EFFECTIVE: Final = "2025-07-01T00:00:00+07:00"
REARRANGEMENT_REASON: Final = "Resolution 202/2025/QH15 and related resolutions (generated)"

#: The only codes in this dataset that are facts; every other code is illustrative.
KNOWN_CODES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "000.00.00.G22": "Văn phòng Chính phủ",
        "000.00.00.H41": "Nghệ An",
        "000.00.00.H49": "Quảng Ninh",
        "000.00.00.H53": "Tây Ninh",
    }
)

_DISTRICTS_BEFORE: Final = 705
_COMMUNES_BEFORE: Final = 10_035
_COMMUNES_AFTER: Final = 3_321
_WARDS_AFTER: Final = 672
_SPLIT_COUNT: Final = 8
_MAX_GROUP: Final = 5  # at most this many old communes form one new commune
_KEEP_ABSORBING_SHARE: Final = 0.06
_FIRST_DISTRICT_GROUP: Final = 21  # level-2 groups 01..20 are departments, 21..49 districts
_LAST_DISTRICT_GROUP: Final = 49
_FIRST_NEW_COMMUNE_GROUP: Final = 50  # level-2 groups 50..99 hold the new communes of 2025

# (name, centrally-run city?) for the 63 provinces before 2025.
_PROVINCES: Final[tuple[tuple[str, bool], ...]] = (
    ("An Giang", False),
    ("Bà Rịa - Vũng Tàu", False),
    ("Bạc Liêu", False),
    ("Bắc Giang", False),
    ("Bắc Kạn", False),
    ("Bắc Ninh", False),
    ("Bến Tre", False),
    ("Bình Dương", False),
    ("Bình Định", False),
    ("Bình Phước", False),
    ("Bình Thuận", False),
    ("Cà Mau", False),
    ("Cao Bằng", False),
    ("Cần Thơ", True),
    ("Đà Nẵng", True),
    ("Đắk Lắk", False),
    ("Đắk Nông", False),
    ("Điện Biên", False),
    ("Đồng Nai", False),
    ("Đồng Tháp", False),
    ("Gia Lai", False),
    ("Hà Giang", False),
    ("Hà Nam", False),
    ("Hà Nội", True),
    ("Hà Tĩnh", False),
    ("Hải Dương", False),
    ("Hải Phòng", True),
    ("Hậu Giang", False),
    ("Hòa Bình", False),
    ("Hồ Chí Minh", True),
    ("Hưng Yên", False),
    ("Khánh Hòa", False),
    ("Kiên Giang", False),
    ("Kon Tum", False),
    ("Lai Châu", False),
    ("Lâm Đồng", False),
    ("Lạng Sơn", False),
    ("Lào Cai", False),
    ("Long An", False),
    ("Nam Định", False),
    ("Nghệ An", False),
    ("Ninh Bình", False),
    ("Ninh Thuận", False),
    ("Phú Thọ", False),
    ("Phú Yên", False),
    ("Quảng Bình", False),
    ("Quảng Nam", False),
    ("Quảng Ngãi", False),
    ("Quảng Ninh", False),
    ("Quảng Trị", False),
    ("Sóc Trăng", False),
    ("Sơn La", False),
    ("Tây Ninh", False),
    ("Thái Bình", False),
    ("Thái Nguyên", False),
    ("Thanh Hóa", False),
    ("Thừa Thiên Huế", False),
    ("Tiền Giang", False),
    ("Trà Vinh", False),
    ("Tuyên Quang", False),
    ("Vĩnh Long", False),
    ("Vĩnh Phúc", False),
    ("Yên Bái", False),
)

# The provincial mergers of 2025 as listed in orgcodes.md; the first name keeps its code.
_MERGERS: Final[tuple[tuple[str, ...], ...]] = (
    ("Tuyên Quang", "Hà Giang"),
    ("Lào Cai", "Yên Bái"),
    ("Thái Nguyên", "Bắc Kạn"),
    ("Phú Thọ", "Vĩnh Phúc", "Hòa Bình"),
    ("Bắc Ninh", "Bắc Giang"),
    ("Hưng Yên", "Thái Bình"),
    ("Hải Phòng", "Hải Dương"),
    ("Ninh Bình", "Hà Nam", "Nam Định"),
    ("Quảng Trị", "Quảng Bình"),
    ("Đà Nẵng", "Quảng Nam"),
    ("Quảng Ngãi", "Kon Tum"),
    ("Gia Lai", "Bình Định"),
    ("Khánh Hòa", "Ninh Thuận"),
    ("Lâm Đồng", "Đắk Nông", "Bình Thuận"),
    ("Đắk Lắk", "Phú Yên"),
    ("Hồ Chí Minh", "Bình Dương", "Bà Rịa - Vũng Tàu"),
    ("Đồng Nai", "Bình Phước"),
    ("Tây Ninh", "Long An"),
    ("Cần Thơ", "Sóc Trăng", "Hậu Giang"),
    ("Vĩnh Long", "Bến Tre", "Trà Vinh"),
    ("Đồng Tháp", "Tiền Giang"),
    ("Cà Mau", "Bạc Liêu"),
    ("An Giang", "Kiên Giang"),
)

_RENAMED_2025: Final[Mapping[str, str]] = MappingProxyType(
    {"Thừa Thiên Huế": "Ủy ban nhân dân thành phố Huế"}
)

# The 13 special zones of 2025 by (post-2025) province.
_SPECIAL_ZONES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "Quảng Ninh": ("Vân Đồn", "Cô Tô"),
        "Hải Phòng": ("Cát Hải", "Bạch Long Vĩ"),
        "Quảng Trị": ("Cồn Cỏ",),
        "Đà Nẵng": ("Hoàng Sa",),
        "Quảng Ngãi": ("Lý Sơn",),
        "Khánh Hòa": ("Trường Sa",),
        "Lâm Đồng": ("Phú Quý",),
        "Hồ Chí Minh": ("Côn Đảo",),
        "An Giang": ("Phú Quốc", "Kiên Hải", "Thổ Châu"),
    }
)

# Department kinds: (level-2 group, e-mail slug, name, present in every province?).
_DEPARTMENT_KINDS: Final[tuple[tuple[int, str, str, bool], ...]] = (
    (1, "vpubnd", "Văn phòng Ủy ban nhân dân", True),
    (2, "snv", "Sở Nội vụ", True),
    (3, "stp", "Sở Tư pháp", True),
    (4, "skhdt", "Sở Kế hoạch và Đầu tư", True),
    (5, "stc", "Sở Tài chính", True),
    (6, "sct", "Sở Công Thương", True),
    (7, "snnptnt", "Sở Nông nghiệp và Phát triển nông thôn", True),
    (8, "sgtvt", "Sở Giao thông vận tải", True),
    (9, "sxd", "Sở Xây dựng", True),
    (10, "stnmt", "Sở Tài nguyên và Môi trường", True),
    (11, "stttt", "Sở Thông tin và Truyền thông", True),
    (12, "sldtbxh", "Sở Lao động - Thương binh và Xã hội", True),
    (13, "svhttdl", "Sở Văn hóa, Thể thao và Du lịch", True),
    (14, "skhcn", "Sở Khoa học và Công nghệ", True),
    (15, "sgddt", "Sở Giáo dục và Đào tạo", True),
    (16, "syt", "Sở Y tế", True),
    (17, "thanhtra", "Thanh tra", True),
    (18, "sngv", "Sở Ngoại vụ", False),
    (19, "bdt", "Ban Dân tộc", False),
    (20, "sdl", "Sở Du lịch", False),
)
_OPTIONAL_DEPARTMENT_SHARE: Final = 0.4

# Ministries and government agencies before 2025: number -> (e-mail slug, name).
_MINISTRIES: Final[Mapping[int, tuple[str, str]]] = MappingProxyType(
    {
        1: ("mod", "Bộ Quốc phòng"),
        2: ("bocongan", "Bộ Công an"),
        3: ("mofa", "Bộ Ngoại giao"),
        4: ("mpi", "Bộ Kế hoạch và Đầu tư"),
        5: ("mt", "Bộ Giao thông vận tải"),
        6: ("moj", "Bộ Tư pháp"),
        7: ("monre", "Bộ Tài nguyên và Môi trường"),
        8: ("mof", "Bộ Tài chính"),
        9: ("moit", "Bộ Công Thương"),
        10: ("moc", "Bộ Xây dựng"),
        11: ("moha", "Bộ Nội vụ"),
        12: ("moh", "Bộ Y tế"),
        13: ("mard", "Bộ Nông nghiệp và Phát triển nông thôn"),
        14: ("moet", "Bộ Giáo dục và Đào tạo"),
        15: ("bvhttdl", "Bộ Văn hóa, Thể thao và Du lịch"),
        16: ("sbv", "Ngân hàng Nhà nước Việt Nam"),
        17: ("thanhtra", "Thanh tra Chính phủ"),
        18: ("vov", "Đài Tiếng nói Việt Nam"),
        19: ("vtv", "Đài Truyền hình Việt Nam"),
        20: ("vnanet", "Thông tấn xã Việt Nam"),
        21: ("vast", "Viện Hàn lâm Khoa học và Công nghệ Việt Nam"),
        22: ("chinhphu", "Văn phòng Chính phủ"),
        23: ("mic", "Bộ Thông tin và Truyền thông"),
        24: ("most", "Bộ Khoa học và Công nghệ"),
        25: ("molisa", "Bộ Lao động - Thương binh và Xã hội"),
        26: ("ubdt", "Ủy ban Dân tộc"),
        27: ("vass", "Viện Hàn lâm Khoa học xã hội Việt Nam"),
        28: ("hcma", "Học viện Chính trị quốc gia Hồ Chí Minh"),
        29: ("baohiemxahoi", "Bảo hiểm xã hội Việt Nam"),
        30: ("vnu", "Đại học Quốc gia Hà Nội"),
        31: ("vnuhcm", "Đại học Quốc gia Thành phố Hồ Chí Minh"),
        32: ("bqllang", "Ban Quản lý Lăng Chủ tịch Hồ Chí Minh"),
        33: ("bcy", "Ban Cơ yếu Chính phủ"),
        34: ("cmsc", "Ủy ban Quản lý vốn nhà nước tại doanh nghiệp"),
        35: ("napa", "Học viện Hành chính Quốc gia"),
        36: ("thiduakhenthuong", "Ban Thi đua - Khen thưởng Trung ương"),
        37: ("btgcp", "Ban Tôn giáo Chính phủ"),
    }
)
_NEW_MINISTRIES: Final[Mapping[int, tuple[str, str]]] = MappingProxyType(
    {
        38: ("mae", "Bộ Nông nghiệp và Môi trường"),
        39: ("bdttg", "Bộ Dân tộc và Tôn giáo"),
        40: ("mst", "Bộ Khoa học và Công nghệ"),
    }
)
# Successor number -> the closed ministries merged into it (illustrative mapping).
_MINISTRY_MERGERS: Final[Mapping[int, tuple[int, ...]]] = MappingProxyType(
    {8: (4, 34), 10: (5,), 11: (25,), 38: (7, 13), 39: (26, 37), 40: (23, 24)}
)
# Level-2 unit kinds of a ministry: (e-mail slug, name); the first few of them exist.
_MINISTRY_UNIT_KINDS: Final[tuple[tuple[str, str], ...]] = (
    ("vp", "Văn phòng"),
    ("vtccb", "Vụ Tổ chức cán bộ"),
    ("vpc", "Vụ Pháp chế"),
    ("tt", "Thanh tra"),
    ("vkhtc", "Vụ Kế hoạch - Tài chính"),
    ("vhtqt", "Vụ Hợp tác quốc tế"),
)

# Level-4 unit kinds added by extra_units: (e-mail slug, name).
_EXTRA_UNIT_KINDS: Final[tuple[tuple[str, str], ...]] = (
    ("mn", "Trường Mầm non"),
    ("th", "Trường Tiểu học"),
    ("thcs", "Trường Trung học cơ sở"),
    ("tyt", "Trạm Y tế"),
)
_MAX_EXTRA_PER_COMMUNE: Final = 999  # the level-4 group has three digits

_SYLLABLES: Final[tuple[str, ...]] = (
    "An",
    "Bình",
    "Hòa",
    "Phú",
    "Tân",
    "Long",
    "Thạnh",
    "Hưng",
    "Phước",
    "Đông",
    "Tây",
    "Nam",
    "Bắc",
    "Trung",
    "Thành",
    "Vĩnh",
    "Quang",
    "Minh",
    "Thịnh",
    "Xuân",
    "Hải",
    "Sơn",
    "Lộc",
    "Mỹ",
    "Hiệp",
    "Thuận",
    "Đức",
    "Phong",
    "Yên",
    "Cát",
    "Hồng",
    "Lạc",
    "Thái",
    "Kim",
    "Ngọc",
    "Lợi",
    "Tiến",
    "Nghĩa",
    "Hậu",
    "Khánh",
    "Phúc",
    "Trường",
    "Thiện",
    "Hà",
    "Lâm",
    "Định",
    "Gia",
    "Châu",
    "Cẩm",
    "Điền",
    "Lương",
    "Mai",
    "Quý",
    "Tường",
    "Vinh",
    "Đạo",
    "Hội",
    "Lập",
    "Thọ",
    "Tú",
    "Văn",
    "Việt",
    "Tự",
    "Hạnh",
)

WARD: Final = "Phường"
COMMUNE: Final = "Xã"
TOWNSHIP: Final = "Thị trấn"
SPECIAL_ZONE: Final = "Đặc khu"
