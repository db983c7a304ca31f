"""Import underthesea without the optional pipelines we never use.

Its `__init__` imports `translate`, which pulls transformers + torch (≈700 MB of memory and 2 s)
whenever they are installed, e.g. with the `transformers` extra.
"""

from __future__ import annotations

import sys

_UNUSED_UNDERTHESEA = (
    "underthesea.pipeline.translate",
    "underthesea.pipeline.classification",
    "underthesea.pipeline.sentiment",
    "underthesea.pipeline.dependency_parse",
    "underthesea.pipeline.lang_detect",
    "underthesea.agent",
    "underthesea.address",
)


def import_light() -> None:
    """Import underthesea once, its optional pipelines blocked for the duration."""
    if "underthesea" in sys.modules:
        return
    blocked = [m for m in _UNUSED_UNDERTHESEA if m not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` fail fast
    try:
        import underthesea  # noqa: F401
    finally:
        for name in blocked:  # a later explicit import of them still works
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
