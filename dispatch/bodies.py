"""Request bodies a person can be told about: JSON nested too deep is a 400, never a 500.

Python's JSON parser recurses once per level, so a small body nested a thousand deep raises
``RecursionError`` inside webargs. The depth is counted first, without recursion.
"""

from __future__ import annotations

import re

from flask import Flask, request

from dispatch.errors import DomainError

#: Deeper than any body the API takes (the deepest, a plan edit, is five levels).
MAX_DEPTH = 32
# Strings (with their escapes) are skipped whole, so brackets inside them do not count.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class TooDeep(DomainError):
    status = 400


def json_depth(body: bytes, stop_after: int = MAX_DEPTH) -> int:
    """The nesting depth of a JSON text, counted up to ``stop_after + 1``."""
    if body.count(b"[") + body.count(b"{") <= stop_after:
        return stop_after  # cannot be deeper; skip the scan
    depth = deepest = 0
    for match in _TOKENS.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_after:
                    break
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def _check_depth() -> None:
    if not request.is_json:
        return
    # Reading the body here also enforces MAX_CONTENT_LENGTH (413) before any parser runs.
    if json_depth(request.get_data(cache=True)) > MAX_DEPTH:
        raise TooDeep(
            f"JSON 嵌套超过 {MAX_DEPTH} 层 / JSON nested deeper than {MAX_DEPTH} levels",
            {"json": [f"nesting depth exceeds {MAX_DEPTH}"]},
            max_depth=MAX_DEPTH,
        )


def init_app(app: Flask) -> None:
    app.before_request(_check_depth)
