"""The staff API (contract §5) and the console's static files."""

from fastapi import APIRouter

from services.command_centre.api import (
    caseload,
    endings,
    handover_steps,
    leaves,
    notices,
    resettlement,
    social,
    staff,
    team,
    views,
    visits,
)
from services.command_centre.api.staff import CONSOLE

router = APIRouter()
for module in (staff, views, caseload, leaves, endings, notices, team, social, visits, resettlement, handover_steps):
    router.include_router(module.router)

__all__ = ["CONSOLE", "router"]
