"""Alerting service process: `python -m services.alerting.main`."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.alerting.adapters.channels import channels_from_settings
from services.alerting.adapters.notifier import Notifier, Watchdog
from services.alerting.api import router
from services.alerting.domain.policy import load_alert_policy
from services.alerting.handlers import Alerting
from shared import topics
from shared.internal import internal_token
from shared.service import ConsumerSpec, ServiceRuntime, build_app, serve
from shared.settings import ServiceSettings
from shared.timers import TimerLoop

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


class AlertingSettings(ServiceSettings):
    service_name: str = "alerting"
    http_port: int = 8004
    alert_webhooks: str | None = None  # SPS_ALERT_WEBHOOKS: [{"name", "url", "secret", "targets"?}]
    alert_sms: str | None = None       # SPS_ALERT_SMS: {"url", "token", "recipients": {target: [phone]}}
    timer_poll_interval_s: float = 1.0
    watchdog_interval_s: float = 30.0


def create_app(settings: AlertingSettings | None = None) -> FastAPI:
    settings = settings or AlertingSettings()
    policy = load_alert_policy(settings.policy_dir)  # a bad policy file stops the start, naming the line
    channels = channels_from_settings(settings.alert_webhooks, settings.alert_sms)
    alerting = Alerting(policy, {c.name: c.targets for c in channels})
    runtime = ServiceRuntime(settings, migrations=MIGRATIONS)
    runtime.consume(ConsumerSpec(topics=[topics.SUPERVISION_EVENTS, topics.HANDOVER_EVENTS, topics.RISK_EVENTS],
                                 handlers=alerting.table()))
    timers = TimerLoop(runtime.engine, runtime.notify_channel, alerting.timer_handlers(),
                       poll_interval_s=settings.timer_poll_interval_s)
    notifier = Notifier(runtime.engine, runtime.notify_channel, channels, policy)
    watchdog = Watchdog(alerting, notifier, runtime.engine, runtime.notify_channel, policy,
                        interval_s=settings.watchdog_interval_s)
    runtime.background(timers.run)
    runtime.background(notifier.run)
    runtime.background(watchdog.run)
    app = build_app(runtime, router, title="SPS alerting")
    app.state.policy = policy
    app.state.alerting = alerting
    app.state.timers = timers
    app.state.notifier = notifier
    app.state.internal_token = internal_token(settings)
    return app


def main() -> None:
    settings = AlertingSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
