"""docker-compose's service keys (N5, docs/security.md): made at random once per install, one
folder per service holding its own private key and only its callers' public keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.platform import SERVICES
from shared.service_tokens import ServiceTokenError, callers_of, write_key_dirs
from shared.settings import ServiceSettings, service_tokens


def settings_for(service: str, folder: Path) -> ServiceSettings:
    return ServiceSettings(service_name=service, demo_mode=True, service_keys_dir=folder)


def test_each_service_reads_its_own_folder_and_trusts_only_its_callers(tmp_path: Path):
    assert write_key_dirs(tmp_path) == list(SERVICES)
    for service in SERVICES:
        assert json.loads((tmp_path / service / "verify.json").read_text()).keys() == callers_of(service)
        assert (tmp_path / service / "signing.pem").stat().st_mode & 0o077 == 0
    command_centre = service_tokens(settings_for("command_centre", tmp_path / "command_centre"))
    supervision = service_tokens(settings_for("supervision", tmp_path / "supervision"))
    actor = {"actor": "duty-demo", "role": "duty_officer", "jurisdiction": "county"}
    assert supervision.verify(command_centre.sign("supervision", actor)).service == "command_centre"
    with pytest.raises(ServiceTokenError):  # the demo key derived from the name signs nothing here
        supervision.verify(
            service_tokens(ServiceSettings(service_name="command_centre", demo_mode=True)).sign("supervision", actor)
        )


def test_a_second_run_keeps_the_keys_and_a_missing_folder_is_a_clear_error(tmp_path: Path):
    write_key_dirs(tmp_path)
    before = (tmp_path / "risk" / "signing.pem").read_text()
    assert write_key_dirs(tmp_path) == []
    assert (tmp_path / "risk" / "signing.pem").read_text() == before
    with pytest.raises(RuntimeError, match="SPS_SERVICE_KEYS_DIR"):
        service_tokens(settings_for("risk", tmp_path / "nowhere"))
