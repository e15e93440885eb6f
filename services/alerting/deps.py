"""Alerting's wired parts and the typed dependencies its routes take (docs/architecture.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.alerting.adapters.notifier import Notifier
from services.alerting.commands import AlertCommands
from services.alerting.domain.policy import AlertPolicy
from services.alerting.handlers import Alerting
from shared.authority import AuthorityPolicy
from shared.deps import request_parts
from shared.service import ServiceParts
from shared.timers import TimerLoop


@dataclass
class AlertingParts(ServiceParts):
    policy: AlertPolicy
    alerting: Alerting
    timers: TimerLoop
    notifier: Notifier
    authority: AuthorityPolicy
    commands: AlertCommands


def _parts(request: Request) -> AlertingParts:
    return request_parts(request, AlertingParts)


Parts = Annotated[AlertingParts, Depends(_parts)]
