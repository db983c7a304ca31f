"""SQLite's errors as the Store's: callers see StoreUnavailable / StoreRejected / QueryRejected.

The translation sits at the class boundary (`translate_errors` wraps every public method once),
so the parts inside keep catching `sqlite3.Error` for their rollbacks and nothing leaks out.
"""

from __future__ import annotations

import functools
import inspect
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from duluan.core.query import QueryTimedOut
from duluan.storage.base import QueryRejected, StoreError, StoreRejected, StoreUnavailable

C = TypeVar("C", bound=type)

# a locked or busy file, an I/O hiccup, a full disk: may pass; retry later
_UNAVAILABLE = ("locked", "busy", "disk i/o", "unable to open", "disk is full")
# FTS5 refusing a MATCH expression: the query's fault (a known compile gap: a term folding to
# nothing can become a literal FTS5 rejects)
_BAD_QUERY = ("fts5", "unterminated string", "malformed match", "no such column")


def translate(exc: sqlite3.Error, what: str = "sqlite") -> Exception:
    """The store error for a SQLite error (a corrupt file or a constraint: rejected for good);
    a statement interrupted by the time limit's watchdog is the query's cost."""
    text = str(exc)
    low = text.lower()
    if isinstance(exc, sqlite3.OperationalError) and low.strip() == "interrupted":
        return QueryTimedOut(
            "the store stopped this query at its time limit (store_query_timeout_ms): narrow it"
            " (fewer terms or wildcards, a shorter time range)"
        )
    cls: type[StoreError]
    if isinstance(exc, sqlite3.OperationalError) and any(m in low for m in _BAD_QUERY):
        cls = QueryRejected
    elif isinstance(exc, sqlite3.OperationalError) and any(m in low for m in _UNAVAILABLE):
        cls = StoreUnavailable
    else:
        cls = StoreRejected
    return cls(f"{what}: {type(exc).__name__}: {text}")


def _reraise(exc: Exception, what: str) -> None:
    """Raise the translation of `exc` if it is SQLite's (or a bare StoreError wrapping one)."""
    if isinstance(exc, sqlite3.Error):
        raise translate(exc, what) from exc
    cause = exc.__cause__
    if type(exc) is StoreError and isinstance(cause, sqlite3.Error):
        raise translate(cause, str(exc).split(":", 1)[0]) from cause


def _wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    what = f"sqlite {name.strip('_')}"
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from fn(*args, **kwargs)
            except (sqlite3.Error, StoreError) as exc:
                _reraise(exc, what)
                raise

        return gen

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (sqlite3.Error, StoreError) as exc:
            _reraise(exc, what)
            raise

    return call


def translate_errors(cls: C) -> C:
    """Wrap `__init__` and every public method of `cls` (its own and inherited) once."""
    for klass in reversed(cls.__mro__[:-1]):
        for name, attr in vars(klass).items():
            if name != "__init__" and (name.startswith("_") or not inspect.isfunction(attr)):
                continue
            if not inspect.isfunction(attr):
                continue
            current = getattr(cls, name)
            if getattr(current, "__sqlite_translated__", False):
                continue
            wrapped = _wrap(name, current)
            wrapped.__sqlite_translated__ = True  # type: ignore[attr-defined]
            setattr(cls, name, wrapped)
    return cls
