"""The correction team (矫正小组): who helps supervise one person.

Justice-office staff, the village or residents' committee, a grid worker (网格员), family, the
employer, a social worker, volunteers; a woman under supervision has a woman on her team (docs/domain.md §1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shared.staff_steps import TeamRole as Role

ROLE_LABELS = {
    "justice_office": "司法所工作人员",
    "committee": "村(居)委会",
    "grid_worker": "网格员",
    "family": "家庭成员",
    "employer": "所在单位",
    "social_worker": "社会工作者",
    "volunteer": "志愿者",
}


@dataclass(frozen=True)
class Member:
    name: str
    role: Role
    sex: Literal["M", "F"]
    account: str | None = None  # 协矫通: the member's platform account


class TeamRefused(ValueError):
    pass


def check_team(person_sex: str, members: list[Member], account_roles: tuple[str, ...] = ()) -> None:
    """`account_roles`: the team roles whose members may hold a 协矫通 account (policy/authority.yaml)."""
    if not members:
        raise TeamRefused("a correction team needs at least one member")
    if not any(m.role == "justice_office" for m in members):
        raise TeamRefused("a correction team is led by justice-office staff: add a member with role justice_office")
    if person_sex == "F" and not any(m.sex == "F" for m in members):
        raise TeamRefused("a woman under supervision must have a woman on her correction team")
    for m in members:
        if m.account is not None and m.role not in account_roles:
            allowed = ", ".join(ROLE_LABELS.get(r, r) for r in account_roles) or "none"
            raise TeamRefused(f"{m.name} ({ROLE_LABELS[m.role]}) may not hold a 协矫通 account: only {allowed}")
    accounts = [m.account for m in members if m.account is not None]
    if len(accounts) != len(set(accounts)):
        raise TeamRefused("an account is on the team twice")
