"""A generator of a realistic registry dataset: the pre-2025 directory and the 2025 rearrangement.

The output is two change sets in the registry's JSON format (plain dicts, lists, str, int and
None, ready for ``json.dumps``): a baseline that creates the whole pre-2025 directory, and the
change set of 2025-07-01 that rearranges it. Tests, demos and benchmarks use it to exercise the
registry at national scale without shipping a hand-typed file.

Changes are written bottom-up (communes and their level-4 units before districts, departments
before their province, a ministry's units before the ministry), so no unit is ever closed while
an active unit is still under it, although the registry only requires that of the end state.

What is fact (from /work/shared/domain/orgcodes.md and public record):

- the 63 provinces and centrally-run cities before 2025 and their Vietnamese names (Hue was the
  province "Thừa Thiên Huế"; it became a centrally-run city on 2025-01-01, which this dataset
  records as a rename in the 2025 change set);
- the provincial mergers of 2025 (the first name keeps its code, the others are closed) and the
  11 unchanged provinces, hence 34 provinces after;
- the totals: about 700 districts and 10,035 commune-level units before, no district level and
  3,321 commune-level units after (2,636 communes, 672 wards, 13 special zones);
- the names and provinces of the 13 special zones ("Đặc khu");
- the codes in ``KNOWN_CODES``: H41 Nghe An, H49 Quang Ninh, H53 Tay Ninh (seen in real packets)
  and G22 the Government Office; and that G04, G05, G07, G13, G23-G26, G34, G37 were closed and
  G38-G40 added in 2025.

What is illustrative (deterministically generated, never to be quoted as real data):

- every other H-code: the remaining provinces get the remaining numbers H01..H63 in
  alphabetical order of their names without diacritics (which happens to agree with the three
  known codes);
- every G-code except G22, the ministries' names behind them, their level-2 units, and which
  ministry each closed one was merged into;
- every department, district and commune below a province: their names, numbers, codes and how
  old communes were grouped into new ones (merges, kept communes, splits);
- the codes of the new communes: ``000.NN.MM.Hxx`` with a level-2 group MM in 50..99 that no
  district used (so a code is never reused); their explicit parent is the province, not the
  string prefix, as in real directory data;
- the Decision 20/2020 ``alt_code`` convention: the level-1 group first, then the non-zero
  groups downwards (``000.01.21.H29`` -> ``H29.21.01``);
- every e-mail address (``vanthu@<slug>.gov.vn``) and telephone number;
- the optional level-4 units (schools, health stations) added with ``extra_units``, and which
  successor a level-4 unit of a split commune is moved to (the first one).
"""

from __future__ import annotations

import json
import random
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

__all__ = [
    "BASELINE_EFFECTIVE",
    "KNOWN_CODES",
    "REARRANGEMENT_EFFECTIVE",
    "Dataset2025",
    "Facts",
    "build_dataset",
    "write_dataset",
]

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


@dataclass(frozen=True, slots=True)
class Facts:
    """Handy facts about a generated dataset, for tests and demos.

    ``counts`` holds: provinces_before/after/closed, districts_before/after,
    departments_before/after, communes_before/after, communes_created, communes_kept,
    communes_merged, communes_split, rural_communes_after, wards_after, special_zones_after,
    ministries_before/after, ministry_units_before, extra_units, units_before (every unit the
    baseline creates) and units_after (active units after the 2025 change set).
    """

    merged_provinces: Mapping[str, str]
    unchanged_provinces: tuple[str, ...]
    merged_communes: Mapping[str, str]
    split_communes: Mapping[str, tuple[str, ...]]
    closed_districts: tuple[str, ...]
    closed_ministries: Mapping[str, str]
    counts: Mapping[str, int]

    def to_json(self) -> JsonObject:
        """The facts as plain JSON values."""
        return {
            "merged_provinces": dict(self.merged_provinces),
            "unchanged_provinces": list(self.unchanged_provinces),
            "merged_communes": dict(self.merged_communes),
            "split_communes": {old: list(new) for old, new in self.split_communes.items()},
            "closed_districts": list(self.closed_districts),
            "closed_ministries": dict(self.closed_ministries),
            "counts": dict(self.counts),
        }


@dataclass(frozen=True, slots=True)
class Dataset2025:
    """The baseline change set, the 2025 change set and facts about them."""

    baseline: dict[str, Any]
    rearrangement: dict[str, Any]
    facts: Facts


def build_dataset(*, extra_units: int = 0, seed: int = 2025) -> Dataset2025:
    """Generate the dataset; the same arguments always give the same output."""
    if extra_units < 0:
        raise ValueError(f"extra_units must not be negative, got {extra_units}")
    if extra_units > _MAX_EXTRA_PER_COMMUNE * _COMMUNES_BEFORE:
        raise ValueError(
            f"extra_units can be at most {_MAX_EXTRA_PER_COMMUNE * _COMMUNES_BEFORE} "
            f"({_MAX_EXTRA_PER_COMMUNE} per commune), got {extra_units}"
        )
    rng = random.Random(seed)  # noqa: S311 -- reproducible sample data, not a secret
    ministries = _generate_ministries(rng)
    provinces = _generate_provinces(rng)
    _add_extra_units(provinces, extra_units)
    baseline = _ChangeSet(BASELINE_EFFECTIVE, BASELINE_REASON)
    for ministry in ministries:
        ministry.emit(baseline)
    for province in provinces:
        province.emit(baseline)
    for province in provinces:
        province.emit_extra_units(baseline)
    plans = _plan_communes(rng, provinces)
    rearrangement = _ChangeSet(REARRANGEMENT_EFFECTIVE, REARRANGEMENT_REASON)
    closed_ministries = _rearrange_ministries(rearrangement, ministries)
    merged_provinces: dict[str, str] = {}
    for plan in plans:
        plan.emit(rearrangement)
        merged_provinces.update((p.code, plan.kept.code) for p in plan.absorbed)
    facts = _facts(
        provinces=provinces,
        ministries=ministries,
        plans=plans,
        merged_provinces=merged_provinces,
        closed_ministries=closed_ministries,
        extra_units=extra_units,
        baseline=baseline,
        rearrangement=rearrangement,
    )
    return Dataset2025(baseline.to_json(), rearrangement.to_json(), facts)


def write_dataset(directory: Path, dataset: Dataset2025) -> list[Path]:
    """Write baseline.json, 2025-07-01.json and facts.json into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    documents = {
        "baseline.json": dataset.baseline,
        "2025-07-01.json": dataset.rearrangement,
        "facts.json": dataset.facts.to_json(),
    }
    paths = []
    for name, document in documents.items():
        path = directory / name
        path.write_text(json.dumps(document, ensure_ascii=False, indent=None), encoding="utf-8")
        paths.append(path)
    return paths


# --- codes, names and contact fields ------------------------------------------------------------


def _code(letter: str, number: int, y: int = 0, z: int = 0, v: int = 0) -> str:
    return f"{v:03d}.{z:02d}.{y:02d}.{letter}{number:02d}"


def _depth(code: str) -> int:
    v, z, y, _ = code.split(".")
    return 1 + sum(1 for group in (y, z, v) if group.strip("0"))


def _alt_code(code: str) -> str:
    """The Decision 20/2020 form by this dataset's illustrative convention."""
    v, z, y, m = code.split(".")
    return ".".join([m, *(group for group in (y, z, v) if group.strip("0"))])


def _fold(text: str) -> str:
    """``text`` without Vietnamese diacritics."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _slug(text: str) -> str:
    return "".join(ch for ch in _fold(text).lower() if ch.isalnum())


def _unit(
    code: str,
    name: str,
    parent: str | None,
    domain: str,
    phone: str,
    old_codes: Sequence[str] = (),
) -> JsonObject:
    unit: JsonObject = {
        "code": code,
        "name": name,
        "parent": parent,
        "level": _depth(code),
        "alt_code": _alt_code(code),
        "email": f"vanthu@{domain}.gov.vn",
        "phone": phone,
    }
    if old_codes:
        unit["old_codes"] = list(old_codes)
    return unit


class _Phones:
    """Illustrative landline numbers: an area code, then a running number per level-1 unit."""

    def __init__(self, area: str, first: int) -> None:
        self._area = area
        self._next = first

    def take(self) -> str:
        self._next += 1
        return f"{self._area} {self._next}"


class _PlaceNames:
    """Generated two-syllable place names, unique within one scope (a province)."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def reserve(self, name: str) -> bool:
        """Claim ``name``; False when it is already taken in this scope."""
        if name in self._used:
            return False
        self._used.add(name)
        return True

    def take(self) -> str:
        while True:
            first, second = self._rng.sample(_SYLLABLES, 2)
            if self.reserve(f"{first} {second}"):
                return f"{first} {second}"


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder method)."""
    scale = total / sum(weights)
    exact = [weight * scale for weight in weights]
    counts = [int(share) for share in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


# --- change sets --------------------------------------------------------------------------------


class _ChangeSet:
    """A change set being written, counting the units it creates and closes."""

    def __init__(self, effective: str, reason: str) -> None:
        self.effective = effective
        self.reason = reason
        self.changes: list[JsonObject] = []
        self.created = 0
        self.closed = 0

    def create(self, unit: JsonObject) -> None:
        self.changes.append({"op": "create", "unit": unit})
        self.created += 1

    def rename(self, code: str, name: str) -> None:
        self.changes.append({"op": "rename", "code": code, "name": name})

    def move(self, code: str, parent: str) -> None:
        self.changes.append({"op": "move", "code": code, "parent": parent})

    def merge(self, sources: Sequence[str], into: str) -> None:
        self.changes.append({"op": "merge", "from": list(sources), "into": into})
        self.closed += sum(1 for source in sources if source != into)

    def split(self, source: str, into: Sequence[str]) -> None:
        self.changes.append({"op": "split", "from": source, "into": list(into)})
        self.closed += 1

    def close(self, code: str) -> None:
        self.changes.append({"op": "close", "code": code})
        self.closed += 1

    def to_json(self) -> JsonObject:
        return {"effective": self.effective, "reason": self.reason, "changes": self.changes}


@dataclass(slots=True)
class _Child:
    """A level-2 unit of a ministry or a province, identified within its parent by its kind."""

    kind: str
    code: str
    name: str


def _consolidate(
    changes: _ChangeSet,
    parent: str,
    own: Sequence[_Child],
    absorbed: Sequence[Sequence[_Child]],
    name_under_parent: Callable[[str], str],
) -> int:
    """Merge the absorbed parents' children into ``parent``'s child of the same kind.

    When ``parent`` has no child of a kind, the first absorbed one is moved under it (and renamed)
    and the others of that kind are merged into it. Returns the number of children closed.
    """
    by_kind: dict[str, list[_Child]] = {child.kind: [child] for child in own}
    for children in absorbed:
        for child in children:
            by_kind.setdefault(child.kind, []).append(child)
    own_kinds = {child.kind for child in own}
    closed = 0
    for kind, children in by_kind.items():
        keeper = children[0]
        if kind not in own_kinds:
            changes.move(keeper.code, parent)
            new_name = name_under_parent(kind)
            if new_name != keeper.name:
                changes.rename(keeper.code, new_name)
        if len(children) > 1:
            changes.merge([child.code for child in children], keeper.code)
            closed += len(children) - 1
    return closed


# --- ministries ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Ministry:
    number: int
    slug: str
    name: str
    units: list[_Child] = field(default_factory=list)

    @property
    def code(self) -> str:
        return _code("G", self.number)

    def unit_name(self, kind: str) -> str:
        return f"{dict(_MINISTRY_UNIT_KINDS)[kind]}, {self.name}"

    def phones(self) -> _Phones:
        return _Phones("024", 38_000_000 + 100 * self.number)

    def emit(self, changes: _ChangeSet) -> None:
        phones = self.phones()
        changes.create(_unit(self.code, self.name, None, self.slug, phones.take()))
        for unit in self.units:
            domain = f"{unit.kind}.{self.slug}"
            changes.create(_unit(unit.code, unit.name, self.code, domain, phones.take()))


def _generate_ministries(rng: random.Random) -> list[_Ministry]:
    ministries = []
    for number, (slug, name) in _MINISTRIES.items():
        ministry = _Ministry(number, slug, name)
        for y, (kind, _) in enumerate(_MINISTRY_UNIT_KINDS[: rng.randint(3, 6)], start=1):
            code = _code("G", number, y)
            ministry.units.append(_Child(kind, code, ministry.unit_name(kind)))
        ministries.append(ministry)
    return ministries


def _rearrange_ministries(changes: _ChangeSet, ministries: Sequence[_Ministry]) -> dict[str, str]:
    by_number = {ministry.number: ministry for ministry in ministries}
    for number, (slug, name) in _NEW_MINISTRIES.items():
        ministry = _Ministry(number, slug, name)
        changes.create(_unit(ministry.code, name, None, slug, ministry.phones().take()))
        by_number[number] = ministry
    closed: dict[str, str] = {}
    for successor_number, predecessors in _MINISTRY_MERGERS.items():
        successor = by_number[successor_number]
        _consolidate(
            changes,
            successor.code,
            successor.units,
            [by_number[number].units for number in predecessors],
            successor.unit_name,
        )
        sources = [by_number[number].code for number in predecessors]
        if successor_number in _MINISTRIES:
            sources.insert(0, successor.code)
        changes.merge(sources, successor.code)
        closed.update((by_number[number].code, successor.code) for number in predecessors)
    return closed


# --- provinces, districts and communes before 2025 ----------------------------------------------


@dataclass(slots=True)
class _Commune:
    code: str
    kind: str  # WARD, COMMUNE or TOWNSHIP
    place: str
    domain: str
    extra_codes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.kind} {self.place}"


@dataclass(slots=True)
class _District:
    code: str
    name: str
    domain: str
    communes: list[_Commune] = field(default_factory=list)


@dataclass(slots=True)
class _Province:
    number: int
    short_name: str
    is_city: bool
    departments: list[_Child] = field(default_factory=list)
    districts: list[_District] = field(default_factory=list)
    extra_units: list[JsonObject] = field(default_factory=list)

    @property
    def code(self) -> str:
        return _code("H", self.number)

    @property
    def name(self) -> str:
        return f"Ủy ban nhân dân {self.kind_word} {self.short_name}"

    @property
    def kind_word(self) -> str:
        return "thành phố" if self.is_city else "tỉnh"

    @property
    def slug(self) -> str:
        return _slug(self.short_name)

    @property
    def communes(self) -> list[_Commune]:
        return [commune for district in self.districts for commune in district.communes]

    def department_name(self, kind: str) -> str:
        kind_name = next(name for _, slug, name, _ in _DEPARTMENT_KINDS if slug == kind)
        return f"{kind_name} {self.kind_word} {self.short_name}"

    def phones(self, series: int = 0) -> _Phones:
        """Numbers of this province; each change set draws from its own series."""
        return _Phones(f"0{200 + self.number}", 3_820_000 + 10_000 * series)

    def emit(self, changes: _ChangeSet) -> None:
        phones = self.phones()
        changes.create(_unit(self.code, self.name, None, self.slug, phones.take()))
        for department in self.departments:
            domain = f"{department.kind}.{self.slug}"
            changes.create(
                _unit(department.code, department.name, self.code, domain, phones.take())
            )
        for district in self.districts:
            changes.create(
                _unit(district.code, district.name, self.code, district.domain, phones.take())
            )
            for commune in district.communes:
                changes.create(
                    _unit(commune.code, commune.name, district.code, commune.domain, phones.take())
                )

    def emit_extra_units(self, changes: _ChangeSet) -> None:
        for unit in self.extra_units:
            changes.create(unit)


def _province_numbers() -> dict[str, int]:
    """H-numbers: the known ones, then the rest alphabetically (without diacritics)."""
    known = {name: int(code[-2:]) for code, name in KNOWN_CODES.items() if code[-3] == "H"}
    free = sorted(set(range(1, len(_PROVINCES) + 1)) - set(known.values()))
    others = sorted((name for name, _ in _PROVINCES if name not in known), key=_fold)
    return {**known, **dict(zip(others, free, strict=True))}


def _generate_provinces(rng: random.Random) -> list[_Province]:
    numbers = _province_numbers()
    provinces = sorted(
        (_Province(numbers[name], name, is_city) for name, is_city in _PROVINCES),
        key=lambda province: province.number,
    )
    for province in provinces:
        for y, kind, _, always in _DEPARTMENT_KINDS:
            if always or rng.random() < _OPTIONAL_DEPARTMENT_SHARE:
                code = _code("H", province.number, y)
                province.departments.append(_Child(kind, code, province.department_name(kind)))
    weights = [rng.uniform(0.6, 1.4) * (1.5 if p.is_city else 1.0) for p in provinces]
    district_counts = _apportion(_DISTRICTS_BEFORE, weights)
    district_kinds = [
        _district_kinds(rng, p, n) for p, n in zip(provinces, district_counts, strict=True)
    ]
    flat_kinds = [kind for kinds in district_kinds for kind in kinds]
    commune_weights = [
        rng.uniform(0.5, 1.5) * (0.8 if kind == "quận" else 1.0) for kind in flat_kinds
    ]
    commune_counts = iter(_apportion(_COMMUNES_BEFORE, commune_weights))
    for province, kinds in zip(provinces, district_kinds, strict=True):
        if len(kinds) > _LAST_DISTRICT_GROUP - _FIRST_DISTRICT_GROUP + 1:
            raise AssertionError(f"too many districts generated for {province.short_name}")
        names = _PlaceNames(rng)
        for y, kind in enumerate(kinds, start=_FIRST_DISTRICT_GROUP):
            place = names.take()
            district = _District(
                _code("H", province.number, y),
                f"Ủy ban nhân dân {kind} {place}",
                f"{_slug(place)}.{province.slug}",
            )
            count = next(commune_counts)
            for z in range(1, count + 1):
                commune_place = names.take()
                district.communes.append(
                    _Commune(
                        _code("H", province.number, y, z),
                        _commune_kind(rng, kind, z, count),
                        commune_place,
                        f"{_slug(commune_place)}.{district.domain}",
                    )
                )
            province.districts.append(district)
    return provinces


def _district_kinds(rng: random.Random, province: _Province, count: int) -> list[str]:
    if province.is_city:
        urban = ["quận"] * ((count * 9 + 19) // 20)
        towns = ["thị xã"] if rng.random() < 0.3 else []
    else:
        urban = ["thành phố"] + (["thành phố"] if rng.random() < 0.3 else [])
        towns = ["thị xã"] if rng.random() < 0.5 else []
    return [*urban, *towns, *["huyện"] * (count - len(urban) - len(towns))]


def _commune_kind(rng: random.Random, district_kind: str, z: int, count: int) -> str:
    if district_kind == "quận":
        return WARD
    if district_kind in ("thành phố", "thị xã"):
        return WARD if z <= count * 0.7 else COMMUNE
    return TOWNSHIP if z == 1 or rng.random() < 0.02 else COMMUNE


def _add_extra_units(provinces: Sequence[_Province], extra_units: int) -> None:
    """Spread ``extra_units`` level-4 units evenly over the communes, in commune order."""
    communes = [(p, c) for p in provinces for c in p.communes]
    for i, (province, commune) in enumerate(communes):
        count = (i + 1) * extra_units // len(communes) - i * extra_units // len(communes)
        for index in range(count):
            slug, kind_name = _EXTRA_UNIT_KINDS[index % len(_EXTRA_UNIT_KINDS)]
            ordinal = index // len(_EXTRA_UNIT_KINDS) + 1
            name = f"{kind_name} {commune.place}" + (f" số {ordinal}" if ordinal > 1 else "")
            code = f"{index + 1:03d}{commune.code[3:]}"
            domain = f"{slug}{ordinal}.{commune.domain}"
            province.extra_units.append(
                {
                    "code": code,
                    "name": name,
                    "parent": commune.code,
                    "level": 4,
                    "alt_code": _alt_code(code),
                    "email": f"vanthu@{domain}.gov.vn",
                }
            )
            commune.extra_codes.append(code)


# --- the 2025 rearrangement of communes ---------------------------------------------------------


@dataclass(slots=True)
class _Group:
    """Old communes that become one commune-level unit in 2025."""

    members: list[_Commune]
    keep: bool = False  # the first member keeps its code and absorbs the others
    special: bool = False
    ward: bool = False
    code: str = ""
    place: str = ""
    split_sources: list[_Commune] = field(default_factory=list)

    @property
    def name(self) -> str:
        kind = SPECIAL_ZONE if self.special else WARD if self.ward else COMMUNE
        return f"{kind} {self.place}"

    @property
    def absorbed(self) -> list[_Commune]:
        """The old communes this group closes with itself as successor."""
        return self.members[1:] if self.keep else self.members


@dataclass(slots=True)
class _Split:
    source: _Commune
    successors: tuple[_Group, _Group]


@dataclass(slots=True)
class _ProvincePlan:
    """How one province of 2025 is formed from its predecessors."""

    kept: _Province
    absorbed: list[_Province]
    groups: list[_Group] = field(default_factory=list)
    splits: list[_Split] = field(default_factory=list)
    departments_closed: int = 0

    @property
    def predecessors(self) -> list[_Province]:
        return [self.kept, *self.absorbed]

    def emit(self, changes: _ChangeSet) -> None:
        """Write the changes bottom-up: no unit is closed while an active unit is under it."""
        kept = self.kept
        if kept.short_name in _RENAMED_2025:
            changes.rename(kept.code, _RENAMED_2025[kept.short_name])
        phones = kept.phones(series=1)
        for group in self.groups:
            if not group.keep:
                old_codes = [c.code for c in group.members + group.split_sources]
                domain = f"{_slug(group.place)}.{kept.slug}"
                changes.create(
                    _unit(group.code, group.name, kept.code, domain, phones.take(), old_codes)
                )
        for group in self.groups:
            if group.keep:
                keeper = group.members[0]
                changes.move(keeper.code, kept.code)
                if group.name != keeper.name:
                    changes.rename(keeper.code, group.name)
            for commune in group.absorbed:
                for extra in commune.extra_codes:
                    changes.move(extra, group.code)
            if group.absorbed:
                changes.merge([c.code for c in group.members], group.code)
        for split in self.splits:
            for extra in split.source.extra_codes:
                changes.move(extra, split.successors[0].code)
            changes.split(split.source.code, [group.code for group in split.successors])
        for province in self.predecessors:
            for district in province.districts:
                changes.close(district.code)
        self.departments_closed = _consolidate(
            changes,
            kept.code,
            kept.departments,
            [province.departments for province in self.absorbed],
            kept.department_name,
        )
        if self.absorbed:
            changes.merge([province.code for province in self.predecessors], kept.code)


def _plan_communes(rng: random.Random, provinces: Sequence[_Province]) -> list[_ProvincePlan]:
    by_name = {province.short_name: province for province in provinces}
    merged = {names[0]: names[1:] for names in _MERGERS}
    absorbed_names = {name for names in _MERGERS for name in names[1:]}
    plans = [
        _ProvincePlan(p, [by_name[name] for name in merged.get(p.short_name, ())])
        for p in provinces
        if p.short_name not in absorbed_names
    ]
    old_counts = [sum(len(p.communes) for p in plan.predecessors) for plan in plans]
    for plan, target in zip(plans, _apportion(_COMMUNES_AFTER, old_counts), strict=True):
        _group_communes(rng, plan, target)
    _choose_wards(rng, plans)
    for index in sorted(rng.sample(range(len(plans)), _SPLIT_COUNT)):
        _choose_split(rng, plans[index])
    for plan in plans:
        _name_groups(rng, plan)
    return plans


def _group_communes(rng: random.Random, plan: _ProvincePlan, target: int) -> None:
    """Cut the province's old communes, in order, into ``target`` groups of 1..5."""
    old = [commune for province in plan.predecessors for commune in province.communes]
    if not target <= len(old) <= _MAX_GROUP * target:
        raise AssertionError(f"cannot group {len(old)} communes into {target}")
    sizes = [1] * target
    remaining = len(old) - target
    while remaining:
        i = rng.randrange(target)
        if sizes[i] < _MAX_GROUP:
            sizes[i] += 1
            remaining -= 1
    start = 0
    for size in sizes:
        plan.groups.append(_Group(old[start : start + size]))
        start += size
    specials = len(_SPECIAL_ZONES.get(plan.kept.short_name, ()))
    for group in plan.groups:
        if len(group.members) == 1:
            group.keep = True
        elif specials:
            group.special = True
            specials -= 1
        else:
            group.keep = rng.random() < _KEEP_ABSORBING_SHARE


def _choose_wards(rng: random.Random, plans: Sequence[_ProvincePlan]) -> None:
    """The most urban groups become the 672 wards; the others are communes."""
    weight = {WARD: 1.0, TOWNSHIP: 0.5, COMMUNE: 0.0}
    ranked = []
    for plan in plans:
        for group in plan.groups:
            if not group.special:
                urban = sum(weight[c.kind] for c in group.members) / len(group.members)
                ranked.append((-urban, rng.random(), group))
    ranked.sort(key=lambda entry: entry[:2])
    for _, _, group in ranked[:_WARDS_AFTER]:
        group.ward = True


def _choose_split(rng: random.Random, plan: _ProvincePlan) -> None:
    """Split one old commune between two neighbouring new communes."""
    groups = plan.groups
    start = rng.randrange(len(groups) - 1)
    for offset in range(len(groups) - 1):
        i = (start + offset) % (len(groups) - 1)
        first, second = groups[i], groups[i + 1]
        if not first.keep and not second.keep and len(first.members) >= 3:
            source = first.members.pop()
            first.split_sources.append(source)
            second.split_sources.append(source)
            plan.splits.append(_Split(source, (first, second)))
            return
    raise AssertionError(f"no commune to split in {plan.kept.short_name}")


def _name_groups(rng: random.Random, plan: _ProvincePlan) -> None:
    """Give every group its 2025 code and a name unique within the province."""
    names = _PlaceNames(rng)
    zones = iter(_SPECIAL_ZONES.get(plan.kept.short_name, ()))
    for group in plan.groups:
        if group.special:
            group.place = next(zones)
            names.reserve(group.place)
    for group in plan.groups:
        if group.keep:
            keeper = group.members[0]
            group.code = keeper.code
            group.place = keeper.place if names.reserve(keeper.place) else names.take()
    created = 0
    for group in plan.groups:
        if not group.keep:
            y = _FIRST_NEW_COMMUNE_GROUP + created // 99
            group.code = _code("H", plan.kept.number, y, 1 + created % 99)
            created += 1
            if not group.special:
                group.place = names.take()


# --- facts --------------------------------------------------------------------------------------


def _facts(
    *,
    provinces: Sequence[_Province],
    ministries: Sequence[_Ministry],
    plans: Sequence[_ProvincePlan],
    merged_provinces: Mapping[str, str],
    closed_ministries: Mapping[str, str],
    extra_units: int,
    baseline: _ChangeSet,
    rearrangement: _ChangeSet,
) -> Facts:
    groups = [group for plan in plans for group in plan.groups]
    merged_communes = {c.code: g.code for g in groups for c in g.absorbed}
    split_communes = {
        s.source.code: tuple(g.code for g in s.successors) for plan in plans for s in plan.splits
    }
    closed_districts = tuple(d.code for p in provinces for d in p.districts)
    departments_before = sum(len(p.departments) for p in provinces)
    counts = {
        "provinces_before": len(provinces),
        "provinces_after": len(plans),
        "provinces_closed": len(merged_provinces),
        "districts_before": len(closed_districts),
        "districts_after": 0,
        "departments_before": departments_before,
        "departments_after": departments_before - sum(p.departments_closed for p in plans),
        "communes_before": sum(len(p.communes) for p in provinces),
        "communes_after": len(groups),
        "communes_created": sum(1 for g in groups if not g.keep),
        "communes_kept": sum(1 for g in groups if g.keep),
        "communes_merged": len(merged_communes),
        "communes_split": len(split_communes),
        "rural_communes_after": sum(1 for g in groups if not g.special and not g.ward),
        "wards_after": sum(1 for g in groups if g.ward),
        "special_zones_after": sum(1 for g in groups if g.special),
        "ministries_before": len(ministries),
        "ministries_after": len(ministries) - len(closed_ministries) + len(_NEW_MINISTRIES),
        "ministry_units_before": sum(len(m.units) for m in ministries),
        "extra_units": extra_units,
        "units_before": baseline.created,
        "units_after": baseline.created + rearrangement.created - rearrangement.closed,
    }
    return Facts(
        merged_provinces=MappingProxyType(dict(merged_provinces)),
        unchanged_provinces=tuple(plan.kept.code for plan in plans if not plan.absorbed),
        merged_communes=MappingProxyType(merged_communes),
        split_communes=MappingProxyType(split_communes),
        closed_districts=closed_districts,
        closed_ministries=MappingProxyType(dict(closed_ministries)),
        counts=MappingProxyType(counts),
    )
