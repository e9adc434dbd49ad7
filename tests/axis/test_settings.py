"""Configuration: defaults, environment over TOML over defaults, clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from axis.settings import CONFIG_FILE_ENV, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AXIS_DATA_DIR", "AXIS_DATABASE_URL", "AXIS_KAFKA_BOOTSTRAP", "AXIS_TOPIC_PREFIX",
                 "AXIS_LISTEN", "AXIS_ENV", "AXIS_LOG_FORMAT", CONFIG_FILE_ENV):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray ./axis.toml


def test_defaults_run_a_demo_node_on_sqlite_in_the_data_dir() -> None:
    settings = load_settings()
    assert settings.data_dir == Path(".axis")
    assert settings.database_url == "sqlite+aiosqlite:///.axis/axis.db"
    assert settings.kafka_bootstrap == "127.0.0.1:9092"
    assert settings.listen_host_port == ("127.0.0.1", 8080)
    assert settings.effective_log_format == "console"


def test_database_default_follows_the_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AXIS_DATA_DIR", "/var/lib/axis")
    assert load_settings().database_url == "sqlite+aiosqlite:////var/lib/axis/axis.db"


def test_environment_wins_over_toml_which_wins_over_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "axis.toml").write_text(
        'topic_prefix = "prov-hn."\nlisten = "0.0.0.0:9000"\nenv = "production"\n'
    )
    monkeypatch.setenv("AXIS_LISTEN", "127.0.0.1:8181")
    settings = load_settings()
    assert settings.topic_prefix == "prov-hn."  # from the file
    assert settings.listen == "127.0.0.1:8181"  # the environment wins
    assert settings.effective_log_format == "json"  # production logs JSON lines


def test_named_config_file_must_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_FILE_ENV, "/nonexistent/axis.toml")
    with pytest.raises(FileNotFoundError, match=r"AXIS_CONFIG names /nonexistent/axis\.toml"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("AXIS_LISTEN", "8080", "AXIS_LISTEN must be host:port"),
        ("AXIS_KAFKA_BOOTSTRAP", "a:9092,b", "AXIS_KAFKA_BOOTSTRAP must be host:port"),
        ("AXIS_TOPIC_PREFIX", "bad prefix/", "AXIS_TOPIC_PREFIX may hold only"),
        ("AXIS_ENV", "staging", "development"),
    ],
)
def test_bad_values_are_refused_with_a_sentence(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        load_settings()


def test_unknown_keys_in_the_toml_file_are_refused(tmp_path: Path) -> None:
    (tmp_path / "axis.toml").write_text('kafka_bootstrapp = "x:1"\n')
    with pytest.raises(ValidationError, match="kafka_bootstrapp"):
        load_settings()
