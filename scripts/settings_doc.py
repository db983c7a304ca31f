"""Rewrite the settings table in docs/settings.md from core.settings (run after adding one)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from duluan.core.settings import Settings  # noqa: E402

START, END = "<!-- settings:start -->", "<!-- settings:end -->"


def table() -> str:
    rows = ["| setting | default | what it does |", "|---|---|---|"]
    for name, field in sorted(Settings.model_fields.items()):
        default = field.default
        shown = "none" if default is None else f"`{default}`"
        if "secret" in name or "password" in name or "pepper" in name:
            shown = "none" if default is None else "(secret)"
        rows.append(f"| `{name}` | {shown} | {field.description or ''} |")
    return "\n".join(rows)


def main() -> None:
    path = ROOT / "docs" / "settings.md"
    text = path.read_text(encoding="utf-8")
    new = f"{START}\n{table()}\n{END}"
    if START in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: new, text, flags=re.S)
    else:
        text = re.sub(r"\| setting \| default \|.*?\n\n", lambda _: new + "\n\n", text, flags=re.S)
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
