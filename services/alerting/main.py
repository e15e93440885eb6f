"""Alerting service process: `python -m services.alerting.main`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.alerting.adapters.channels import channels_from_settings
from services.alerting.adapters.notifier import Notifier, Watchdog
from services.alerting.api import router
from services.alerting.commands import AlertCommands
from services.alerting.deps import AlertingParts
from services.alerting.domain.policy import load_alert_policy
from services.alerting.handlers import Alerting
from shared.authority import load_authority
from shared.service import ConsumerSpec, ServiceRuntime, build_app, run_service
from shared.settings import ServiceSettings

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


class AlertingSettings(ServiceSettings):
    service_name: str = "alerting"
    http_port: int = 8004
    alert_webhooks: str | None = None  # SPS_ALERT_WEBHOOKS: [{"name", "url", "secret", "targets"?}]
    alert_sms: str | None = None  # SPS_ALERT_SMS: {"url", "token", "recipients": {target: [phone]}}
    timer_poll_interval_s: float = 1.0
    watchdog_interval_s: float = 30.0


def create_app(settings: AlertingSettings | None = None) -> FastAPI:
    settings = settings or AlertingSettings()
    policy = load_alert_policy(settings.policy_dir)  # a bad policy file stops the start, naming the line
    channels = channels_from_settings(settings.alert_webhooks, settings.alert_sms)
    alerting = Alerting(policy, {c.name: c.targets for c in channels})
    runtime = ServiceRuntime(settings, migrations=MIGRATIONS)
    runtime.consume(ConsumerSpec(handlers=alerting.table()))
    timers = runtime.timers(alerting.timer_handlers(), poll_interval_s=settings.timer_poll_interval_s)
    notifier = Notifier(runtime.uow, channels, policy)
    watchdog = Watchdog(alerting, notifier, runtime.uow, policy, interval_s=settings.watchdog_interval_s)
    runtime.background(notifier.run)
    runtime.background(watchdog.run)
    parts = AlertingParts(
        runtime,
        policy,
        alerting,
        timers,
        notifier,
        load_authority(settings.policy_dir),
        AlertCommands(alerting, policy),
    )
    return build_app(runtime, router, title="SPS alerting", parts=parts)


def main() -> None:
    run_service(create_app, AlertingSettings)


if __name__ == "__main__":
    main()
