"""policy/console.yaml: the repository's file loads with the brief's defaults, and a bad value is
refused at start naming it."""

from __future__ import annotations

import pytest

from services.command_centre.domain.board import load_console_policy
from shared.paths import POLICY_DIR
from shared.policy import PolicyError


def test_the_repositorys_console_policy_loads():
    policy = load_console_policy(POLICY_DIR)
    assert policy.storm.size == 20 and policy.storm.window_minutes == 5
    assert policy.sound_on_new_alert is True


@pytest.mark.parametrize(
    "text,named",
    [
        ("storm: {size: 1, window_minutes: 5}\n", "size"),
        ("storm: {size: 20, window_minutes: 0}\n", "window_minutes"),
        ("storm: {size: 20}\nsound: loud\n", "sound"),
    ],
)
def test_a_bad_console_policy_is_refused_naming_the_field(tmp_path, text, named):
    (tmp_path / "console.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match=named):
        load_console_policy(tmp_path)
