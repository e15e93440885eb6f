"""Supervision's internal HTTP API; the command centre's staff API (contract §5) calls it."""

from fastapi import APIRouter

from services.supervision.api import caseload, cases, maps, notices, programmes

MODULES = (cases, caseload, programmes, maps, notices)
router = APIRouter()
for module in MODULES:
    router.include_router(module.router)
