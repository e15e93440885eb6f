"""The one authority model (shared/authority.py) read from policy/authority.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.authority import Actor, load_authority
from shared.errors import Forbidden
from shared.paths import POLICY_DIR
from shared.policy import PolicyError

POLICY = load_authority(POLICY_DIR)


def actor(role: str, office: str) -> Actor:
    return Actor("x", role, office, policy=POLICY)


def test_an_officer_sees_their_own_office_and_county_staff_see_all():
    officer, county = actor("justice_officer", "澄江街道"), actor("duty_officer", "county")
    assert officer.sees("澄江街道") and not officer.sees("南闸街道") and not officer.sees(None)
    assert county.sees("南闸街道") and county.sees(None) and county.county_wide


def test_a_refusal_names_the_role_or_level_it_needs():
    with pytest.raises(Forbidden, match="needs the role bureau_head"):
        actor("supervisor", "county").require("positioning.approve", "澄江街道")
    with pytest.raises(Forbidden, match="county staff"):
        actor("justice_officer", "澄江街道").require("leave.approve_long", "澄江街道")
    with pytest.raises(Forbidden, match="belongs to 南闸街道"):
        actor("justice_officer", "澄江街道").require("sanction.admonition", "南闸街道")
    # 警告 and 提请撤销 are the county bureau's to decide (docs/domain.md §1; policy/authority.yaml)
    with pytest.raises(Forbidden, match="county staff"):
        actor("justice_officer", "澄江街道").require("sanction.warning", "澄江街道")
    with pytest.raises(Forbidden, match="needs the role supervisor or bureau_head"):
        actor("duty_officer", "county").require("sanction.revocation_proposal", "澄江街道")
    assert actor("bureau_head", "county").may("positioning.approve", "南闸街道")
    assert not actor("duty_officer", "county").may("alert.close_serious")


def test_an_action_missing_from_the_policy_is_a_programming_error_not_a_refusal():
    with pytest.raises(LookupError, match="authority.yaml"):
        actor("bureau_head", "county").may("case.teleport")


def test_a_policy_naming_an_unknown_role_is_refused_with_its_line(tmp_path: Path):
    (tmp_path / "authority.yaml").write_text(
        "roles: [supervisor]\nactions:\n  case.close: {roles: [supervisor, mayor]}\n", encoding="utf-8"
    )
    with pytest.raises(PolicyError, match="mayor"):
        load_authority(tmp_path)
