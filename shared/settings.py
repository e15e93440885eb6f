"""Settings from the environment (pydantic-settings), one shape for every service.

`KAFKA_BOOTSTRAP_SERVERS` and `DATABASE_URL` keep the contract's names; everything else of
ours is prefixed `SPS_`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from shared.kafka.connection import KafkaAuth
from shared.paths import POLICY_DIR
from shared.service_tokens import SIGNING_FILE, VERIFY_FILE, ServiceTokens, callers_of, load_private, load_verify_keys

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SPS_", extra="ignore", populate_by_name=True)

    service_name: str = "unnamed"
    http_host: str = "127.0.0.1"
    http_port: int = 0
    # Contract §7.2: the addresses (or networks, "10.0.0.0/8") of the proxies whose
    # X-Forwarded-For names the client, comma-separated. Empty: no header is believed, and
    # the client is the connection's peer. Behind an ingress, name the ingress here: else every
    # client shares its address, and one guesser's failures throttle everyone.
    trusted_proxies: str = ""  # SPS_TRUSTED_PROXIES
    # Contract §7.3: a public service (the gateway) serves `/internal/` only on this port, and
    # nothing but `/internal/` and its probes there. 0: one port for all (a service no one outside
    # reaches).
    internal_port: int = 0  # SPS_INTERNAL_PORT

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "SPS_KAFKA_BOOTSTRAP_SERVERS")
    )
    # Contract §6.1: SASL/SCRAM-SHA-512 with a principal per service.
    kafka_security_protocol: str = Field(
        "SASL_PLAINTEXT", validation_alias=AliasChoices("KAFKA_SECURITY_PROTOCOL", "SPS_KAFKA_SECURITY_PROTOCOL")
    )
    kafka_sasl_mechanism: str = Field(
        "SCRAM-SHA-512", validation_alias=AliasChoices("KAFKA_SASL_MECHANISM", "SPS_KAFKA_SASL_MECHANISM")
    )
    kafka_sasl_username: str | None = Field(
        None, validation_alias=AliasChoices("KAFKA_SASL_USERNAME", "SPS_KAFKA_SASL_USERNAME")
    )
    kafka_sasl_password: SecretStr | None = Field(
        None, validation_alias=AliasChoices("KAFKA_SASL_PASSWORD", "SPS_KAFKA_SASL_PASSWORD")
    )
    kafka_ssl_cafile: str | None = Field(
        None, validation_alias=AliasChoices("KAFKA_SSL_CAFILE", "SPS_KAFKA_SSL_CAFILE")
    )
    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias=AliasChoices("DATABASE_URL", "SPS_DATABASE_URL"))
    # One database per service on the server DATABASE_URL names; override the name if needed.
    database_name: str | None = None
    # SPS_MIGRATION_DATABASE_URL: the role that owns the service's database and runs its migrations.
    # The service itself then connects as DATABASE_URL's role, which the migration grants only the
    # reading and writing of rows (docs/security.md, M2). Unset: one role does both.
    migration_database_url: str | None = None
    # The roles' passwords apart from their URLs, where a secret store keeps them so (Kubernetes).
    database_password: SecretStr | None = None  # SPS_DATABASE_PASSWORD
    migration_database_password: SecretStr | None = None  # SPS_MIGRATION_DATABASE_PASSWORD

    # 12 partitions: up to 12 replicas of a consumer share the work (and every topic has the same
    # count, so range assignment keeps a person's records of every topic on one replica).
    topic_partitions: int = 12
    topic_replication_factor: int = 1

    # Demo mode enables the contract's demo clients and staff logins, and demo keys.
    demo_mode: bool = False
    # Service-to-service tokens (shared/service_tokens.py): this service's Ed25519 private key
    # (PEM) and the public keys of the services it trusts ({"command_centre": PEM}).
    service_signing_key: SecretStr | None = None  # SPS_SERVICE_SIGNING_KEY
    service_verify_keys: str | None = None  # SPS_SERVICE_VERIFY_KEYS
    # Or a folder holding both (signing.pem, verify.json): docker-compose's per-install keys, made
    # by `python -m shared.service_tokens keys-dir`, each service mounting only its own folder.
    service_keys_dir: Path | None = None  # SPS_SERVICE_KEYS_DIR
    policy_dir: Path = POLICY_DIR
    # Where the other services answer (the devstack and docker-compose set these).
    alerting_url: str = "http://127.0.0.1:8004"
    supervision_url: str = "http://127.0.0.1:8001"
    risk_url: str = "http://127.0.0.1:8003"
    handover_url: str = "http://127.0.0.1:8002"
    exchange_url: str = "http://127.0.0.1:8080"  # its internal API: the identity vault, for printed documents

    # One poll (every assigned partition) is one transaction: 2,000 records keep it near 100 ms of
    # work at the measured ~50 µs a fix, and make 12 partitions cost no more round trips than 1.
    consumer_max_records: int = 2000
    # Where a consumer group new to a topic starts. "earliest" in production: nothing published
    # before a service first started is skipped. Tests of a second instance may start at "latest".
    consumer_offset_reset: Literal["earliest", "latest"] = "earliest"
    consumer_retry_max_attempts: int = 5
    # A consumer's start waits for its group's assignment, which the broker hands out within its
    # rebalance timeout (10 s by default). One still waiting after this long is stuck, not slow:
    # it is closed and a new one joins, rather than leave the service unready for good.
    consumer_join_timeout_s: float = 60.0
    consumer_retry_backoff_s: float = 0.2
    # A record larger than this is dead-lettered unread: the biggest real event (a court order)
    # is a few KB, and a runaway one must not stall a batch or a service's memory.
    consumer_max_record_bytes: int = 256 * 1024
    # What a consumer buffers per partition ahead of its handlers (aiokafka's default is 1 MiB):
    # 12 partitions × 256 KiB still hold more than a poll of 2,000 fixes (~1 MB), and a backlog
    # no longer parks 12 MB of raw records in every consumer (docs/performance.md, section 5).
    # A record bigger than this is still fetched, alone.
    consumer_max_partition_fetch_bytes: int = 256 * 1024
    # How long the producer holds a partition's batch open for more records. What the services
    # send comes in batches already (an outbox relay's rows, a gateway request's fixes, each
    # partition's built whole), so waiting adds latency to every hop and batches nothing more.
    kafka_linger_ms: int = 0
    outbox_poll_interval_s: float = 1.0
    # The cyclic garbage collector's generation thresholds. CPython's default first threshold
    # (700 net allocations) collects dozens of times per poll of 2,000 records, promoting the
    # poll's short-lived objects to the oldest generation, whose full collections then walk
    # every live case: 32 % of supervision's CPU at 100k persons (docs/performance.md, section 4).
    gc_thresholds: tuple[int, int, int] = (50_000, 20, 100)

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: str) -> str:
        """Each entry an address or a network: uvicorn would take a typo for a literal host name
        and quietly believe no proxy."""
        import ipaddress

        for entry in (e.strip() for e in value.split(",")):
            if not entry:
                continue
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"SPS_TRUSTED_PROXIES: {entry!r} is not an IP address or network") from None
        return value

    @field_validator("database_url", "migration_database_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        """A plain `postgresql://` URI (as CloudNativePG's app secret gives) gets the asyncpg driver."""
        if value is None:
            return None
        for plain in ("postgresql://", "postgres://"):
            if value.startswith(plain):
                return "postgresql+asyncpg://" + value[len(plain) :]
        return value

    def kafka_auth(self) -> KafkaAuth:
        password = self.kafka_sasl_password
        return KafkaAuth(
            security_protocol=self.kafka_security_protocol,
            sasl_mechanism=self.kafka_sasl_mechanism,
            username=self.kafka_sasl_username,
            password=password.get_secret_value() if password is not None else None,
            ssl_cafile=self.kafka_ssl_cafile,
        )

    def _url(self, raw: str, password: SecretStr | None, *, own_database: bool) -> str:
        url = make_url(raw)
        if password is not None:
            url = url.set(password=password.get_secret_value())
        if own_database:
            url = url.set(database=self.database_name or f"sps_{self.service_name}")
        return url.render_as_string(hide_password=False)

    @property
    def service_database_url(self) -> str:
        return self._url(self.database_url, self.database_password, own_database=True)

    @property
    def maintenance_database_url(self) -> str:
        return self._url(self.database_url, self.database_password, own_database=False)

    @property
    def service_migration_database_url(self) -> str | None:
        """The service's own database, as the migration role (None: DATABASE_URL's role migrates)."""
        if self.migration_database_url is None:
            return None
        return self._url(self.migration_database_url, self.migration_database_password, own_database=True)

    @property
    def migration_maintenance_url(self) -> str:
        """Where the service's database is looked for (and made, if that role may)."""
        if self.migration_database_url is None:
            return self.maintenance_database_url
        return self._url(self.migration_database_url, self.migration_database_password, own_database=False)


MIN_SECRET_BYTES = 32  # an HMAC or signing secret shorter than its hash's output is guessable sooner


def long_enough(name: str, value: SecretStr | None) -> SecretStr | None:
    """A secret setting of at least MIN_SECRET_BYTES, or a clear error naming it (checked at start)."""
    if value is not None and len(value.get_secret_value().encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"{name} must be at least {MIN_SECRET_BYTES} bytes long")
    return value


def service_tokens(settings: ServiceSettings) -> ServiceTokens:
    """This service's token signer and verifier; only demo mode has default keys."""
    if settings.service_keys_dir is not None and settings.service_signing_key is None:
        folder = settings.service_keys_dir
        try:
            signing, verify = (folder / SIGNING_FILE).read_text(), (folder / VERIFY_FILE).read_text()
        except OSError as exc:
            raise RuntimeError(f"SPS_SERVICE_KEYS_DIR={folder}: {exc.strerror}: {exc.filename}") from None
        settings = settings.model_copy(
            update={"service_signing_key": SecretStr(signing), "service_verify_keys": verify, "service_keys_dir": None}
        )
    if settings.service_signing_key is None and settings.service_verify_keys is None and settings.demo_mode:
        return ServiceTokens.demo(settings.service_name)
    if settings.service_signing_key is None or settings.service_verify_keys is None:
        raise RuntimeError(
            "SPS_SERVICE_SIGNING_KEY and SPS_SERVICE_VERIFY_KEYS are not set (only demo mode has default "
            "service keys; python -m shared.service_tokens keys makes a set)"
        )
    # Only the keys of the services that call this one count, whatever the setting holds.
    callers = callers_of(settings.service_name)
    trusted = {s: k for s, k in load_verify_keys(settings.service_verify_keys).items() if s in callers}
    return ServiceTokens(settings.service_name, load_private(settings.service_signing_key.get_secret_value()), trusted)
