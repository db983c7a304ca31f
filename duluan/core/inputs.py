"""What a request body or query parameter accepts is what the OpenAPI schema says (issue 17).

Pydantic's lax mode accepts more than the JSON schema it writes: `0`, `1` and `"true"` for a
boolean, `"5"` for an integer, a number for a date-time (a Unix time), and it drops unknown keys
silently. API input models therefore derive from `StrictInput` (closed, strict) and their
date-times are `IsoDateTime`: ISO 8601 text (or a datetime from Python callers), never a number.
Stored and response models stay lax: they read what older versions wrote.

Patterns in the schema are read by other regex engines (JSON Schema's is ECMA-262's; the
schemathesis validator's is Rust's), so they spell character classes out (`SPACE`, `[0-9]`)
instead of `\\s`, `\\d` or `.`, whose meaning differs between engines, and a `SchemaPattern` is
checked with `fullmatch` (Python's `$` also matches before a final newline, ECMA's does not).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

# `extra="forbid"` also writes `additionalProperties: false` into the schema
STRICT_INPUT = ConfigDict(extra="forbid", strict=True)

SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""A character class body: exactly what `str.isspace()` (and so `str.strip()`) calls space."""

NOT_BLANK = f"[^{SPACE}]"
"""A pattern (unanchored, as JSON Schema reads `pattern`): some character that is not space."""


def _not_blank(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise ValueError("must not be blank")
    return value


NOT_BLANK_CHECK = BeforeValidator(_not_blank)
"""Put after a `Field(..., json_schema_extra={"pattern": NOT_BLANK})` in an `Annotated` str: the
check the pattern states, with a plain message, before the length constraints."""


class SchemaPattern:
    """A regex stated in the schema as `^(?:body)$` and checked here with `fullmatch`, so both
    sides accept the same strings whatever engine reads the schema."""

    def __init__(self, body: str) -> None:
        self.schema = f"^(?:{body})$"
        self._re = re.compile(body)

    def fullmatch(self, value: str) -> bool:
        return self._re.fullmatch(value) is not None


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_only(value: Any) -> Any:
    """An ISO 8601 date-time string or a datetime; pydantic would read numbers as Unix times."""
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise ValueError("must be an ISO 8601 date-time, e.g. 2026-11-01T08:00:00+07:00")


IsoDateTime = Annotated[datetime, Field(strict=False), BeforeValidator(_iso_only)]
"""A date-time field of a strict input model: ISO 8601 text, naive or with an offset."""


def _is_int_field(annotation: Any) -> bool:
    if annotation is int:
        return True
    return get_origin(annotation) is not None and int in get_args(annotation)


class StrictInput(BaseModel):
    """Base of request bodies: unknown keys and lax coercions (`"5"`, `0` for false) are 422s.

    One coercion stays: JSON Schema counts `3.0` as an integer, so an integer field takes a
    number with no fractional part (strict pydantic would refuse it).
    """

    model_config = STRICT_INPUT

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        fixed = {
            name: int(value)
            for name, value in data.items()
            if isinstance(value, float)
            and value.is_integer()
            and name in cls.model_fields
            and _is_int_field(cls.model_fields[name].annotation)
        }
        return {**data, **fixed} if fixed else data


def no_default(schema: dict[str, Any]) -> None:
    """`json_schema_extra` for a PATCH field that may be left out but not sent as null: its
    `None` default means "unchanged", not a value a client may send."""
    schema.pop("default", None)
