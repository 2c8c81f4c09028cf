"""Logs without personal data: JSON lines (or plain text), every record redacted on its way out.

`configure_logging()` puts one handler on the root logger with a `RedactionFilter`, so every
library's records pass through it (uvicorn's too: `customer360 serve` runs uvicorn with
`log_config=None`). The filter:

- formats the message with its arguments, then replaces emails, UK postcodes, UK phone numbers,
  dates that could be dates of birth (`1984-03-07`, `07/03/1984`; ISO timestamps are kept), street
  addresses (`12 High Street`), bearer tokens and JWTs, and the values in URL query strings;
- replaces the values of known personal keys (`name`, `email`, `date_of_birth`, `address`,
  `description`, `authorization`, ...) in structured extras (`log.info("...", extra={...})`),
  however deeply nested: a name has no pattern, so names must only ever be logged under such keys;
- redacts a traceback's text the same way (exception messages can quote data).

Each line carries the request's id (`request_id`) and, while tracing is on, the trace's (`trace_id`, the
id an OTLP back end shows), so a line leads to its trace and a trace to its lines.

Loggers that would write SQL parameters or raw HTTP traffic (`sqlalchemy.engine`, `aiosqlite`,
`httpcore`, `httpx`), or routine notes on every start (`alembic`), are held at WARNING whatever the level
asked for. Python warnings are captured as log records, so every line on stderr has the one format.

Redaction is the net, not the rule: a name has no pattern. So input values are never logged in the
first place: GraphQL errors are logged by code and path, never by message (`schema/errors.py`:
graphql-core's messages quote the input), and refused input by field and code (`schema/input_boundary.py`).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import IO, Any

from customer360.http.request_id import request_id_var
from customer360.tracing import trace_id as current_trace_id

REDACTED = "[REDACTED]"
HANDLER_NAME = "customer360"

PERSONAL_KEYS = frozenset(
    {
        "name",
        "full_name",
        "first_name",
        "last_name",
        "forenames",
        "surname",
        "title",
        "email",
        "phone",
        "telephone",
        "mobile",
        "date_of_birth",
        "dob",
        "birth_date",
        "address",
        "address_line1",
        "address_line2",
        "line1",
        "line2",
        "street",
        "postcode",
        "town",
        "nino",
        "national_insurance_number",
        "sort_code",
        "account_number",
        "account_holder_name",
        "bank_sort_code",
        "bank_account_number",
        "description",
        "subject",
        "reason",
        "query",
        "variables",
        "authorization",
        "token",
        "password",
        "secret",
        "cookie",
    }
)

_STREET = (
    r"Street|St|Road|Rd|Lane|Ln|Avenue|Ave|Close|Drive|Dr|Way|Court|Ct|Place|Pl|Crescent|Grove|Gardens|"
    r"Terrace|Hill|Walk|Row|Square|Green|Park|Rise|Mews|View|Parade|Gate|Croft|Meadow|Fields|End"
)
PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{10,}"), "Bearer " + REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"), REDACTED),
    (re.compile(r"([?&][A-Za-z0-9_.\[\]-]+=)[^&\s\"'#]*"), r"\1" + REDACTED),
    (re.compile(r"(?i)\b[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}\b"), REDACTED),
    (re.compile(r"(?<![\w+])(?:\+44\s?(?:\(0\)\s?)?|\(?0)\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\w)"), REDACTED),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b(?![T\d:])"), REDACTED),
    (re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{4}\b"), REDACTED),
    (re.compile(rf"\b\d+[A-Za-z]?,?\s+(?:[A-Z][A-Za-z'-]+\s+){{1,3}}(?:{_STREET})\b"), REDACTED),
    # Bank details: a sort code written with separators, and a bare run of 6 to 8 digits (a sort code or
    # an account number; an 8-digit Council Tax account reference goes too, which is no loss in a log).
    (re.compile(r"(?<![\w:.-])\d{2}[- ]\d{2}[- ]\d{2}(?![\w:.-])"), REDACTED),
    (re.compile(r"(?<![\w:.-])\d{6,8}(?![\w:.-])"), REDACTED),
]

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's copy of the message with terminal colours
}
# httpx logs every back-office call at INFO: a log line per call on the hot path, and URLs carrying keys.
_QUIET = {
    "sqlalchemy.engine": logging.WARNING,
    "aiosqlite": logging.WARNING,
    "httpcore": logging.WARNING,
    "httpx": logging.WARNING,
    # Access lines carry URLs, and a GET /graphql URL carries the query's variables: never logged, however
    # uvicorn was started (`serve --workers N` starts workers whose config logs them). /metrics counts requests.
    "uvicorn.access": logging.WARNING,
    # Alembic notes its plugins and its migration context at INFO on every start of every command.
    "alembic": logging.WARNING,
}


def redact_text(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(value: Any, key: str | None = None) -> Any:
    if key is not None and key.lower() in PERSONAL_KEYS and value not in (None, "", [], {}):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {str(k): redact_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact_text(str(value))


class RedactionFilter(logging.Filter):
    """Rewrites each record in place: message formatted and redacted, extras and traceback redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_c360_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact_text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        record.exc_info = None  # the redacted text is what gets written
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        for key in set(record.__dict__) - _STANDARD:
            if not key.startswith("_"):
                record.__dict__[key] = redact_value(record.__dict__[key], key)
        record._c360_redacted = True
        return True


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            line["request_id"] = request_id
        trace_id = current_trace_id()  # only while tracing is on (customer360/tracing.py), inside a trace
        if trace_id:
            line["trace_id"] = trace_id
        for key in sorted(set(record.__dict__) - _STANDARD):
            if not key.startswith("_"):
                line[key] = record.__dict__[key]
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, default=str, ensure_ascii=False)


class Text(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        request_id = request_id_var.get()
        trace_id = current_trace_id()
        text = super().format(record)
        text = f"{text} [request {request_id}]" if request_id else text
        return f"{text} [trace {trace_id}]" if trace_id else text


def configure_logging(level: str | int = "INFO", *, format: str = "json", stream: IO[str] | None = None) -> None:
    """One redacting handler on the root logger (replacing ours from an earlier call, keeping others)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == HANDLER_NAME:
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.addFilter(RedactionFilter())
    handler.setFormatter(JsonLines() if format == "json" else Text())
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    for name, quiet in _QUIET.items():
        logging.getLogger(name).setLevel(quiet)
    logging.captureWarnings(True)  # a library's warning is a log line like any other, not raw stderr


def is_configured() -> bool:
    return any(handler.get_name() == HANDLER_NAME for handler in logging.getLogger().handlers)
