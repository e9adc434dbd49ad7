"""The dashboard's words, in Vietnamese (the default: clerks work in it) and English.

Templates read labels by key (`t.search`), so a key missing from one language fails a test
(`StrictUndefined`) instead of showing an empty cell. Phases, events and status codes have
their own tables, keyed by the values stored in tracking.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

Lang = Literal["vi", "en"]
LANGS: Final[tuple[Lang, ...]] = ("vi", "en")
DEFAULT: Final[Lang] = "vi"

VI: Final[dict[str, str]] = {
    "app": "Trục liên thông văn bản",
    "dashboard": "Bảng theo dõi văn thư",
    "login": "Đăng nhập",
    "logout": "Đăng xuất",
    "client_id": "Mã tài khoản",
    "secret": "Mật khẩu (khóa bí mật)",
    "login_failed": "Mã tài khoản hoặc mật khẩu không đúng, hoặc tài khoản đã bị khóa.",
    "login_expired": "Phiên làm việc đã hết hạn, xin đăng nhập lại.",
    "login_throttled": "Đăng nhập sai quá nhiều lần. Xin thử lại sau {minutes} phút.",
    "login_certificate": (
        "Tài khoản này chỉ đăng nhập được qua HTTPS với chứng thư số máy khách đã đăng ký."
    ),
    "csrf_failed": "Biểu mẫu đã hết hạn, xin gửi lại.",
    "forbidden": "Không có quyền truy cập",
    "forbidden_text": "Tài khoản này không có vai trò văn thư (clerk) hay vận hành (operator).",
    "not_found": "Không tìm thấy",
    "not_found_text": "Không có văn bản này, hoặc tài khoản không được xem văn bản này.",
    "signed_in_as": "Đăng nhập với",
    "all_codes": "tất cả đơn vị",
    "search": "Tìm kiếm",
    "search_title": "Tìm văn bản",
    "document_id": "Mã định danh văn bản (DocumentId)",
    "document_id_hint": "đúng hoặc phần đầu",
    "subject": "Trích yếu",
    "subject_hint": "chứa cụm từ, không phân biệt hoa thường",
    "sender": "Đơn vị gửi",
    "recipient": "Đơn vị nhận",
    "code_hint": "mã định danh, ví dụ 000.00.00.H41",
    "submit_search": "Tìm",
    "results": "Kết quả",
    "no_results": "Không có văn bản phù hợp.",
    "notation": "Số, ký hiệu",
    "submitted_at": "Thời điểm gửi",
    "recipients": "Nơi nhận",
    "previous": "Trang trước",
    "next": "Trang sau",
    "page": "Trang",
    "message": "Văn bản",
    "message_id": "Mã gói tin",
    "kind": "Loại gói tin",
    "timelines": "Diễn biến theo từng nơi nhận",
    "addressed_to": "Gửi đến mã",
    "redirected_to": "chuyển hướng đến",
    "phase": "Tình trạng chuyển",
    "status": "Trạng thái xử lý",
    "attempts": "Số lần gửi",
    "last_error": "Lỗi gần nhất",
    "time": "Thời gian (UTC+7)",
    "event": "Sự kiện",
    "detail": "Chi tiết",
    "no_events": "Chưa có sự kiện.",
    "ignored": "không làm thay đổi tình trạng",
    "stuck": "Chậm xử lý",
    "stuck_title": "Văn bản chậm: chưa xong và không có tiến triển",
    "hours": "Không tiến triển quá (giờ)",
    "failed": "Gửi lỗi",
    "failed_title": "Văn bản gửi không thành công",
    "report": "Báo cáo",
    "report_title": "Số liệu theo đơn vị",
    "from": "Từ ngày",
    "to": "Đến ngày",
    "filter": "Lọc",
    "updated_at": "Cập nhật lần cuối",
    "waiting": "Đã chờ",
    "none_found": "Không có mục nào.",
    "agency": "Đơn vị",
    "as_sender": "Văn bản đã gửi",
    "as_recipient": "Văn bản đến",
    "sent": "Đã gửi",
    "delivered": "Đã đến nơi nhận",
    "pending": "Đang chuyển",
    "failed_count": "Lỗi",
    "median_accepted": "Trung vị đến khi tiếp nhận (03), phút",
    "received": "Số văn bản đến",
    "median_accept": "Trung vị tiếp nhận (03), phút",
    "report_note": (
        "Tính trên các văn bản gửi trong khoảng thời gian đã chọn; mỗi nơi nhận được tính "
        "một lần. Thời gian tiếp nhận tính từ lúc gửi đến trạng thái 03 đầu tiên."
    ),
    "invalid_input": "Giá trị không hợp lệ, đã dùng giá trị mặc định",
    "language": "Ngôn ngữ",
    "document": "Văn bản",
    "status_packet": "Gói trạng thái",
    "hours_unit": "giờ",
    "certificates": "Chứng thư số",
    "certificates_title": "Chứng thư số sắp hết hạn",
    "certificates_note": (
        "Chứng thư số trong kho tin cậy của trục hết hạn trong {days} ngày tới hoặc đã hết hạn "
        "(chưa bị thu hồi), sớm nhất trước."
    ),
    "expires": "Hết hạn",
    "days_left": "Còn (ngày)",
    "expired": "Đã hết hạn",
    "certificate_kind": "Loại",
    "kind_authority": "Tổ chức cấp chứng thư",
    "kind_authorization": "Chứng thư ký số của đơn vị",
    "serial": "Số hiệu",
    "certificate_subject": "Chủ thể",
}

EN: Final[dict[str, str]] = {
    "app": "Document interconnection axis",
    "dashboard": "Clerks' dashboard",
    "login": "Sign in",
    "logout": "Sign out",
    "client_id": "Client id",
    "secret": "Password (secret)",
    "login_failed": "Wrong client id or password, or the client is disabled.",
    "login_expired": "The session has expired; please sign in again.",
    "login_throttled": "Too many failed sign-ins. Please try again in {minutes} minute(s).",
    "login_certificate": (
        "This client signs in only over HTTPS with its registered client certificate."
    ),
    "csrf_failed": "The form has expired; please send it again.",
    "forbidden": "Access denied",
    "forbidden_text": "This client has neither the clerk nor the operator role.",
    "not_found": "Not found",
    "not_found_text": "No such document, or this client may not see it.",
    "signed_in_as": "Signed in as",
    "all_codes": "all agencies",
    "search": "Search",
    "search_title": "Find a document",
    "document_id": "Document identifier (DocumentId)",
    "document_id_hint": "exact or its beginning",
    "subject": "Subject",
    "subject_hint": "contains the words, any case",
    "sender": "Sender",
    "recipient": "Recipient",
    "code_hint": "organization code, e.g. 000.00.00.H41",
    "submit_search": "Search",
    "results": "Results",
    "no_results": "No matching document.",
    "notation": "Number and notation",
    "submitted_at": "Sent at",
    "recipients": "Recipients",
    "previous": "Previous page",
    "next": "Next page",
    "page": "Page",
    "message": "Document",
    "message_id": "Message id",
    "kind": "Packet kind",
    "timelines": "Timeline per recipient",
    "addressed_to": "Addressed to",
    "redirected_to": "redirected to",
    "phase": "Delivery",
    "status": "Handling status",
    "attempts": "Attempts",
    "last_error": "Last error",
    "time": "Time (UTC+7)",
    "event": "Event",
    "detail": "Detail",
    "no_events": "No events yet.",
    "ignored": "did not change the state",
    "stuck": "Stuck",
    "stuck_title": "Stuck deliveries: unfinished and without progress",
    "hours": "No progress for more than (hours)",
    "failed": "Failed",
    "failed_title": "Failed deliveries",
    "report": "Report",
    "report_title": "Figures per agency",
    "from": "From",
    "to": "To",
    "filter": "Filter",
    "updated_at": "Last change",
    "waiting": "Waiting",
    "none_found": "Nothing to show.",
    "agency": "Agency",
    "as_sender": "Documents sent",
    "as_recipient": "Documents received",
    "sent": "Sent",
    "delivered": "Delivered",
    "pending": "Pending",
    "failed_count": "Failed",
    "median_accepted": "Median time to acceptance (03), minutes",
    "received": "Received",
    "median_accept": "Median time to accept (03), minutes",
    "report_note": (
        "Counts the documents sent in the chosen period, each recipient once. Acceptance time "
        "runs from sending to the first status 03."
    ),
    "invalid_input": "Invalid value, the default was used",
    "language": "Language",
    "document": "Document",
    "status_packet": "Status packet",
    "hours_unit": "hours",
    "certificates": "Certificates",
    "certificates_title": "Certificates expiring soon",
    "certificates_note": (
        "Certificates of the node's trust store that expire within {days} days or have expired "
        "(and are not revoked), soonest first."
    ),
    "expires": "Expires",
    "days_left": "Days left",
    "expired": "Expired",
    "certificate_kind": "Kind",
    "kind_authority": "Certificate authority",
    "kind_authorization": "Agency signing certificate",
    "serial": "Serial",
    "certificate_subject": "Subject",
}

PHASES: Final[dict[Lang, dict[str, str]]] = {
    "vi": {
        "queued": "Đang chờ chuyển",
        "retrying": "Đang thử gửi lại",
        "delivered": "Đã đến hộp thư",
        "fetched": "Đã tải về",
        "acknowledged": "Đã xác nhận nhận",
        "failed": "Thất bại",
        "dead": "Không chuyển được",
        "rerouted": "Đã chuyển tiếp cho đơn vị kế thừa",
    },
    "en": {
        "queued": "Queued",
        "retrying": "Retrying",
        "delivered": "Delivered",
        "fetched": "Fetched",
        "acknowledged": "Acknowledged",
        "failed": "Failed",
        "dead": "Dead (retries exhausted)",
        "rerouted": "Re-routed to the successor",
    },
}

EVENTS: Final[dict[Lang, dict[str, str]]] = {
    "vi": {
        "unknown": "Sự kiện khác",
        "accepted": "Trục tiếp nhận",
        "routed": "Đã định tuyến",
        "redirected": "Chuyển hướng",
        "rejected": "Bị từ chối",
        "queued": "Xếp hàng chờ chuyển",
        "delivered": "Đã đến hộp thư",
        "fetched": "Đơn vị nhận đã tải về",
        "acknowledged": "Đơn vị nhận đã xác nhận",
        "status": "Trạng thái",
        "retry_scheduled": "Hẹn gửi lại",
        "failed": "Thất bại",
        "dead_lettered": "Chuyển vào hàng lỗi",
        "replayed": "Gửi lại (vận hành)",
        "held_back": "Tạm hoãn (đầu nhận đang lỗi, chưa gọi)",
        "rerouted": "Chuyển tiếp (mã đơn vị đã đóng)",
    },
    "en": {
        "unknown": "Other event",
        "accepted": "Accepted by the axis",
        "routed": "Routed",
        "redirected": "Redirected",
        "rejected": "Rejected",
        "queued": "Queued",
        "delivered": "Delivered to the inbox",
        "fetched": "Fetched by the recipient",
        "acknowledged": "Acknowledged by the recipient",
        "status": "Status",
        "retry_scheduled": "Retry scheduled",
        "failed": "Failed",
        "dead_lettered": "Dead-lettered",
        "replayed": "Replayed (operator)",
        "held_back": "Held back (endpoint failing; no call made)",
        "rerouted": "Re-routed (the code closed on the way)",
    },
}

STATUSES: Final[dict[Lang, dict[str, str]]] = {
    "vi": {
        "01": "Đã đến",
        "02": "Từ chối tiếp nhận",
        "03": "Đã tiếp nhận",
        "04": "Đã phân công",
        "05": "Đang xử lý",
        "06": "Hoàn thành",
        "13": "Đề nghị lấy lại",
        "15": "Đồng ý thu hồi/cập nhật",
        "16": "Từ chối thu hồi/cập nhật",
    },
    "en": {
        "01": "Arrived",
        "02": "Rejected",
        "03": "Accepted",
        "04": "Assigned",
        "05": "Processing",
        "06": "Finished",
        "13": "Take-back requested",
        "15": "Change accepted",
        "16": "Change refused",
    },
}


def language(value: str | None) -> Lang | None:
    """`value` as a supported language, or None."""
    for lang in LANGS:
        if value == lang:
            return lang
    return None


def labels(lang: Lang) -> Mapping[str, str]:
    return VI if lang == "vi" else EN


def phase(lang: Lang, value: str) -> str:
    return PHASES[lang].get(value, value)


def event(lang: Lang, value: str) -> str:
    return EVENTS[lang].get(value, value)


def status(lang: Lang, value: str | None) -> str:
    """A status code with its meaning (`03 Đã tiếp nhận`); empty for none."""
    if not value:
        return ""
    meaning = STATUSES[lang].get(value)
    return f"{value} {meaning}" if meaning else value
