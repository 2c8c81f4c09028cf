"""Refusals from the HTTP layer, shaped like GraphQL errors so clients handle them in one place."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse


def refusal(status: int, message: str, code: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers=dict(headers or {}),
    )
