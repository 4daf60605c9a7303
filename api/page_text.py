"""The words of the web pages, Vietnamese first with the English alternative."""

from __future__ import annotations

from collections.abc import Callable

from gis.domain import COMPONENTS, SITE_KINDS, SITE_STATUSES, label

LANGUAGES = ("vi", "en")
LANG_COOKIE = "tuquan_lang"

TEXT: dict[str, tuple[str, str]] = {
    "title": ("Bản đồ mô hình “5 tự quản” về an ninh trật tự",
              "The “5 tự quản” security and order model — GIS"),
    "short_title": ("Mô hình “5 tự quản” · ANTT", "“5 tự quản” model · GIS"),
    "skip": ("Bỏ qua, tới nội dung", "Skip to content"),
    "login_title": ("Đăng nhập", "Log in"),
    "login_intro": ("Đăng nhập để xem độ phủ mô hình, điểm nóng vụ việc và các xã nên nhân rộng.",
                    "Log in to see the model's coverage, incident hot spots and the communes "
                    "to replicate it in next."),
    "username": ("Tên đăng nhập", "User name"),
    "password": ("Mật khẩu", "Password"),
    "login": ("Đăng nhập", "Log in"),
    "logout": ("Đăng xuất", "Log out"),
    "login_failed": ("Sai tên đăng nhập hoặc mật khẩu.", "Wrong user name or password."),
    "login_locked": ("Đăng nhập sai quá nhiều lần; vui lòng thử lại sau.",
                     "Too many failed logins; please try again later."),
    "province": ("Tỉnh, thành phố", "Province"),
    "as_of": ("Tình hình đến ngày", "As of"),
    "show": ("Xem", "Show"),
    "language": ("Ngôn ngữ", "Language"),
    "summary": ("Tổng quan độ phủ", "Coverage summary"),
    "communes_covered": ("Xã có mô hình", "Communes with the model"),
    "active_sites": ("Mô hình đang hoạt động", "Active sites"),
    "planned_sites": ("Mô hình kế hoạch", "Planned sites"),
    "full_communes": ("Xã đủ 5 thành phần", "Communes with all 5 components"),
    "partial_communes": ("Xã chưa đủ thành phần", "Communes with only some components"),
    "population_share": ("Dân số được phủ", "Population covered"),
    "by_component": ("Tỉ lệ xã có từng thành phần", "Communes with each component"),
    "by_year": ("Tỉ lệ xã có mô hình, cuối mỗi năm", "Communes with the model, end of each year"),
    "new_communes": ("xã mới", "new communes"),
    "no_years": ("Chưa có mô hình nào hoạt động.", "No site is active yet."),
    "maps": ("Bản đồ", "Maps"),
    "coverage_map": ("Bản đồ độ phủ", "Coverage map"),
    "hotspot_map": ("Bản đồ điểm nóng", "Hot-spot map"),
    "planning_map": ("Bản đồ đề xuất nhân rộng", "Planning map"),
    "open_full": ("Mở cả trang", "Open full page"),
    "figures": ("Hình in A4", "A4 figures"),
    "candidates": ("Ứng viên nhân rộng", "Replication candidates"),
    "candidates_intro": ("Các xã chưa có mô hình đang hoạt động, xếp theo điểm. Bấm tiêu đề cột "
                         "để sắp xếp.", "Communes without an active model, ranked by score. "
                         "Click a column heading to sort."),
    "rank": ("Hạng", "Rank"),
    "commune": ("Xã, phường", "Commune"),
    "score": ("Điểm", "Score"),
    "breakdown": ("Thành phần điểm", "Score breakdown"),
    "incidents": ("Vụ việc", "Incidents"),
    "rate": ("Tỉ suất", "Rate"),
    "gi_z": ("Gi* z", "Gi* z"),
    "neighbours": ("Xã lân cận có mô hình", "Neighbours with the model"),
    "gap": ("Huyện cũ chưa có", "Former districts without"),
    "components": ("Thành phần nên có", "Components to start with"),
    "action": ("Thao tác", "Action"),
    "mark_planned": ("Đánh dấu kế hoạch", "Mark as planned"),
    "planned": ("Đã có kế hoạch", "Planned"),
    "planned_ok": ("Đã tạo mô hình kế hoạch", "Planned site created"),
    "no_candidates": ("Không có ứng viên: mọi xã đều đã có mô hình hoạt động.",
                      "No candidates: every commune has an active site."),
    "recent_sites": ("Mô hình cập nhật gần đây", "Latest sites"),
    "name": ("Tên mô hình", "Name"),
    "kind": ("Loại", "Kind"),
    "status": ("Trạng thái", "Status"),
    "started_on": ("Ngày bắt đầu", "Started"),
    "no_sites": ("Chưa có mô hình nào.", "No sites yet."),
    "suppressed": ("ẩn", "hidden"),
    "privacy_note": ("Số nhỏ hơn {n} được ẩn để bảo vệ bí mật; điểm vụ việc không hiển thị.",
                     "Counts below {n} are hidden for privacy; incident points are not shown."),
    "synthetic": ("Dữ liệu mô phỏng", "Synthetic data"),
    "not_computed": ("Chưa tính được", "Not computed"),
    "data_as_of": ("Dữ liệu đến", "Data as of"),
    "signed_in_as": ("Đăng nhập", "Signed in as"),
    "error": ("Lỗi", "Error"),
    "back": ("Quay lại bảng điều khiển", "Back to the dashboard"),
    "api": ("API (OGC, ô bản đồ)", "API (OGC, tiles)"),
    "factor_burden_count": ("Số vụ việc", "incidents"),
    "factor_burden_rate": ("Tỉ suất vụ việc", "incident rate"),
    "factor_hotspot": ("Điểm nóng (Gi* z)", "hot spot (Gi* z)"),
    "factor_mentoring": ("Xã lân cận có mô hình", "neighbour runs it"),
    "factor_gap": ("Huyện cũ chưa có", "former district gap"),
    "role_viewer": ("cán bộ kế hoạch", "planner"),
    "role_officer": ("cán bộ công an", "officer"),
    "role_admin": ("quản trị", "administrator"),
}  # fmt: skip

# Short names of the five components for chart labels (full names in the tooltip).
COMPONENT_SHORT = (
    ("Tội phạm", "Crime"),
    ("Tệ nạn xã hội", "Social evils"),
    ("Tài sản, cháy nổ", "Property, fire"),
    ("Trật tự, giao thông", "Order, traffic"),
    ("Người lầm lỗi", "Offenders"),
)


def pick_language(query: str | None, cookie: str | None) -> str:
    """The page language: asked in the query, else remembered in the cookie, else Vietnamese."""
    for value in (query, cookie):
        if value in LANGUAGES:
            return value
    return "vi"


def translator(lang: str) -> Callable[..., str]:
    """t(key, **values): the text in ``lang`` (values formatted in)."""
    index = LANGUAGES.index(lang)

    def t(key: str, **values) -> str:
        text = TEXT[key][index]
        return text.format(**values) if values else text

    return t


def vocabulary(lang: str) -> dict[str, Callable[[str], str]]:
    """Label functions for stored keys: kinds, statuses and components (by number)."""

    def component(number: int) -> str:
        return COMPONENTS[number - 1].vi if lang == "vi" else COMPONENTS[number - 1].en

    return {
        "kind": lambda key: label(SITE_KINDS, key, lang),
        "status": lambda key: label(SITE_STATUSES, key, lang),
        "component": component,
        "component_short": lambda n: COMPONENT_SHORT[n - 1][LANGUAGES.index(lang)],
    }
