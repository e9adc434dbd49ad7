"""The demo's topics have a prefix of its own data directory (issue 14, finding 9), so a demo
never shares consumer groups with another node on the broker; AXIS_TOPIC_PREFIX still rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from axis.devtools.demo import demo_settings
from axis.settings import load_settings


@pytest.fixture(autouse=True)
def _no_prefix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("AXIS_TOPIC_PREFIX", raising=False)
    monkeypatch.delenv("AXIS_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)  # no ./axis.toml


def test_the_demo_prefix_is_the_data_directorys_own_and_the_same_every_run(
    tmp_path: Path,
) -> None:
    first = demo_settings(load_settings(data_dir=tmp_path / "a"))
    again = demo_settings(load_settings(data_dir=tmp_path / "a"))
    other = demo_settings(load_settings(data_dir=tmp_path / "b"))
    assert first.topic_prefix.startswith("axis-demo-") and first.topic_prefix.endswith(".")
    assert first.topic_prefix != load_settings().topic_prefix  # not the default "axis."
    assert again.topic_prefix == first.topic_prefix
    assert other.topic_prefix != first.topic_prefix
    relative = demo_settings(load_settings(data_dir=Path("a")))  # resolved from the cwd
    assert relative.topic_prefix == first.topic_prefix


def test_a_prefix_set_explicitly_is_kept(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AXIS_TOPIC_PREFIX", "axis.")
    assert demo_settings(load_settings(data_dir=tmp_path)).topic_prefix == "axis."
    monkeypatch.delenv("AXIS_TOPIC_PREFIX")
    (tmp_path / "axis.toml").write_text('topic_prefix = "mine."\n')
    assert demo_settings(load_settings(data_dir=tmp_path)).topic_prefix == "mine."
