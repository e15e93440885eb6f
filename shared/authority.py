"""The one authority model: who may see which office, and who may take which action.

Every staff route, internal route and command asks an `Actor`; what each role may do comes from
`policy/authority.yaml`, never from a literal in the code (docs/architecture.md, "Authority").
An action the actor may not take raises `Forbidden` naming the roles or the level it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.errors import Forbidden
from shared.policy import load_policy


class ActionRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    roles: tuple[str, ...] = Field(min_length=1)
    # office: staff of the case's own justice office, or county staff; county: county staff only.
    level: Literal["office", "county"] = "office"


class TeamAccess(BaseModel):
    """协矫通: the role whose accounts see only the persons whose correction team names them, and
    which members of a team (by their role on it) may hold such an account."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    role: str
    members: tuple[str, ...] = Field(min_length=1)


class AuthorityPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    county: str = "county"
    roles: tuple[str, ...] = Field(min_length=1)
    actions: dict[str, ActionRule]
    team_access: TeamAccess | None = None

    @model_validator(mode="after")
    def _known_roles(self) -> AuthorityPolicy:
        for name, rule in self.actions.items():
            unknown = set(rule.roles) - set(self.roles)
            if unknown:
                raise ValueError(f"action {name} names unknown roles: {', '.join(sorted(unknown))}")
        if self.team_access is not None and self.team_access.role not in self.roles:
            raise ValueError(f"team_access names an unknown role: {self.team_access.role}")
        return self

    def rule(self, action: str) -> ActionRule:
        try:
            return self.actions[action]
        except KeyError:
            # A programming error, not a refusal: the action is missing from the policy file.
            raise LookupError(f"no action {action!r} in policy/authority.yaml") from None


def load_authority(policy_dir: Path) -> AuthorityPolicy:
    return load_policy(policy_dir / "authority.yaml", AuthorityPolicy)


@cache
def default_authority() -> AuthorityPolicy:
    """The repository's own policy file (for callers without settings: tests, tools)."""
    from shared.paths import POLICY_DIR

    return load_authority(POLICY_DIR)


@dataclass(frozen=True)
class Actor:
    """A member of staff acting: their name, role and office (`county` for county staff)."""

    name: str
    role: str
    office: str
    agency: str = "justice-bureau"
    policy: AuthorityPolicy = field(default_factory=default_authority, repr=False, compare=False)

    @property
    def county_wide(self) -> bool:
        return self.office == self.policy.county and not self.team_scoped

    @property
    def team_scoped(self) -> bool:
        """A 协矫通 account: it sees only the persons whose correction team names it."""
        access = self.policy.team_access
        return access is not None and self.role == access.role

    def sees_person(self, office: str | None, team_accounts: list[str] | tuple[str, ...]) -> bool:
        """Whether this actor sees a person of `office` whose team names `team_accounts`."""
        return self.sees(office) and (not self.team_scoped or self.name in team_accounts)

    def must_see_person(self, office: str | None, team_accounts: list[str] | tuple[str, ...]) -> None:
        self.must_see(office)
        if self.team_scoped and self.name not in team_accounts:
            raise Forbidden(f"{self.name} is not on this person's correction team")

    def sees(self, office: str | None) -> bool:
        """Whether this actor may see (and act within) `office`; None is the county's own."""
        if office is None:
            return self.county_wide
        return self.county_wide or self.office == office

    def must_see(self, office: str | None) -> None:
        """Raise `Forbidden` unless this actor sees `office`."""
        if not self.sees(office):
            raise Forbidden(f"this belongs to {office or self.policy.county}, not {self.office}")

    def may(self, action: str, office: str | None = "") -> bool:
        """Whether the role may take `action`, on a case of `office` if one is given."""
        try:
            self.require(action, office)
        except Forbidden:
            return False
        return True

    def require(self, action: str, office: str | None = "") -> None:
        """Raise `Forbidden` naming what `action` needs, unless this actor may take it.

        `office` is the justice office the action is on ("" for an action on no office's case,
        None for the county's own, such as a notice not yet linked to an office).
        """
        rule = self.policy.rule(action)
        if self.role not in rule.roles:
            raise Forbidden(f"{action} needs the role {' or '.join(rule.roles)} (you are {self.role})")
        if rule.level == "county" and not self.county_wide:
            raise Forbidden(f"{action} is for county staff ({self.policy.county}), not {self.office}")
        if office != "":
            self.must_see(office)


class ActingStaff(BaseModel):
    """The body of a member of staff's step on an internal route. Who takes the step is not in
    the body: it is the actor the command centre signed into the call's service token, which the
    route receives as `shared.deps.StaffActor` (docs/security.md, M6), and the owning service
    checks the action again with the same model."""

    def step(self) -> dict[str, Any]:
        """The step's own fields."""
        return self.model_dump(mode="json")
