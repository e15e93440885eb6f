"""Staff accounts and sessions in the command centre's database."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from services.command_centre.adapters.tables import staff_accounts, staff_sessions
from services.command_centre.domain.staff import StaffUser


def _user(row: Any) -> StaffUser:
    return StaffUser(row.username, row.role, row.office, row.password_hash, row.disabled)


class AccountStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def get(self, username: str) -> StaffUser | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(staff_accounts).where(staff_accounts.c.username == username))).first()
        return None if row is None else _user(row)

    async def pin_subject(self, username: str, subject: str) -> bool:
        """The provider's subject of the account: pinned at its first sign-in through the provider;
        True when the account's subject is (now) `subject`."""
        async with self.engine.begin() as conn:
            await conn.execute(
                sa.update(staff_accounts)
                .where(staff_accounts.c.username == username, staff_accounts.c.oidc_subject.is_(None))
                .values(oidc_subject=subject)
            )
            pinned = await conn.scalar(
                sa.select(staff_accounts.c.oidc_subject).where(staff_accounts.c.username == username)
            )
        return pinned == subject

    async def add(self, user: StaffUser) -> bool:
        """A new account; False if the name is taken."""
        stmt = (
            insert(staff_accounts)
            .values(
                username=user.username,
                role=user.role,
                office=user.jurisdiction,
                password_hash=user.password_hash,
                disabled=user.disabled,
            )
            .on_conflict_do_nothing()
            .returning(staff_accounts.c.username)
        )
        async with self.engine.begin() as conn:
            return (await conn.execute(stmt)).first() is not None

    async def update(self, username: str, **values: Any) -> bool:
        """Change an account; its sessions end (a password reset or a disabling takes effect at once)."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                sa.update(staff_accounts)
                .where(staff_accounts.c.username == username)
                .values(**values, updated_at=sa.func.now())
                .returning(staff_accounts.c.username)
            )
            if result.first() is None:
                return False
            await conn.execute(
                sa.update(staff_sessions)
                .where(staff_sessions.c.username == username, staff_sessions.c.revoked_at.is_(None))
                .values(revoked_at=sa.func.now())
            )
        return True

    async def all(self) -> list[StaffUser]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(sa.select(staff_accounts).order_by(staff_accounts.c.username))
        return [_user(r) for r in rows]

    # --- sessions --------------------------------------------------------------------------------

    async def start_session(self, username: str, now: datetime, expires_at: datetime) -> uuid.UUID:
        session_id = uuid.uuid4()
        async with self.engine.begin() as conn:
            await conn.execute(
                sa.insert(staff_sessions).values(
                    session_id=session_id, username=username, started_at=now, expires_at=expires_at, last_active=now
                )
            )
        return session_id

    async def session_user(self, session_id: uuid.UUID, now: datetime) -> tuple[StaffUser, datetime, datetime] | None:
        """The account behind a live session (not ended, not expired, account enabled), when the
        session expires and when it was last used."""
        s, a = staff_sessions.c, staff_accounts.c
        query = (
            sa.select(staff_accounts, s.expires_at, sa.func.coalesce(s.last_active, s.started_at).label("last_active"))
            .join(staff_sessions, s.username == a.username)
            .where(s.session_id == session_id, s.revoked_at.is_(None), s.expires_at > now, a.disabled.is_(False))
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else (_user(row), row.expires_at, row.last_active)

    async def touch_session(self, session_id: uuid.UUID, now: datetime) -> None:
        """Its member of staff used the session just now."""
        async with self.engine.begin() as conn:
            await conn.execute(
                sa.update(staff_sessions).where(staff_sessions.c.session_id == session_id).values(last_active=now)
            )

    async def end_session(self, session_id: uuid.UUID) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                sa.update(staff_sessions)
                .where(staff_sessions.c.session_id == session_id, staff_sessions.c.revoked_at.is_(None))
                .values(revoked_at=sa.func.now())
            )
