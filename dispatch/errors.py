"""Domain exceptions raised by services, and the error body every answer has.

Every error body has the flask-smorest shape ``{code, status, message, errors}``; the
handlers that turn exceptions into answers are :mod:`dispatch.error_handlers`.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, errors: dict[str, Any] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.extra = extra


class Invalid(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Unauthorized(DomainError):
    status = 401


class Conflict(DomainError):
    status = 409


class Unavailable(DomainError):
    """A service Daiban depends on is down; the answer carries ``Retry-After``."""

    status = 503
    retry_after = 30


class Gone(DomainError):
    status = 410


_HTTP_MESSAGES = {
    400: "请求有误 / Bad request: the body or the arguments could not be read",
    401: "需要登录 / Log in first: POST /api/auth/login",
    403: "无权操作 / Not allowed for your role",
    404: "没有这个地址或对象 / No such address or object",
    405: "不支持此方法 / This method is not allowed here",
    406: "无法提供所要的格式 / Cannot answer in the format asked for",
    409: "冲突 / Conflict with the current state",
    410: "已停用 / Gone",
    412: "此记录在您读取后已被他人修改，请重新读取后再改 / It was changed since you read it: "
    "GET it again and retry with its new ETag in If-Match",
    415: "请发送 JSON / Send the body as application/json",
    422: "输入有误，见 errors / The input is invalid; see errors",
    428: "请带上 If-Match（先 GET 取得 ETag）/ Send If-Match with the ETag a GET gave you",
    429: "请求过于频繁 / Too many requests",
}


def size_text(limit: int) -> str:
    """A byte count as people say it: ``1 MB``, ``512 KB``."""
    if limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MB"
    return f"{limit // 1024} KB" if limit % 1024 == 0 else f"{limit} bytes"


def http_message(code: int, max_content_length: int | None = None) -> str:
    """The message of an HTTP error raised without one (werkzeug's, webargs' 422)."""
    if code == 413:
        limit = size_text(max_content_length) if max_content_length else "the size limit"
        return f"请求体超过 {limit} 上限 / The request body is larger than the {limit} limit"
    if code in _HTTP_MESSAGES:
        return _HTTP_MESSAGES[code]
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return f"HTTP {code}"


def error_body(status: int, message: str, errors: Any = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": status,
        "status": HTTPStatus(status).phrase,
        "message": message,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body
