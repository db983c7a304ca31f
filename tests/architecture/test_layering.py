"""Dependencies point one way (docs/architecture.md): a module imports only its own package or lower layers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# lowest first; a package may import its own modules and anything in a lower layer
LAYERS: list[tuple[str, ...]] = [
    ("duluan.core",),
    ("nlp",),
    ("duluan.storage", "duluan.meta"),
    ("streaming",),
    ("crawlers",),
    ("duluan.watchlists", "duluan.apikeys"),
    ("duluan.trends",),
    ("duluan.alerts", "duluan.feedback"),
    ("duluan.briefings",),
    ("duluan.container", "duluan.pipeline", "duluan.importer", "duluan.corrections"),
    ("api",),
    ("duluan.cli",),
]
PACKAGES = [p for layer in LAYERS for p in layer]


def _package(module: str) -> str | None:
    """The layered package that `module` belongs to (longest match), or None for third parties."""
    best = None
    for pkg in PACKAGES:
        if (module == pkg or module.startswith(pkg + ".")) and (
            best is None or len(pkg) > len(best)
        ):
            best = pkg
    return best


def _layer(pkg: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if pkg in layer)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text("utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return found


def _sources() -> list[Path]:
    roots = ["duluan", "api", "crawlers", "streaming", "nlp"]
    return sorted(
        p for r in roots for p in (REPO / r).rglob("*.py") if "__pycache__" not in p.parts
    )


def violations() -> list[str]:
    out = []
    for path in _sources():
        own = _package(_module_name(path))
        if own is None:  # duluan/__init__.py
            continue
        for lineno, target in _imports(path):
            dep = _package(target)
            if dep is None or dep == own:
                continue
            if _layer(dep) >= _layer(own):
                out.append(f"{path.relative_to(REPO)}:{lineno} {own} imports {target} ({dep})")
    return sorted(set(out))


def test_every_module_belongs_to_a_layer() -> None:
    stray = [
        str(p.relative_to(REPO))
        for p in _sources()
        if _package(_module_name(p)) is None and _module_name(p) != "duluan"
    ]
    assert stray == []


def test_imports_point_one_way() -> None:
    assert violations() == []


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("from api.app import create_app\nimport duluan.cli\n")
    deps = {_package(t) for _, t in _imports(bad)}
    assert deps == {"api", "duluan.cli"}
    assert _layer("api") > _layer("duluan.core")


if __name__ == "__main__":  # pragma: no cover
    print("\n".join(violations()))
    pytest.main([__file__])
