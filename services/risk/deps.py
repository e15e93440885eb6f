"""Risk's wired parts and the typed dependencies its routes take (docs/architecture.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from services.risk.context import RiskContext
from shared.authority import AuthorityPolicy
from shared.deps import request_parts
from shared.service import ServiceParts


@dataclass
class RiskParts(ServiceParts):
    ctx: RiskContext
    policy_dir: Path  # other instrument versions are loaded from here for re-scoring
    authority: AuthorityPolicy


def _parts(request: Request) -> RiskParts:
    return request_parts(request, RiskParts)


Parts = Annotated[RiskParts, Depends(_parts)]
