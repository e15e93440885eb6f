"""Staff roles and visibility: a justice officer sees only their own office."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shared.secrets import hash_secret

Role = Literal["duty_officer", "supervisor", "justice_officer", "bureau_head"]
COUNTY = "county"  # jurisdiction of county-level staff: they see every office


@dataclass(frozen=True)
class StaffUser:
    username: str
    role: Role
    jurisdiction: str
    password_hash: str

    @property
    def county_wide(self) -> bool:
        return self.jurisdiction == COUNTY

    def sees(self, jurisdiction: str) -> bool:
        return self.county_wide or self.jurisdiction == jurisdiction

    @property
    def can_close_red_orange(self) -> bool:
        return self.role in ("supervisor", "bureau_head")


def demo_staff() -> dict[str, StaffUser]:
    """The contract's demo logins (`<username>-secret`), demo mode only."""
    users = [
        ("duty-demo", "duty_officer", COUNTY),
        ("supervisor-demo", "supervisor", COUNTY),
        ("officer-demo", "justice_officer", "澄江街道"),
        ("head-demo", "bureau_head", COUNTY),
    ]
    return {u: StaffUser(u, r, j, hash_secret(f"{u}-secret")) for u, r, j in users}  # type: ignore[arg-type]
