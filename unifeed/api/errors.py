"""Error bodies: always valid UTF-8 JSON, and small whatever the request was.

A 422 names each bad field and echoes what was sent there, as FastAPI does,
but a client's input is not trusted to be encodable (a lone UTF-16 surrogate
survives JSON decoding and breaks UTF-8 encoding) or small (10 MB of bad
input must not come back as 10 MB): echoes are cleaned and cut, and at most
MAX_ERRORS errors are listed.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from unifeed.api.limits import Gone
from unifeed.serving.feed import CursorError
from unifeed.store import UnknownReference

MAX_ERRORS = 50  # errors listed in one 422; the rest are counted
MAX_TEXT = 200  # characters of one echoed string or message
MAX_ITEMS = 10  # elements of one echoed list or object


def text(s: str, limit: int = MAX_TEXT) -> str:
    """`s` cut to `limit` characters, lone surrogates written as `\\udc80`."""
    if len(s) > limit:
        s = f"{s[:limit]}… ({len(s):,} characters)"
    return s.encode("utf-8", "backslashreplace").decode("utf-8")


def echo(value: Any, depth: int = 3) -> Any:
    """A JSON value standing for `value` in a bounded amount of text."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 10**30 else text(str(value))
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict | list | tuple) and depth <= 0:
        return f"… ({type(value).__name__} of {len(value):,})"
    if isinstance(value, dict):
        out = {text(str(k), 100): echo(v, depth - 1) for k, v in list(value.items())[:MAX_ITEMS]}
        if len(value) > MAX_ITEMS:
            out["…"] = f"{len(value) - MAX_ITEMS:,} more"
        return out
    if isinstance(value, list | tuple):
        items = [echo(v, depth - 1) for v in value[:MAX_ITEMS]]
        return items + ([f"… {len(value) - MAX_ITEMS:,} more"] if len(value) > MAX_ITEMS else [])
    return text(repr(value) if not isinstance(value, bytes) else repr(value[: 2 * MAX_TEXT]))


def _body(detail: list[dict[str, Any]], more: int = 0) -> dict[str, Any]:
    if more:
        detail.append({"loc": [], "msg": f"{more:,} more errors not listed", "type": "truncated"})
    return {"detail": detail}


async def invalid_request(_: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 body, bounded and encodable."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    detail = []
    for err in errors[:MAX_ERRORS]:
        item: dict[str, Any] = {
            "loc": [x if isinstance(x, int) else text(str(x), 100) for x in err.get("loc", ())],
            "msg": text(str(err.get("msg", "")), 2 * MAX_TEXT),
            "type": text(str(err.get("type")), 100),
        }
        if "input" in err:
            item["input"] = echo(err["input"])
        if "ctx" in err:
            item["ctx"] = echo(dict(err["ctx"]), 1)
        detail.append(item)
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content=_body(detail, len(errors) - len(detail)),
    )


async def unknown_reference(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UnknownReference)
    detail = [
        {"loc": ["body", *loc], "msg": text(msg), "type": "unknown_reference"}
        for loc, msg in exc.problems[:MAX_ERRORS]
    ]
    return JSONResponse(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content=_body(detail))


async def bad_cursor(_: Request, exc: Exception) -> JSONResponse:
    detail = [{"loc": ["query", "cursor"], "msg": text(str(exc)), "type": "bad_cursor"}]
    return JSONResponse(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content=_body(detail))


async def http_error(_: Request, exc: Exception) -> JSONResponse:
    """Starlette's answer to an HTTPException, with its detail made safe like the rest."""
    assert isinstance(exc, HTTPException)
    detail = text(exc.detail, 1000) if isinstance(exc.detail, str) else echo(exc.detail)
    return JSONResponse({"detail": detail}, exc.status_code, headers=exc.headers)


async def gone(_: Request, exc: Exception) -> Response:
    """Nobody is listening; the status only shows in the access log."""
    return Response(status_code=499)


HANDLERS: dict[type[Exception], Any] = {
    Gone: gone,
    RequestValidationError: invalid_request,
    UnknownReference: unknown_reference,
    CursorError: bad_cursor,
    HTTPException: http_error,
}
