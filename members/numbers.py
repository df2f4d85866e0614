"""Member numbers and referral codes.

A member number is 13 digits that a till scans as an EAN-13 barcode: the prefix 4000 (the GS1 range
for in-store numbering), eight random digits, and the EAN-13 check digit, so a mistyped digit or
two swapped neighbours is caught before any lookup.
"""

import re
import secrets

PREFIX = "4000"
REFERRAL_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I look-alikes
# What people type between the groups of a number printed in groups ("4 000772 897651" on the
# card, "4000-7728-9765-1" read out over the phone).
_GROUP_SEPARATORS = re.compile(r"[\s\-]+")


def ean13_check_digit(first_twelve: str) -> str:
    if len(first_twelve) != 12 or not first_twelve.isdigit():
        raise ValueError("an EAN-13 check digit is computed over exactly 12 digits")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first_twelve))
    return str((10 - total % 10) % 10)


def member_number_generate() -> str:
    body = PREFIX + "".join(secrets.choice("0123456789") for _ in range(8))
    return body + ean13_check_digit(body)


def member_number_clean(value: str) -> str:
    """A member number as typed, without the spaces and dashes between its groups (whether it
    is a valid number is member_number_is_valid's to say)."""
    return _GROUP_SEPARATORS.sub("", value)


def member_number_is_valid(value: str) -> bool:
    return (
        isinstance(value, str)
        and len(value) == 13
        and value.isdigit()
        and ean13_check_digit(value[:12]) == value[12]
    )


def referral_code_generate(first_name: str = "") -> str:
    """A readable code such as ANA-7KQ2: the name helps the friend trust it, the suffix makes it
    unique (uniqueness is the database's job; callers retry on a clash)."""
    stem = "".join(c for c in first_name.upper() if c.isascii() and c.isalpha())[:6] or "TESS"
    return f"{stem}-" + "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(4))
