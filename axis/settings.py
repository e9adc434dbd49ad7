"""The node's configuration: `AXIS_*` variables over an optional TOML file over defaults."""

from __future__ import annotations

import os
import re
import socket
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

if TYPE_CHECKING:
    from orgcodes.heartbeat import Limits

CONFIG_FILE_ENV = "AXIS_CONFIG"
"""Names the TOML file to read; without it `./axis.toml` is read when it exists."""

DEFAULT_CONFIG_FILE = Path("axis.toml")

DEFAULT_KAFKA_VERSION = "4.1.1"
"""The Apache Kafka release the node is built and tested against."""


def default_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/axis`, or `~/.cache/axis`."""
    return Path(os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache"))) / "axis"


def config_file() -> Path | None:
    """The TOML file the settings come from, if any.

    An explicitly named file that does not exist is an error (a typo must not silently fall
    back to defaults); the implicit `./axis.toml` is optional.
    """
    named = os.environ.get(CONFIG_FILE_ENV)
    if named:
        path = Path(named)
        if not path.is_file():
            raise FileNotFoundError(f"{CONFIG_FILE_ENV} names {path}, which is not a readable file")
        return path
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None


def split_host_port(value: str, *, what: str) -> tuple[str, int]:
    """Split `host:port` (IPv6 hosts in brackets), refusing anything else with a clear sentence."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{what} must be host:port (for example 127.0.0.1:8080), got {value!r}")
    return host.strip("[]"), int(port)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str, *, what: str) -> timedelta:
    """`30s`, `5m`, `1h`, `2d` (a whole number and one unit) as a timedelta."""
    value = text.strip()
    number, unit = value[:-1], value[-1:]
    if unit not in _UNITS or not number.isdigit() or int(number) <= 0:
        raise ValueError(
            f"{what} must be a positive whole number with a unit s, m, h or d "
            f"(for example 30s or 6h), got {text!r}"
        )
    return timedelta(seconds=int(number) * _UNITS[unit])


def parse_durations(text: str, *, what: str) -> tuple[timedelta, ...]:
    """A comma-separated list of durations (see `parse_duration`)."""
    parts = [part for part in text.split(",") if part.strip()]
    if not parts:
        raise ValueError(f"{what} needs at least one duration, got {text!r}")
    return tuple(parse_duration(part, what=what) for part in parts)


class Settings(BaseSettings):
    """Every setting of a node, with the default a single demo node runs on.

    Each field is read from the environment as `AXIS_<NAME>` (e.g. `AXIS_DATA_DIR`) or from the
    TOML file as `<name>` (e.g. `data_dir = "/var/lib/axis"`).
    """

    model_config = SettingsConfigDict(env_prefix="AXIS_", extra="forbid", validate_default=True)

    env: Literal["development", "production"] = Field(
        default="development",
        description="development: readable console logs; production: JSON lines.",
    )
    data_dir: Path = Field(
        default=Path(".axis"),
        description="Where the node keeps its SQLite database, large payloads and local broker.",
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means a SQLite file `axis.db` in the data dir. "
        "PostgreSQL: postgresql+asyncpg://user:password@host:5432/axis",
    )
    database_schema: str | None = Field(
        default=None,
        description="PostgreSQL only: the schema holding the node's tables (several nodes or "
        "test runs can share one database). Default: the connection's search_path.",
    )
    kafka_bootstrap: str = Field(
        default="127.0.0.1:9092",
        description="Kafka bootstrap servers, comma-separated host:port.",
    )
    topic_prefix: str = Field(
        default="axis.",
        description="Prefix of every topic the node creates, so several axes can share a cluster.",
    )
    listen: str = Field(default="127.0.0.1:8080", description="host:port of the HTTP API.")
    processes: int = Field(
        default=0,
        ge=0,
        description="Node processes `axis serve` runs behind its port (0: one per core). Each "
        "is a whole node (HTTP API and workers); see `axis.node.processes`.",
    )
    secret_key_file: Path | None = Field(
        default=None,
        description="The node's secret key (seals HMAC clients' secrets, signs dashboard "
        "sessions); created on first use. Default: <data_dir>/node-secret.key. Every process "
        "of a node must read the same file.",
    )
    tls_cert_file: Path | None = Field(
        default=None,
        description="PEM certificate (chain) the HTTP server presents: with tls_key_file, the "
        "node serves HTTPS itself.",
    )
    tls_key_file: Path | None = Field(
        default=None, description="PEM private key of tls_cert_file (unencrypted)."
    )
    notice_key_file: Path | None = Field(
        default=None,
        description="PEM private key (unencrypted, mode 0600) the node signs its 02 notices "
        "with; with notice_cert_file, whose certificate the trust store authorizes as "
        "axis-notices (axis trust add axis-notices CERT). Unset: notices go unsigned.",
    )
    notice_cert_file: Path | None = Field(
        default=None, description="PEM certificate of notice_key_file."
    )
    pkcs11_module: Path | None = Field(
        default=None,
        description="PKCS#11 library of the token holding agency keys (e.g. "
        "/usr/lib/softhsm/libsofthsm2.so); with pkcs11_token and pkcs11_pin_file.",
    )
    pkcs11_token: str | None = Field(default=None, description="The token's label.")
    pkcs11_pin_file: Path | None = Field(
        default=None, description="A file (mode 0600) holding the token's user PIN."
    )
    tls_client_ca_file: Path | None = Field(
        default=None,
        description="PEM certificate(s) of the authorities whose client certificates the node "
        "accepts: enables client-certificate authentication (mutual TLS).",
    )
    tls_client_cert: Literal["required", "optional"] = Field(
        default="required",
        description="With tls_client_ca_file: whether every connection must present a client "
        "certificate (required), or only clients bound to one (optional).",
    )
    auth_failures_per_address: int = Field(
        default=20,
        ge=1,
        description="Failed authentications from one address within auth_failure_window after "
        "which that address is refused (429) until the window has passed.",
    )
    auth_failures_per_client: int = Field(
        default=10,
        ge=1,
        description="The same, per client id claimed (the SDK's systemid, the dashboard's "
        "client id).",
    )
    auth_failure_window: str = Field(
        default="5m", description="The sliding window failed authentications are counted in."
    )
    dashboard_idle_timeout: str = Field(
        default="30m",
        description="A dashboard session not used for this long ends (it ends after 8 hours in "
        "any case).",
    )
    compat_prefix: str = Field(
        default="/vxp",
        description="Path prefix of the national SDK's operations (its `endpoint` is "
        "http://host:port<prefix>).",
    )
    node_id: str = Field(
        default_factory=socket.gethostname,
        description="Name of this node process in logs, hop traces and tracking events.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO")
    log_format: Literal["auto", "console", "json"] = Field(
        default="auto", description="auto: json when env is production, console otherwise."
    )
    kafka_version: str = Field(
        default=DEFAULT_KAFKA_VERSION,
        description="Apache Kafka release that `axis broker` assembles from Maven artifacts.",
    )
    cache_dir: Path = Field(
        default_factory=default_cache_dir,
        description="Where assembled Kafka releases are cached (shared by all nodes of a user).",
    )

    partitions: int = Field(
        default=6, ge=1, description="Partitions of the deliveries, retry and tracking topics."
    )
    replication_factor: int = Field(
        default=1, ge=1, description="Replicas of every topic (3 on a production cluster)."
    )
    retry_delays: str = Field(
        default="30s,5m,1h,6h",
        description="Waits of the retry tiers, growing; units s, m, h, d.",
    )
    retry_horizon: str = Field(
        default="48h", description="How long a delivery is retried before it is dead-lettered."
    )
    certificate_warning_days: int = Field(
        default=30, ge=0, le=3650,
        description="Certificates of the trust store expiring within this many days are listed "
        "by `axis trust expiring`, on the dashboard and in the metrics.",
    )  # fmt: skip
    inbox_handover_grace: str = Field(
        default="24h",
        description="How long after its code closes a unit's system may still fetch what waits in "
        "its inbox; then each unfetched item moves to the successor's inbox.",
    )
    closed_code_signing_grace: str = Field(
        default="24h",
        description="How long after its code closes a certificate authorized for it (or the "
        "agency key the node holds for it) still signs packets From it: those signed just "
        "before the change and sent after it. Later ones are refused with SIGNER_CODE_CLOSED.",
    )
    delivery_retention: str = Field(
        default="14d", description="How long the deliveries and tracking topics keep records."
    )
    worker_stall_seconds: float = Field(
        default=15.0,
        gt=0,
        description="A worker that makes no progress this long while work waits (batches "
        "failing, records waiting and none arriving) rebuilds its Kafka clients and reports "
        "not ready meanwhile.",
    )
    submission_limit: int = Field(
        default=32,
        ge=1,
        description="Submissions (POST /v1/packets, sendEdoc) in progress per process; past it "
        "the process answers 503 NODE_BUSY with Retry-After at once, before reading the body.",
    )
    max_delivery_delay_seconds: float = Field(
        default=2.0,
        ge=0,
        description="While the delivery worker of a process is this many seconds behind (the "
        "oldest delivery waiting on its partitions), the process answers new submissions "
        "503 NODE_BUSY with Retry-After instead of queueing them (0: never).",
    )
    push_timeout: float = Field(
        default=30.0, gt=0, description="Seconds a push endpoint has to answer."
    )
    signature_legacy_sha1: bool = Field(
        default=False,
        description="Accept packets signed with rsa-sha1 / sha1 digests (old senders). Off: "
        "such packets are refused with SIGNATURE_ALGORITHM_FORBIDDEN.",
    )

    registry_mode: Literal["standalone", "authority", "follower"] = Field(
        default="standalone",
        description="standalone: change sets are applied here and go nowhere (a demo node). "
        "authority: the Government Office's node; what is applied here is published on the "
        "registry topic. follower: the node refuses local changes and applies what is published.",
    )
    registry_authority_cert: Path | None = Field(
        default=None,
        description="PEM file with the registry authority's certificate(s); snapshots must be "
        "signed by one of them.",
    )
    registry_key: Path | None = Field(
        default=None, description="Authority only: the private key (PEM) that signs snapshots."
    )
    registry_cert: Path | None = Field(
        default=None, description="Authority only: the certificate (PEM) of registry_key."
    )
    registry_heartbeat_seconds: float = Field(
        default=5.0, gt=0, le=3600,
        description="Authority: how often it publishes its signed heartbeat.",
    )  # fmt: skip
    registry_heartbeat_degraded: str = Field(
        default="30s",
        description="Follower: the node reports its registry degraded when the authority's last "
        "heartbeat is older than this.",
    )
    registry_heartbeat_stale: str = Field(
        default="15m",
        description="Follower: past this without a heartbeat, a recipient the registry would "
        "reject is refused for now (REGISTRY_STALE, retry later) instead of answered with a 02.",
    )
    registry_max_age: str = Field(
        default="1h",
        description="The node reports itself degraded when its registry copy was last known "
        "current longer ago than this.",
    )
    registry_snapshot_source: str = Field(
        default="",
        description="Where a follower gets the latest signed snapshot when versions are "
        "missing: a snapshot file, or a directory holding registry-snapshot.json.",
    )
    registry_snapshot_dir: Path | None = Field(
        default=None,
        description="Authority only: where a signed snapshot is written after each change set "
        "(default: <data_dir>/registry when registry_key is set).",
    )

    @field_validator("retry_delays")
    @classmethod
    def _delays_grow(cls, value: str) -> str:
        delays = parse_durations(value, what="AXIS_RETRY_DELAYS")
        if list(delays) != sorted(set(delays)):
            raise ValueError(
                f"AXIS_RETRY_DELAYS must grow from one tier to the next, got {value!r}"
            )
        return value

    @field_validator(
        "retry_horizon",
        "delivery_retention",
        "registry_max_age",
        "registry_heartbeat_degraded",
        "registry_heartbeat_stale",
        "auth_failure_window",
        "dashboard_idle_timeout",
        "inbox_handover_grace",
        "closed_code_signing_grace",
    )
    @classmethod
    def _is_duration(cls, value: str) -> str:
        parse_duration(value, what="a duration setting")
        return value

    @property
    def auth_failure_window_value(self) -> timedelta:
        return parse_duration(self.auth_failure_window, what="AXIS_AUTH_FAILURE_WINDOW")

    @property
    def dashboard_idle_timeout_value(self) -> timedelta:
        return parse_duration(self.dashboard_idle_timeout, what="AXIS_DASHBOARD_IDLE_TIMEOUT")

    @property
    def tls(self) -> bool:
        """Whether the HTTP server serves TLS."""
        return self.tls_cert_file is not None

    @property
    def registry_max_age_value(self) -> timedelta:
        return parse_duration(self.registry_max_age, what="AXIS_REGISTRY_MAX_AGE")

    @property
    def registry_snapshot_directory(self) -> Path | None:
        """Where the authority writes its signed snapshots, if it signs them."""
        if self.registry_snapshot_dir is not None:
            return self.registry_snapshot_dir
        return self.data_dir / "registry" if self.registry_key is not None else None

    @property
    def secret_key_path(self) -> Path:
        return self.secret_key_file or self.data_dir / "node-secret.key"

    @property
    def retry_delay_values(self) -> tuple[timedelta, ...]:
        return parse_durations(self.retry_delays, what="AXIS_RETRY_DELAYS")

    @property
    def retry_horizon_value(self) -> timedelta:
        return parse_duration(self.retry_horizon, what="AXIS_RETRY_HORIZON")

    @property
    def heartbeat_limits(self) -> Limits | None:
        """How old the authority's heartbeat may get on a follower (None elsewhere)."""
        from orgcodes.heartbeat import Limits

        if self.registry_mode != "follower":
            return None
        return Limits(
            degraded=parse_duration(
                self.registry_heartbeat_degraded, what="AXIS_REGISTRY_HEARTBEAT_DEGRADED"
            ),
            stale=parse_duration(
                self.registry_heartbeat_stale, what="AXIS_REGISTRY_HEARTBEAT_STALE"
            ),
        )

    @property
    def inbox_handover_grace_value(self) -> timedelta:
        return parse_duration(self.inbox_handover_grace, what="AXIS_INBOX_HANDOVER_GRACE")

    @property
    def closed_code_signing_grace_value(self) -> timedelta:
        return parse_duration(self.closed_code_signing_grace, what="AXIS_CLOSED_CODE_SIGNING_GRACE")

    @property
    def delivery_retention_value(self) -> timedelta:
        return parse_duration(self.delivery_retention, what="AXIS_DELIVERY_RETENTION")

    @field_validator("compat_prefix")
    @classmethod
    def _prefix_is_a_path(cls, value: str) -> str:
        if not re.fullmatch(r"(/[A-Za-z0-9._~-]+)*", value):
            raise ValueError(
                f"compat_prefix must be empty or a path like /vxp (no trailing '/'), got {value!r}"
            )
        return value

    @field_validator("listen")
    @classmethod
    def _listen_is_host_port(cls, value: str) -> str:
        split_host_port(value, what="AXIS_LISTEN")
        return value

    @field_validator("kafka_bootstrap")
    @classmethod
    def _bootstrap_is_host_ports(cls, value: str) -> str:
        for server in value.split(","):
            split_host_port(server.strip(), what="AXIS_KAFKA_BOOTSTRAP")
        return value

    @field_validator("database_schema")
    @classmethod
    def _schema_is_an_identifier(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", value):
            raise ValueError(
                "AXIS_DATABASE_SCHEMA must be a plain SQL identifier (letters, digits, '_', "
                f"at most 63, not starting with a digit), got {value!r}"
            )
        return value

    @field_validator("topic_prefix")
    @classmethod
    def _prefix_is_a_legal_topic_start(cls, value: str) -> str:
        allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        if not set(value) <= allowed:
            raise ValueError(
                "AXIS_TOPIC_PREFIX may hold only letters, digits, '.', '_' and '-' "
                f"(Kafka topic names), got {value!r}"
            )
        return value

    @model_validator(mode="after")
    def _registry_key_with_its_certificate(self) -> Settings:
        if (self.registry_key is None) != (self.registry_cert is None):
            raise ValueError(
                "AXIS_REGISTRY_KEY and AXIS_REGISTRY_CERT go together: set both (the authority "
                "signs snapshots) or neither"
            )
        return self

    @model_validator(mode="after")
    def _pkcs11_settings_together(self) -> Settings:
        given = [self.pkcs11_module, self.pkcs11_token, self.pkcs11_pin_file]
        if any(v is not None for v in given) and not all(v is not None for v in given):
            raise ValueError(
                "AXIS_PKCS11_MODULE, AXIS_PKCS11_TOKEN and AXIS_PKCS11_PIN_FILE go together: set "
                "all three (agency keys in a PKCS#11 token) or none"
            )
        return self

    @model_validator(mode="after")
    def _notice_key_with_its_certificate(self) -> Settings:
        if (self.notice_key_file is None) != (self.notice_cert_file is None):
            raise ValueError(
                "AXIS_NOTICE_KEY_FILE and AXIS_NOTICE_CERT_FILE go together: set both (the node "
                "signs its 02 notices) or neither"
            )
        return self

    @model_validator(mode="after")
    def _tls_key_with_its_certificate(self) -> Settings:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError(
                "AXIS_TLS_CERT_FILE and AXIS_TLS_KEY_FILE go together: set both (the node "
                "serves HTTPS) or neither"
            )
        if self.tls_client_ca_file is not None and self.tls_cert_file is None:
            raise ValueError(
                "AXIS_TLS_CLIENT_CA_FILE needs TLS: set AXIS_TLS_CERT_FILE and AXIS_TLS_KEY_FILE "
                "too (client certificates are presented in the TLS handshake)"
            )
        return self

    @model_validator(mode="after")
    def _default_database_in_data_dir(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / 'axis.db'}"
        return self

    @property
    def effective_log_format(self) -> Literal["console", "json"]:
        if self.log_format == "auto":
            return "json" if self.env == "production" else "console"
        return self.log_format

    @property
    def listen_host_port(self) -> tuple[str, int]:
        return split_host_port(self.listen, what="AXIS_LISTEN")

    @property
    def bootstrap_servers(self) -> list[str]:
        return [server.strip() for server in self.kafka_bootstrap.split(",")]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml = config_file()
        if toml is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml))
        return tuple(sources)


def load_settings(**overrides: object) -> Settings:
    """Read the settings once at start-up (never at import)."""
    return Settings(**overrides)  # type: ignore[arg-type]
