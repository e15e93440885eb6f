"""The audit chain, pure: keyed (a chain made without the key does not verify), every entry's
person checked, verification from a checkpoint."""

from __future__ import annotations

from services.exchange.domain.audit import GENESIS, entry_hash, verify

KEY = b"k" * 32


def chain(contents: list[dict], key: bytes = KEY) -> list[tuple]:
    out, previous = [], GENESIS
    for seq, content in enumerate(contents, 1):
        digest = entry_hash(previous, content, key)
        out.append((seq, previous, digest, content, content.get("person_id")))
        previous = digest
    return out


CONTENTS = [{"actor": f"a{i}", "person_id": f"p{i}"} for i in range(4)]


def test_a_chain_verifies_only_with_its_key():
    assert verify(chain(CONTENTS), KEY).ok
    forged = verify(chain(CONTENTS, key=b"guess" * 7), KEY)
    assert (forged.ok, forged.first_bad_seq, forged.reason) == (False, 1, "its content does not match its hash")


def test_an_entry_filed_under_another_person_fails():
    entries = chain(CONTENTS)
    seq, prev, digest, content, _ = entries[2]
    entries[2] = (seq, prev, digest, content, "someone-else")
    result = verify(entries, KEY)
    assert (result.first_bad_seq, result.reason) == (3, "it is filed under another person than its content names")


def test_verification_goes_on_from_a_checkpoint():
    entries = chain(CONTENTS)
    result = verify(entries[2:], KEY, start=entries[1][2])  # the checkpoint is entry 2's hash
    assert result.ok and result.checked == 2
    assert not verify(entries[2:], KEY, start=GENESIS).ok
