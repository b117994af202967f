"""Errors the platform's services raise; the app turns them into 4xx answers.

Services never build HTTP responses: they raise these, and :mod:`nqpf.web.main` answers
JSON (``{"detail": …, "field": …}``) under ``/api`` and an HTML page elsewhere.
"""

from __future__ import annotations

from nqpf.exceptions import DataValidationError

__all__ = [
    "FIELD_LABELS_ZH",
    "VALIDATION_MESSAGES_ZH",
    "Conflict",
    "FieldError",
    "Forbidden",
    "LoginRequired",
    "NotFound",
    "PlatformError",
    "RateLimited",
    "Unauthorized",
    "field_error",
    "field_label_zh",
    "validation_message_zh",
]


class PlatformError(Exception):
    """Base: ``status`` is the HTTP status, ``field`` the input field at fault (if any)."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class FieldError(PlatformError):
    """A value that does not validate (422); ``field`` names it."""

    status = 422


class Unauthorized(PlatformError):
    """No valid credentials (401)."""

    status = 401


class LoginRequired(Unauthorized):
    """A page needs a signed-in browser: redirect to the sign-in page."""


class Forbidden(PlatformError):
    """Authenticated, may see the object, but not do this to it (403)."""

    status = 403


class NotFound(PlatformError):
    """No such object, or one the caller may not see (404: existence is not revealed)."""

    status = 404


class Conflict(PlatformError):
    """The action clashes with the current state (409), e.g. a duplicate credit code."""

    status = 409


class RateLimited(PlatformError):
    """Too many attempts (429); ``retry_after`` seconds until the next may succeed."""

    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def field_error(
    exc: DataValidationError, *, field: str | None = None, label: str = ""
) -> FieldError:
    """The web's Chinese 422 for a domain error: the one adapter between the two languages.

    The rule that failed lives once, in the core or :mod:`nqpf.services`, and raises a
    :class:`~nqpf.exceptions.DataValidationError` with its reason in Chinese
    (``reason_zh``) beside the English one; this puts the field's Chinese ``label`` in
    front (``统一社会信用代码（credit_code）`` + ``应为 18 位，实际 17 位``) and answers on
    ``field`` (default: the error's own field or column).
    """
    return FieldError(f"{label}{exc.reason_zh}", field=field or exc.field or exc.column)


# --------------------------------------------------------------- pydantic's messages, in Chinese
#: pydantic error ``type`` → the Chinese message; ``{…}`` are filled from the error's ``ctx``.
#: A type not listed falls back to "输入格式不正确" (never pydantic's English text).
VALIDATION_MESSAGES_ZH = {
    "missing": "必填",
    "extra_forbidden": "不是可接受的字段",
    "finite_number": "应为有限数值（不能为无穷大或 NaN）",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "multiple_of": "应为 {multiple_of} 的整数倍",
    "float_type": "应为数值",
    "float_parsing": "应为数值，无法识别输入",
    "int_type": "应为整数",
    "int_parsing": "应为整数，无法识别输入",
    "int_from_float": "应为整数，不能带小数",
    "bool_type": "应为“是”或“否”",
    "bool_parsing": "应为“是”或“否”，无法识别输入",
    "string_type": "应为文本",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "至多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确",
    "too_short": "至少 {min_length} 项",
    "too_long": "至多 {max_length} 项",
    "list_type": "应为列表",
    "dict_type": "应为键值对象",
    "model_type": "应为键值对象",
    "enum": "应为以下之一：{expected}",
    "literal_error": "应为以下之一：{expected}",
    "date_type": "应为日期",
    "date_parsing": "应为日期（格式 YYYY-MM-DD）",
    "datetime_type": "应为日期时间",
    "datetime_parsing": "应为日期时间",
    "json_invalid": "不是有效的 JSON",
    "json_type": "不是有效的 JSON",
    "value_error": "取值无效",
    "url_parsing": "应为有效网址",
    "uuid_parsing": "应为有效的 UUID",
    "decimal_parsing": "应为数值",
}

#: Form and API field names → their Chinese label, for messages that name the field.
FIELD_LABELS_ZH = {
    "year": "核算年份",
    "region": "地区",
    "grid_factor": "电网排放因子",
    "records": "能源消费记录",
    "carrier": "能源品种",
    "quantity": "用量",
    "unit": "单位",
    "output": "工业总产值",
    "revenue": "营业收入",
    "process_emissions": "过程排放",
    "name": "名称",
    "email": "电子邮箱",
    "password": "密码",
    "credit_code": "统一社会信用代码",
    "industry": "行业代码",
    "region_code": "地区代码",
    "size_class": "企业规模",
    "answers": "答案",
    "responses": "答案",
    "revision": "修订号",
    "value": "数值",
    "scopes": "权限范围",
    "totp_code": "动态验证码",
    "code": "验证码",
    "title": "标题",
    "description": "说明",
    "budget": "预算",
    "page": "页码",
    "file": "文件",
}


def field_label_zh(field: str | None) -> str:
    """``records.0.quantity`` → ``能源消费记录第 1 行的用量``; unknown names as they are."""
    if not field:
        return ""
    out: list[str] = []
    for part in field.split("."):
        if part.isdigit():
            out.append(f"第 {int(part) + 1} 行")
        else:
            out.append(FIELD_LABELS_ZH.get(part, part))
    return "".join(out[:1] + [f"{p}的" if i < len(out) - 2 else p for i, p in enumerate(out[1:])])


def validation_message_zh(error: dict, *, field: str | None = None) -> str:
    """The Chinese message of one pydantic error: ``用量：应为有限数值（…）``.

    >>> validation_message_zh({"type": "finite_number", "loc": ("body", "value")}, field="value")
    '数值：应为有限数值（不能为无穷大或 NaN）'
    >>> validation_message_zh({"type": "greater_than_equal", "ctx": {"ge": 0}}, field="records.0.quantity")
    '能源消费记录第 1 行的用量：应不小于 0'
    """
    template = VALIDATION_MESSAGES_ZH.get(str(error.get("type")), "输入格式不正确")
    ctx = {k: v for k, v in (error.get("ctx") or {}).items()}
    try:
        text = template.format(**ctx)
    except (KeyError, IndexError):
        text = template.split("{", 1)[0].rstrip("：") or "输入格式不正确"
    label = field_label_zh(field)
    return f"{label}：{text}" if label else text
