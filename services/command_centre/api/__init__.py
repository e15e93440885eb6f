"""The staff API (contract §5) and the console's static files."""

from fastapi import APIRouter

from services.command_centre.api import (
    caseload,
    endings,
    handover_steps,
    notices,
    person_steps,
    resettlement,
    social,
    staff,
    team,
    views,
    visits,
)
from services.command_centre.api.staff import CONSOLE

MODULES = (staff, views, caseload, endings, notices, team, social, visits, resettlement, handover_steps, person_steps)
router = APIRouter()
for module in MODULES:
    router.include_router(module.router)

__all__ = ["CONSOLE", "MODULES", "router"]
