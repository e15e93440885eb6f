import uuid
from datetime import date

import pytest

from shared.identity import (
    InvalidIdNumber,
    check_digit,
    derive_person_id,
    is_valid_id_number,
    mask_id_number,
    mask_name,
    mask_phone,
    normalise_id_number,
)

VALID = "11010519491231002X"  # the contract's example; its check digit is X


def test_contract_example_is_valid():
    assert check_digit(VALID[:17]) == "X"
    assert normalise_id_number(VALID.lower()) == VALID


@pytest.mark.parametrize("wrong", ["0", "1", "2", "9"])
def test_wrong_check_digit_is_refused_and_says_which(wrong):
    with pytest.raises(InvalidIdNumber, match="check digit is .*expected X"):
        normalise_id_number(VALID[:17] + wrong)


@pytest.mark.parametrize(
    "raw,reason",
    [
        ("1101051949123100", "18 characters"),
        ("11010519491231002XX", "18 characters"),
        ("1101051949123A002X", "17 digits"),
        ("110105194913310021", "not a real date"),
        ("110105185001010021", "out of range"),
        ("110105299901010021", "out of range"),
    ],
)
def test_malformed_numbers_name_their_fault(raw, reason):
    with pytest.raises(InvalidIdNumber, match=reason):
        normalise_id_number(raw, today=date(2026, 11, 26))


def test_person_id_is_stable_keyed_and_a_uuid_v8():
    a = derive_person_id(VALID, b"k1")
    assert a == derive_person_id(VALID.lower(), b"k1")  # normalised first
    assert a != derive_person_id(VALID, b"k2")
    assert a.version == 8 and a.variant == uuid.RFC_4122
    other = "320281199001011231"
    other = other[:17] + check_digit(other[:17])
    assert derive_person_id(other, b"k1") != a


def test_person_id_refuses_an_invalid_number():
    with pytest.raises(InvalidIdNumber):
        derive_person_id(VALID[:17] + "1", b"k")


def test_masking():
    assert mask_id_number("32028119900101123X") == "3202**********123X"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳小明") == "欧***"
    assert mask_phone("13800001234") == "138****1234"
    assert is_valid_id_number(VALID) and not is_valid_id_number("x")
