"""docs/settings.md lists every setting (regenerate with `python scripts/settings_doc.py`)."""

from __future__ import annotations

from pathlib import Path

from duluan.core.settings import Settings


def test_every_setting_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "settings.md").read_text("utf-8")
    missing = [name for name in Settings.model_fields if f"`{name}`" not in doc]
    assert missing == [], f"undocumented settings: {missing}; run scripts/settings_doc.py"


def test_env_prefix_and_toml(tmp_path: Path, monkeypatch: object) -> None:
    import pytest

    mp: pytest.MonkeyPatch = monkeypatch  # type: ignore[assignment]
    (tmp_path / "duluan.toml").write_text('store = "elasticsearch"\nworker_batch_size = 7\n')
    mp.chdir(tmp_path)
    mp.setenv("DULUAN_WORKER_BATCH_SIZE", "9")
    s = Settings()
    assert s.store == "elasticsearch"  # from the TOML file
    assert s.worker_batch_size == 9  # the environment wins
