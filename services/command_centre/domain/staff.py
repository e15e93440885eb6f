"""Staff accounts: who may log in, with which role and office. What each role may do and see is
the authority model's (`shared/authority.py`, `policy/authority.yaml`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shared.secrets import hash_secret

Role = Literal["duty_officer", "supervisor", "justice_officer", "bureau_head", "team_member"]
COUNTY = "county"  # the office of county-level staff (policy/authority.yaml `county`)


@dataclass(frozen=True)
class StaffUser:
    username: str
    role: Role
    jurisdiction: str
    password_hash: str
    disabled: bool = False


def demo_staff() -> dict[str, StaffUser]:
    """The contract's demo logins (`<username>-secret`), demo mode only."""
    users = [
        ("duty-demo", "duty_officer", COUNTY),
        ("supervisor-demo", "supervisor", COUNTY),
        ("officer-demo", "justice_officer", "澄江街道"),
        ("head-demo", "bureau_head", COUNTY),
        ("team-demo", "team_member", "澄江街道"),  # 协矫通: a volunteer on correction teams of 澄江街道
    ]
    return {u: StaffUser(u, r, j, hash_secret(f"{u}-secret")) for u, r, j in users}  # type: ignore[arg-type]
