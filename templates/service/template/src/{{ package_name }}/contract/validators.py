"""Validators for identifiers, named by ``validator = "..."`` on a text input of the contract.

Each takes the text as sent and returns it normalised, or raises ``ValueError`` with a message that says
what a valid value looks like (pydantic turns it into a 422 naming the field; the value is not echoed).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import phonenumbers

# Bidirectional overrides and isolates reorder how text is displayed ("Trojan Source"); joiners (ZWJ,
# ZWNJ) stay allowed because Devanagari, Arabic and other scripts need them.
_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
_PAN = re.compile(r"^[A-Z]{3}[ABCFGHLJPT][A-Z][0-9]{4}[A-Z]$")
_IFSC = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?=.{1,253}$)"  # local part, then a domain of at most 253 characters
    r"([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
# Verhoeff's dihedral-group tables (multiplication, permutation); Aadhaar's last digit is its check digit.
_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_AADHAAR_DIGITS = 12


def person_name(value: str) -> str:
    """Keep the name exactly as sent (no normalisation), but refuse what cannot be a name."""
    if not value.strip():
        msg = "must contain a visible character"
        raise ValueError(msg)
    if any(unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS for ch in value):
        msg = "must not contain control or bidirectional-override characters"
        raise ValueError(msg)
    return value


def phone_e164(value: str, default_region: str = "IN") -> str:
    """Return the number in E.164 (``+919876543210``); bare 10-digit and 0-prefixed numbers are Indian."""
    try:
        parsed = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException as exc:
        msg = "is not a phone number (e.g. +91 98765 43210)"
        raise ValueError(msg) from exc
    if not phonenumbers.is_valid_number(parsed):
        msg = "is not a valid phone number (e.g. +91 98765 43210)"
        raise ValueError(msg)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def pan(value: str) -> str:
    """An Indian Permanent Account Number (``ABCPE1234F``: 5 letters, 4 digits, 1 letter), upper-cased."""
    text = value.strip().upper()
    if not _PAN.fullmatch(text):
        msg = "is not a PAN (5 letters, the 4th one of ABCFGHLJPT, 4 digits, 1 letter, e.g. ABCPE1234F)"
        raise ValueError(msg)
    return text


def verhoeff_valid(digits: str) -> bool:
    """True when the last digit of ``digits`` is the Verhoeff check digit of the others."""
    check = 0
    for position, digit in enumerate(reversed(digits)):
        check = _D[check][_P[position % 8][int(digit)]]
    return check == 0


def aadhaar(value: str) -> str:
    """An Aadhaar number: 12 digits (spaces or hyphens between groups allowed), not starting with 0 or 1,
    whose last digit is the Verhoeff check digit. Returned as the 12 digits."""
    digits = re.sub(r"[ -]", "", value)
    if len(digits) != _AADHAAR_DIGITS or not digits.isascii() or not digits.isdigit() or digits[0] in "01":
        msg = "is not an Aadhaar number (12 digits, the first not 0 or 1)"
        raise ValueError(msg)
    if not verhoeff_valid(digits):
        msg = "is not a valid Aadhaar number (its check digit does not match)"
        raise ValueError(msg)
    return digits


def ifsc(value: str) -> str:
    """An Indian Financial System Code (``SBIN0001234``: 4 letters, 0, 6 letters or digits), upper-cased."""
    text = value.strip().upper()
    if not _IFSC.fullmatch(text):
        msg = "is not an IFSC (4 letters, a zero, then 6 letters or digits, e.g. SBIN0001234)"
        raise ValueError(msg)
    return text


def email(value: str) -> str:
    """An e-mail address (``local@domain.tld``, ASCII); the domain is lower-cased."""
    text = value.strip()
    if not _EMAIL.fullmatch(text):
        msg = "is not an e-mail address (e.g. name@example.in)"
        raise ValueError(msg)
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


VALIDATORS: dict[str, Callable[[str], str]] = {
    "person_name": person_name,
    "phone_e164": phone_e164,
    "pan": pan,
    "aadhaar": aadhaar,
    "ifsc": ifsc,
    "email": email,
}
