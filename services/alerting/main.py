"""Alerting service process: `python -m services.alerting.main`."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.alerting.api import router
from services.alerting.domain.policy import load_alert_policy
from services.alerting.handlers import AlertingHandlers
from shared import topics
from shared.service import ConsumerSpec, ServiceRuntime, build_app, serve
from shared.settings import ServiceSettings

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


class AlertingSettings(ServiceSettings):
    service_name: str = "alerting"
    http_port: int = 8004


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or AlertingSettings()
    policy = load_alert_policy(settings.policy_dir)  # a bad policy file stops the start, naming the line
    runtime = ServiceRuntime(settings, migrations=MIGRATIONS)
    runtime.consume(ConsumerSpec(topics=[topics.SUPERVISION_EVENTS], handlers=AlertingHandlers(policy).table()))
    app = build_app(runtime, router, title="SPS alerting")
    app.state.policy = policy
    return app


def main() -> None:
    settings = AlertingSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
