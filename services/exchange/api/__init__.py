"""The gateway's HTTP API (contract §4). Every route but the token and JWKS needs a scope."""

from fastapi import APIRouter

from services.exchange.api import identities, ingest, tokens, views

router = APIRouter()
router.include_router(tokens.router)
router.include_router(ingest.router)
router.include_router(views.router)
router.include_router(identities.router)
