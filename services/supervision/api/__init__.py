"""Supervision's internal HTTP API; the command centre's staff API (contract §5) calls it."""

from fastapi import APIRouter

from services.supervision.api import caseload, cases, maps, programmes

router = APIRouter()
for module in (cases, caseload, programmes, maps):
    router.include_router(module.router)
