"""Every text input normalised once, before any resolver sees it; what cannot be made safe is refused.

For each field called with arguments (mutations, `node(id:)`, `searchCustomers(query:)`, a nested
connection's `after`), the arguments are walked - input objects, lists, nested - and each `String`
or `ID` value is rewritten by its rule (`schema/input_rules.py`):

- Unicode NFC, then trimmed: "Ame\u0301lie" and "Amélie" are one name, " A1234567 " one account;
- upper- (or lower-) cased where the back office's own codes are;
- refused if it holds a control character (NUL and the rest of Unicode's Cc, and lone surrogates;
  long text keeps newline and tab, and a CR or CRLF becomes a newline): PostgreSQL cannot store NUL in
  text or JSON, and nothing a resident types needs them;
- refused if longer than its rule allows, or (a search) has more words than it allows;
- a return URL is refused unless it is on one of the portal's own origins (https in production).

The resolver then gets the normalised copy, so the value checked is the value stored and sent.
This is the fix for a payment whose `accountReference` had a stray space: ownership was checked on
the stripped reference, the unstripped one was stored and posted, and REVENUES refused it for good.

A refused mutation answers its own payload with `userErrors` (`schema/refusals.py`); any other
field answers a GraphQL error with `extensions.code = BAD_USER_INPUT` (and null). The log says which
field and why, never the value.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from graphql import (
    GraphQLError,
    GraphQLField,
    GraphQLID,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    default_field_resolver,
    get_named_type,
)

from customer360.domain.payments import PaymentCode
from customer360.domain.problems import CommonCode, Problem
from customer360.schema.input_rules import Case, Check, TextRule, rule_for
from customer360.schema.interactions import answered
from customer360.schema.refusals import is_payload, refused_payload

log = logging.getLogger("customer360.input")

TEXT_SCALARS = frozenset({"String", "ID"})
# Unicode's control characters (category Cc: C0, DEL, C1) and lone surrogates (not text: no encoder takes them).
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
CONTROL_IN_LONG_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")  # keeps \t and \n


class InputCode(StrEnum):
    INVALID_CHARACTERS = "INVALID_CHARACTERS"
    TOO_MANY_TERMS = "TOO_MANY_TERMS"


@dataclass(frozen=True)
class ReturnUrls:
    """Where a payment page may send the payer back to: the portal's own origins, exactly."""

    origins: frozenset[str] = field(default_factory=frozenset)
    https_only: bool = False

    @classmethod
    def of(cls, urls: Iterable[str], *, https_only: bool) -> ReturnUrls:
        return cls(frozenset(o for o in (origin_of(url) for url in urls) if o), https_only)

    def allows(self, url: str) -> bool:
        origin = origin_of(url)
        return origin is not None and origin in self.origins and (origin.startswith("https:") or not self.https_only)


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]`, lower case, default ports dropped; None for anything but an absolute http(s) URL
    without credentials (`https://portal@evil.example` is evil.example's)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme not in ("http", "https") or not host or "@" in parts.netloc or "\\" in url:
        return None
    default = {"http": 80, "https": 443}[scheme]
    return f"{scheme}://{host}" + (f":{port}" if port not in (None, default) else "")


def normalised_text(value: str, rule: TextRule, urls: ReturnUrls) -> tuple[str, tuple[StrEnum, str] | None]:
    """The value as it is to be checked, stored and sent, and why it is refused (None when it is not)."""
    text = unicodedata.normalize("NFC", value)
    if rule.multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.strip()
    if (CONTROL_IN_LONG_TEXT if rule.multiline else CONTROL).search(text):
        kept = "newlines and tabs" if rule.multiline else "no line breaks or tabs"
        return text, (InputCode.INVALID_CHARACTERS, f"This must be plain text ({kept}, no control characters)")
    if len(text) > rule.max_length:
        return text, (CommonCode.TOO_LONG, f"This must be {rule.max_length} characters or fewer")
    if rule.max_terms is not None and len(text.split()) > rule.max_terms:
        return text, (InputCode.TOO_MANY_TERMS, f"Search with at most {rule.max_terms} words")
    if rule.case is Case.UPPER:
        text = text.upper()
    elif rule.case is Case.LOWER:
        text = text.lower()
    if rule.check is Check.RETURN_URL and not urls.allows(text):
        scheme = "an https" if urls.https_only else "a"
        return text, (PaymentCode.INVALID_RETURN_URL, f"The return URL must be {scheme} page of this council's portal")
    return text, None


def normalised_arguments(
    owner: str, arguments: dict[str, Any], types: dict[str, GraphQLInputType], urls: ReturnUrls
) -> tuple[dict[str, Any], list[Problem]]:
    """The arguments of one field (GraphQL names, as graphql-core coerced them), normalised, and the problems."""
    problems: list[Problem] = []
    walked = {
        name: _walk(value, types[name], owner, name, (name,), urls, problems) if name in types else value
        for name, value in arguments.items()
    }
    return walked, problems


def _walk(
    value: Any, type_: Any, owner: str, name: str, path: tuple[str, ...], urls: ReturnUrls, problems: list[Problem]
) -> Any:
    if value is None:
        return None
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList) and isinstance(value, list):
        item_type = type_.of_type
        return [_walk(item, item_type, owner, name, (*path, str(i)), urls, problems) for i, item in enumerate(value)]
    if isinstance(type_, GraphQLInputObjectType) and isinstance(value, dict):
        fields = type_.fields
        return {
            key: _walk(item, fields[key].type, type_.name, key, (*path, key), urls, problems) if key in fields else item
            for key, item in value.items()
        }
    if isinstance(type_, GraphQLScalarType) and type_.name in TEXT_SCALARS and isinstance(value, str):
        text, refused = normalised_text(value, rule_for(owner, name), urls)
        if refused is not None:
            problems.append(Problem(path, refused[0], refused[1]))
        return text
    return value


class BoundedArguments:
    """Applies the rules to one field's arguments, then calls the field's own resolver with the copy.

    It wraps only the resolvers of fields that take arguments (`bound_every_argument`): as a Strawberry
    `SchemaExtension.resolve` hook it ran as graphql-core middleware around every resolved field, about
    22,000 calls for a 100-customer staff page (about 2% of its CPU in the middleware's own frames, by a
    py-spy profile) to normalise the arguments of a handful.
    """

    def __init__(self, resolve: Callable[..., Any], definition: GraphQLField, owner: str, urls: ReturnUrls) -> None:
        self.resolver = resolve  # the field's own (Strawberry's, with its field extensions)
        self._definition = definition
        self._types = {name: argument.type for name, argument in definition.args.items()}
        self._owner = owner
        self.urls = urls

    def __call__(self, root: Any, info: GraphQLResolveInfo[Any], *args: Any, **kwargs: Any) -> Any:
        if not kwargs:
            return self.resolver(root, info, *args, **kwargs)
        owner, definition = self._owner, self._definition
        normalised, problems = normalised_arguments(owner, kwargs, self._types, self.urls)
        if not problems:
            return self.resolver(root, info, *args, **normalised)
        for problem in problems:
            log.info("input refused: %s.%s %s", owner, ".".join(problem.field or ()), problem.code.value)
        if info.parent_type is info.schema.mutation_type and is_payload(definition.type):
            # Recorded like any mutation's answer (audit row, event, the key's outcome): RecordOutcome,
            # which sits inside the field's resolver, never runs for a refusal.
            return answered(info, refused_payload(definition.type, problems), datetime.now(UTC))
        if _names_nothing(problems, self._types, definition.type):
            return None  # an id no object can have, like one that does not exist: `node(id:)` answers null
        first = problems[0]
        raise GraphQLError(
            first.message,
            extensions={"code": "BAD_USER_INPUT", "reason": first.code.value, "field": list(first.field or ())},
        )


def bound_every_argument(schema: GraphQLSchema, return_urls: ReturnUrls) -> None:
    """Wrap the resolver of every object type's field that takes arguments in `BoundedArguments` (once:
    a wrapped field is left alone). Introspection's `__type(name:)` is not a field of any type here, so
    it is left as graphql-core answers it, as before."""
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for name, definition in graphql_type.fields.items():
            if definition.args and not isinstance(definition.resolve, BoundedArguments):
                resolve = definition.resolve or default_field_resolver
                owner = f"{graphql_type.name}.{name}"
                definition.resolve = BoundedArguments(resolve, definition, owner, return_urls)


def _names_nothing(problems: list[Problem], types: dict[str, Any], returns: Any) -> bool:
    """Every refused value is an `ID` argument of a field that may answer null."""
    if isinstance(returns, GraphQLNonNull):
        return False
    return all(problem.field and get_named_type(types.get(problem.field[0])) is GraphQLID for problem in problems)
