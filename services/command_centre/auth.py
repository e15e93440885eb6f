"""Staff sessions: a signed token in a secure, HTTP-only cookie (or a bearer header for apps)."""

from __future__ import annotations

import time

import jwt
from fastapi import Request

from services.command_centre.domain.staff import StaffUser
from shared.authority import Actor, AuthorityPolicy
from shared.http import ProblemError

COOKIE = "sps_session"


class Sessions:
    def __init__(self, users: dict[str, StaffUser], secret: bytes, ttl_s: int) -> None:
        self.users = users
        self._secret = secret
        self.ttl_s = ttl_s

    def issue(self, user: StaffUser) -> str:
        now = int(time.time())
        return jwt.encode(
            {"sub": user.username, "role": user.role, "jur": user.jurisdiction, "iat": now, "exp": now + self.ttl_s},
            self._secret,
            algorithm="HS256",
        )

    def user_for(self, token: str) -> StaffUser:
        try:
            claims = jwt.decode(token, self._secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})
        except jwt.PyJWTError as exc:
            raise ProblemError(401, "Unauthorized", f"session not valid: {exc}") from None
        user = self.users.get(claims["sub"])
        if user is None:
            raise ProblemError(401, "Unauthorized", "unknown user")
        return user


def actor_for(request: Request, sessions: Sessions, authority: AuthorityPolicy) -> Actor:
    """The member of staff behind this request (bearer token or session cookie), as an `Actor`."""
    header = request.headers.get("authorization", "")
    kind, _, token = header.partition(" ")
    if kind.lower() == "bearer" and token:
        user = sessions.user_for(token.strip())
    elif cookie := request.cookies.get(COOKIE):
        user = sessions.user_for(cookie)
    else:
        raise ProblemError(401, "Unauthorized", "log in first", headers={"WWW-Authenticate": "Bearer"})
    return Actor(user.username, user.role, user.jurisdiction, policy=authority)
