"""The command centre's projection of alerts.v1 (services/command_centre/handlers.py): every
step the registry has is kept through the projection's store; an older version never wins."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.alerting.domain.alerts import new_alert
from services.alerting.domain.policy import load_alert_policy
from services.command_centre.handlers import handlers
from shared.envelope import IncomingEvent
from shared.events import ALERT_STEPS
from shared.paths import POLICY_DIR
from tests.fakes.alert_projection import FakeAlertProjection
from tests.fakes.uow import FakeUnitOfWork


def _alert(version: int, status: str):
    policy = load_alert_policy(POLICY_DIR)
    alert = new_alert(
        "zone_exit",
        policy.rules["zone_exit"],
        policy,
        person_id=uuid.UUID(int=7),
        cause="c",
        jurisdiction="澄江街道",
        raised_at=datetime(2026, 12, 1, tzinfo=UTC),
        evidence=[],
    )
    return alert.model_copy(update={"version": version, "status": status})


def _event(event_type: str) -> IncomingEvent:
    return IncomingEvent.model_validate(
        {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "/sps/alerting", "type": event_type,
         "time": "2026-12-01T00:00:00Z", "datacontenttype": "application/json", "data": {}}
    )  # fmt: skip


async def test_every_alert_step_is_kept_and_a_late_older_version_does_not_overwrite_a_newer():
    FakeAlertProjection.reset()
    table = handlers(FakeAlertProjection)
    assert set(table) == {f"sps.alert.{step}" for step in ALERT_STEPS}
    uow = FakeUnitOfWork("command_centre")
    acknowledged, raised = _alert(2, "acknowledged"), _alert(1, "open")
    await table["sps.alert.acknowledged"](_event("sps.alert.acknowledged"), acknowledged, uow)
    await table["sps.alert.raised"](_event("sps.alert.raised"), raised, uow)
    assert FakeAlertProjection.kept[raised.alert_id].status == "acknowledged"
    assert FakeAlertProjection.changes == [
        ("sps.alert.acknowledged", raised.alert_id),
        ("sps.alert.raised", raised.alert_id),
    ]
