"""Sealed identities carry the version of their key: an older key stays readable while the new
one takes over, a row moved to another person never opens, an unknown version is said so."""

from __future__ import annotations

import base64
import os
import uuid

import orjson
import pytest
from cryptography.exceptions import InvalidTag

from services.exchange.adapters.vault import IdentityCipher, UnknownKeyVersion

OLD, NEW = os.urandom(32), os.urandom(32)


def test_a_new_key_seals_and_the_old_one_still_opens():
    person = uuid.uuid4()
    before = IdentityCipher({1: OLD}, 1)
    version, sealed = before.seal(person, {"name": "王五"})
    assert version == 1
    after = IdentityCipher.from_setting(
        base64.b64encode(NEW).decode(),
        demo=False,
        version=2,
        previous=orjson.dumps({"1": base64.b64encode(OLD).decode()}).decode(),
    )
    assert after.open(person, sealed, 1) == {"name": "王五"}
    assert after.seal(person, {"name": "王五"})[0] == 2
    with pytest.raises(InvalidTag):
        after.open(uuid.uuid4(), sealed, 1)  # moved to another person
    with pytest.raises(UnknownKeyVersion):
        IdentityCipher({2: NEW}, 2).open(person, sealed, 1)


def test_a_key_of_the_wrong_size_or_a_missing_current_version_is_refused():
    with pytest.raises(ValueError, match="32 bytes"):
        IdentityCipher({1: b"short"}, 1)
    with pytest.raises(ValueError, match="version 3"):
        IdentityCipher({1: OLD}, 3)
