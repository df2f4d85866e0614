"""Voucher codes: unguessable, and easy to read aloud or type at a till.

- 14 characters from a 30-character alphabet: 14 * log2(30) ≈ 68.7 bits from `secrets`, so
  guessing one live voucher among millions stays hopeless.
- The alphabet drops the characters people confuse when reading or hearing them: 0/O, 1/I/L, and
  U (V/U, and it keeps accidental words rarer).
- Grouped by four (`XXXX-XXXX-XXXX-XX`); a typed code is normalized (case, spaces, dashes) before
  it is looked up, so "abcd efgh..." finds the voucher too.
"""

import math
import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 14
GROUP = 4
BITS = LENGTH * math.log2(len(ALPHABET))
# The stored form, with its dashes: 14 characters and 3 dashes.
MAX_LENGTH = LENGTH + (LENGTH - 1) // GROUP

_SEPARATORS = re.compile(r"[\s\-_.]+")


def voucher_code_generate() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return _grouped(raw)


def voucher_code_normalize(text: str) -> str | None:
    """The canonical (grouped, upper-case) form of a typed code, or None if it cannot be one."""
    raw = _SEPARATORS.sub("", text or "").upper()
    if len(raw) != LENGTH or any(char not in ALPHABET for char in raw):
        return None
    return _grouped(raw)


def _grouped(raw: str) -> str:
    return "-".join(raw[start : start + GROUP] for start in range(0, len(raw), GROUP))
