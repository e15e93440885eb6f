"""The kept statistics of final months (month_figures): read, or kept once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from services.command_centre.adapters.tables import month_figures


async def kept(engine: AsyncEngine, month: str) -> dict[str, Any] | None:
    """The month's figures as kept, with when they were, or None."""
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(month_figures).where(month_figures.c.month == month))).mappings().first()
    return None if row is None else {**row["figures"], "kept_at": row["kept_at"].isoformat()}


async def keep(engine: AsyncEngine, month: str, figures: dict[str, Any], at: datetime) -> dict[str, Any]:
    """Keep the month's figures unless they are kept already (another replica, another request
    first); the kept ones, whichever."""
    async with engine.begin() as conn:
        await conn.execute(
            insert(month_figures).values(month=month, figures=figures, kept_at=at).on_conflict_do_nothing()
        )
    found = await kept(engine, month)
    assert found is not None
    return found
