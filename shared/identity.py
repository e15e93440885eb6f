"""Identity rules: 身份证号 validation, the platform's derived person id, masking.

The person id is a keyed hash (HMAC-SHA256) of the normalised 身份证号, shaped as a UUID
(version 8, RFC 9562 "custom"), so the same person sent by a court and later by a prison gets
the same id, and the id reveals nothing without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from datetime import UTC, date, datetime

from shared.county import default_county

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_DIGITS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


class InvalidIdNumber(ValueError):
    """A 身份证号 that is not well formed; the message says which part is wrong."""


def check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_DIGITS[total % 11]


def normalise_id_number(raw: str, *, today: date | None = None) -> str:
    """Return the 18-character 身份证号 in canonical form, or raise InvalidIdNumber."""
    value = raw.strip().upper()
    if len(value) != 18:
        raise InvalidIdNumber(f"must have 18 characters, has {len(value)}")
    if not _SHAPE.match(value):
        raise InvalidIdNumber("must be 17 digits followed by a digit or X")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdNumber(f"birth date {value[6:14]} is not a real date") from None
    if born.year < 1900 or born > (today or default_county().day_of(datetime.now(UTC))):
        raise InvalidIdNumber(f"birth date {born.isoformat()} is out of range")
    expected = check_digit(value[:17])
    if value[17] != expected:
        raise InvalidIdNumber(f"check digit is {value[17]}, expected {expected}")
    return value


def is_valid_id_number(raw: str) -> bool:
    try:
        normalise_id_number(raw)
    except InvalidIdNumber:
        return False
    return True


def derive_person_id(id_number: str, key: bytes) -> uuid.UUID:
    """The platform's person id: HMAC-SHA256(key, normalised 身份证号) shaped as a UUIDv8."""
    digest = bytearray(hmac.new(key, normalise_id_number(id_number).encode(), hashlib.sha256).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x80  # version 8
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122/9562 variant
    return uuid.UUID(bytes=bytes(digest))


def mask_id_number(value: str) -> str:
    """`320281199001011234` → `3202**********1234`."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(name: str) -> str:
    """`张三` → `张*`, `欧阳小明` → `欧***`."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str) -> str:
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
