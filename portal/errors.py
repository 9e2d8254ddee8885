"""Error pages in Vietnamese, as whole pages or as fragments for htmx."""
from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

from portal.htmx import is_htmx, vary_on_htmx

MESSAGES = {
    400: (_l("Yêu cầu không hợp lệ"), _l("Yêu cầu gửi lên không hợp lệ. Vui lòng tải lại trang và thử lại.")),
    403: (_l("Không có quyền truy cập"), _l("Bạn không có quyền thực hiện thao tác này.")),
    404: (_l("Không tìm thấy"), _l("Trang hoặc nội dung bạn tìm không tồn tại.")),
    405: (_l("Phương thức không được phép"), _l("Thao tác này không thực hiện được theo cách đó.")),
    409: (_l("Xung đột dữ liệu"), _l("Thao tác trùng với một thao tác khác. Vui lòng tải lại trang.")),
    413: (_l("Tệp quá lớn"), _l("Tệp tải lên vượt quá dung lượng cho phép.")),
    429: (_l("Quá nhiều yêu cầu"), _l("Bạn thao tác quá nhanh. Vui lòng đợi một lát rồi thử lại.")),
    500: (_l("Lỗi hệ thống"), _l("Đã có lỗi xảy ra. Ban Tổ chức đã được ghi nhận; vui lòng thử lại sau.")),
}


def render_error(status: int, message: str | None = None):
    title, default = MESSAGES.get(status, MESSAGES[500])
    template = "_error.html" if is_htmx() else "error.html"
    response = render_template(template, status=status, title=title, message=message or default)
    return vary_on_htmx(Flask.response_class(response, status=status))


class Refusal(Exception):
    """A request refused for a reason the contestant or moderator should read."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def refuse(status: int, message: str):
    raise Refusal(status, message)


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _l("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ (CSRF). "
                                    "Vui lòng tải lại trang rồi gửi lại."))

    @app.errorhandler(Refusal)
    def refusal(error):
        return render_error(error.status, error.message)

    for status in MESSAGES:
        app.register_error_handler(status, lambda error, status=status: render_error(status))
