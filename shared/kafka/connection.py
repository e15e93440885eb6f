"""How a client proves who it is to Kafka (contract §6.1): SASL/SCRAM-SHA-512 by default.

Every Kafka client of the platform, services and tools alike, takes its options from
`KafkaAuth.options()`. Services read the contract's variables through their settings; tools and
tests read the same variables from the environment (`KafkaAuth.from_env()`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

PROTOCOLS: tuple[str, ...] = ("PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL")
MECHANISMS: tuple[str, ...] = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")


class KafkaAuthError(RuntimeError):
    """The Kafka credentials are missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class KafkaAuth:
    security_protocol: str = "SASL_PLAINTEXT"
    sasl_mechanism: str = "SCRAM-SHA-512"
    username: str | None = None
    password: str | None = None
    ssl_cafile: str | None = None  # KAFKA_SSL_CAFILE: the cluster's CA, for SSL and SASL_SSL

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> KafkaAuth:
        env = os.environ if environ is None else environ
        return cls(
            security_protocol=env.get("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"),
            sasl_mechanism=env.get("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
            username=env.get("KAFKA_SASL_USERNAME") or None,
            password=env.get("KAFKA_SASL_PASSWORD") or None,
            ssl_cafile=env.get("KAFKA_SSL_CAFILE") or None,
        )

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    def check(self) -> None:
        if self.security_protocol not in PROTOCOLS:
            raise KafkaAuthError(f"KAFKA_SECURITY_PROTOCOL must be one of {', '.join(PROTOCOLS)}")
        if not self.uses_sasl:
            return
        if self.sasl_mechanism not in MECHANISMS:
            raise KafkaAuthError(f"KAFKA_SASL_MECHANISM must be one of {', '.join(MECHANISMS)}")
        if not self.username or not self.password:
            raise KafkaAuthError(
                "Kafka needs a principal: set KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD "
                "(or KAFKA_SECURITY_PROTOCOL=PLAINTEXT for a cluster without authentication)"
            )

    def options(self) -> dict[str, Any]:
        """Keyword arguments for an aiokafka producer, consumer or admin client."""
        self.check()
        options: dict[str, Any] = {"security_protocol": self.security_protocol}
        if self.uses_sasl:
            options |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.username,
                "sasl_plain_password": self.password,
            }
        if self.security_protocol in ("SSL", "SASL_SSL"):
            from aiokafka.helpers import create_ssl_context

            options["ssl_context"] = create_ssl_context(cafile=self.ssl_cafile)
        return options

    def environ(self) -> dict[str, str]:
        """The contract's variables that give a child process this principal."""
        env = {"KAFKA_SECURITY_PROTOCOL": self.security_protocol, "KAFKA_SASL_MECHANISM": self.sasl_mechanism}
        if self.username is not None:
            env["KAFKA_SASL_USERNAME"] = self.username
        if self.password is not None:
            env["KAFKA_SASL_PASSWORD"] = self.password
        return env


def client_options(auth: KafkaAuth | None = None) -> dict[str, Any]:
    """`auth`'s client options; without one, the principal the environment names."""
    return (auth or KafkaAuth.from_env()).options()
