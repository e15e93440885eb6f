"""Supervision's internal HTTP API; the command centre's staff API (contract §5) calls it."""

from fastapi import APIRouter

from services.supervision.api import caseload, cases, maps, notices, programmes

router = APIRouter()
for module in (cases, caseload, programmes, maps, notices):
    router.include_router(module.router)
