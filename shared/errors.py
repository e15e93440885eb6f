"""Typed errors that commands and internal calls raise; the HTTP edge turns them into problem+json.

A command never builds an HTTP response: it raises one of these, and `shared.http` maps each to
its status once, so every service answers the same way (docs/architecture.md).
"""

from __future__ import annotations

from typing import Any


class CommandError(Exception):
    """A command refused; `status` and `title` are how the HTTP edge answers it."""

    status = 400
    title = "Bad Request"

    def __init__(
        self, detail: str, *, errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers


class NotFound(CommandError):
    status, title = 404, "Not Found"


class Conflict(CommandError):
    status, title = 409, "Conflict"


class Refused(CommandError):
    """The request is well formed but a rule refuses it: names the field at fault."""

    status, title = 422, "Request is not valid"

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail, errors=[{"field": field, "message": detail}])
        self.field = field


class Forbidden(CommandError):
    """The actor may not do this: the detail names the role or office it needs."""

    status, title = 403, "Forbidden"


class Unavailable(CommandError):
    """Another service did not answer; the caller may try again."""

    status, title = 503, "Service Unavailable"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"Retry-After": "5"})


class Upstream(CommandError):
    """Another service refused an internal call: its problem+json is passed on unchanged."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(str(problem.get("detail") or problem.get("title") or status), errors=problem.get("errors"))
        self.status = status
        self.title = str(problem.get("title") or "Error")
        self.problem = problem
