"""Handover's wired parts and the typed dependencies its routes take (docs/architecture.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.handover.context import HandoverContext
from shared.authority import AuthorityPolicy
from shared.deps import request_parts
from shared.service import ServiceParts


@dataclass
class HandoverParts(ServiceParts):
    ctx: HandoverContext
    authority: AuthorityPolicy


def _parts(request: Request) -> HandoverParts:
    return request_parts(request, HandoverParts)


Parts = Annotated[HandoverParts, Depends(_parts)]
