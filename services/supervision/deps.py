"""Supervision's wired parts and the typed dependencies its routes take (docs/architecture.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.supervision.context import SupervisionContext
from shared.authority import AuthorityPolicy
from shared.deps import request_parts
from shared.service import ServiceParts


@dataclass
class Supervision(ServiceParts):
    ctx: SupervisionContext
    authority: AuthorityPolicy


def _parts(request: Request) -> Supervision:
    return request_parts(request, Supervision)


Parts = Annotated[Supervision, Depends(_parts)]
