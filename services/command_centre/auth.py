"""Staff sign-in and sessions (contract §6.4, docs/security.md).

A sign-in checks the password off the event loop (an unknown name costs the same time), under
the throttle of policy/security.yaml, and starts a session row. The token (a secure, HTTP-only
cookie for the console, or a bearer header for apps) names its session and lives briefly
(`sessions.token_ttl`); the console renews it while the session lasts (`sessions.session_ttl`).
Logging out, disabling the account or resetting its password ends the session at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import jwt
from fastapi import Request

from services.command_centre.adapters.accounts import AccountStore
from services.command_centre.domain.passwords import password_problem
from services.command_centre.domain.staff import StaffUser
from shared.authority import Actor, AuthorityPolicy
from shared.http import ProblemError
from shared.secrets import hash_secret_async, verify_secret_async
from shared.throttle import PasswordPolicy, SessionPolicy, Throttle, address_key, name_key

COOKIE = "sps_session"


class Sessions:
    def __init__(
        self,
        accounts: AccountStore,
        secret: bytes,
        policy: SessionPolicy,
        throttle: Throttle,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        passwords: PasswordPolicy | None = None,
    ) -> None:
        self.passwords = passwords or PasswordPolicy()
        self.accounts = accounts
        self._secret = secret
        self.policy = policy
        self.throttle = throttle
        self.clock = clock

    @property
    def token_ttl_s(self) -> int:
        return int(self.policy.token_ttl.total_seconds())

    def _token(self, user: StaffUser, session_id: uuid.UUID, session_ends: datetime) -> str:
        now = self.clock()
        exp = min(now + self.policy.token_ttl, session_ends)
        claims = {
            "sub": user.username,
            "sid": str(session_id),
            "role": user.role,
            "jur": user.jurisdiction,
            "iat": int(now.timestamp()),
            "exp": int(exp.timestamp()),
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    async def sign_in(self, username: str, password: str, address: str | None) -> tuple[StaffUser, str]:
        """A token for a new session, or 401 (wrong name or password, said the same way) or 429."""
        # Contract §7.2: per name and address together (no one locks an account from elsewhere)
        # and per address; counted before the slow check, so a burst cannot outrun the limit.
        pair, place = name_key(username, address), address_key(address)
        if (wait := self.throttle.attempt(pair, place)) is not None:
            raise ProblemError(
                429,
                "Too Many Requests",
                "too many failed sign-ins; try again later",
                headers={"Retry-After": str(wait)},
            )
        user = await self.accounts.get(username)
        ok = await verify_secret_async(password, user.password_hash if user else None)
        if not ok or user is None or user.disabled:
            self.throttle.failed(pair, place)
            raise ProblemError(401, "Unauthorized", "wrong username or password")
        self.throttle.succeeded(pair, place, clear=(pair,))
        return user, await self._start_session(user)

    async def change_password(self, token: str, current: str, new: str, address: str | None) -> StaffUser:
        """A member of staff changes their own password (L8): the current one checked and throttled
        as a sign-in is, the new one held to the policy; every session of the account then ends,
        this one too, so a stolen session cannot keep going on the old password's strength."""
        user, _, _ = await self.user_for(token)
        pair, place = name_key(user.username, address), address_key(address)
        if (wait := self.throttle.attempt(pair, place)) is not None:
            raise ProblemError(429, "Too Many Requests", "too many failed attempts", headers={"Retry-After": str(wait)})
        if not await verify_secret_async(current, user.password_hash):
            self.throttle.failed(pair, place)
            raise ProblemError(
                403,
                "Forbidden",
                "the current password is wrong",
                errors=[{"field": "current_password", "message": "wrong"}],
            )
        self.throttle.succeeded(pair, place, clear=(pair,))
        if (problem := password_problem(new, user.username, self.passwords)) is not None:
            raise ProblemError(
                422, "Unprocessable Entity", problem, errors=[{"field": "new_password", "message": problem}]
            )
        if new == current:
            raise ProblemError(
                422,
                "Unprocessable Entity",
                "the new password is the current one",
                errors=[{"field": "new_password", "message": "the same as the current one"}],
            )
        await self.accounts.update(user.username, password_hash=await hash_secret_async(new))
        return user

    async def sign_in_verified(self, username: str, subject: str) -> tuple[StaffUser, str]:
        """A token for a new session of someone the bureau's provider has vouched for (oidc.py):
        their account here must exist and be enabled, and it alone says their role and office. The
        provider's subject is pinned at the account's first such sign-in and must match after it
        (L5): a name is a label the provider's users may change, the subject is not."""
        user = await self.accounts.get(username)
        if user is None or user.disabled:
            raise ProblemError(401, "Unauthorized", f"no enabled staff account {username!r} here; ask an operator")
        if not await self.accounts.pin_subject(username, subject):
            raise ProblemError(
                401, "Unauthorized", f"{username!r} signs in here as another account of the provider; ask an operator"
            )
        return user, await self._start_session(user)

    async def _start_session(self, user: StaffUser) -> str:
        now = self.clock()
        ends = now + self.policy.session_ttl
        session_id = await self.accounts.start_session(user.username, now, ends)
        return self._token(user, session_id, ends)

    def _claims(self, token: str) -> dict:
        try:
            return jwt.decode(token, self._secret, algorithms=["HS256"], options={"require": ["exp", "sub", "sid"]})
        except jwt.PyJWTError as exc:
            raise ProblemError(401, "Unauthorized", f"session not valid: {exc}") from None

    def token_looks_valid(self, token: str) -> bool:
        """Signed by us and not expired (the session itself is checked by the route)."""
        try:
            self._claims(token)
        except ProblemError:
            return False
        return True

    async def user_for(self, token: str, *, used: bool = True) -> tuple[StaffUser, uuid.UUID, datetime]:
        """The member of staff behind a token whose session is live; `used` when the request is
        their own doing (a renewal the console makes on its own is not)."""
        claims = self._claims(token)
        session_id = uuid.UUID(claims["sid"])
        user, ends = await self._live(session_id, used=used)
        return user, session_id, ends

    async def _live(self, session_id: uuid.UUID, *, used: bool) -> tuple[StaffUser, datetime]:
        """A session ends when it expires, is ended, or has not been used for the role's idle time
        (L8, docs/security.md); then it stays ended."""
        now = self.clock()
        live = await self.accounts.session_user(session_id, now)
        if live is None:
            raise ProblemError(401, "Unauthorized", "the session has ended; sign in again")
        user, ends, last_active = live
        idle = self.policy.idle_for(user.role)
        if now - last_active > idle:
            await self.accounts.end_session(session_id)
            minutes = int(idle.total_seconds() // 60)
            raise ProblemError(401, "Unauthorized", f"the session was not used for {minutes} minutes; sign in again")
        if used and now - last_active >= self.policy.idle_touch:
            await self.accounts.touch_session(session_id, now)
        return user, ends

    def session_of(self, token: str) -> uuid.UUID:
        """The session a valid token belongs to (a live feed keeps following the session, not
        the short-lived token it was opened with, which the console renews)."""
        return uuid.UUID(self._claims(token)["sid"])

    async def live_user(self, session_id: uuid.UUID) -> StaffUser | None:
        """The account behind a session still live (not ended, not expired, not idle, account
        enabled). Watching a feed is no use of the session."""
        try:
            user, _ = await self._live(session_id, used=False)
        except ProblemError:
            return None
        return user

    async def renew(self, token: str, *, used: bool = False) -> str:
        """A fresh short-lived token for a session that is still live; `used` when the console saw
        its member of staff at the keyboard or pointer since the last renewal."""
        user, session_id, ends = await self.user_for(token, used=used)
        return self._token(user, session_id, ends)

    async def sign_out(self, token: str) -> None:
        try:
            claims = self._claims(token)
        except ProblemError:
            return  # nothing to end
        await self.accounts.end_session(uuid.UUID(claims["sid"]))


def token_of(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    kind, _, token = header.partition(" ")
    if kind.lower() == "bearer" and token:
        return token.strip()
    return request.cookies.get(COOKIE)


async def actor_for(request: Request, sessions: Sessions, authority: AuthorityPolicy) -> Actor:
    """The member of staff behind this request (bearer token or session cookie), as an `Actor`."""
    token = token_of(request)
    if token is None:
        raise ProblemError(401, "Unauthorized", "log in first", headers={"WWW-Authenticate": "Bearer"})
    user, _, _ = await sessions.user_for(token)
    return Actor(user.username, user.role, user.jurisdiction, policy=authority)
