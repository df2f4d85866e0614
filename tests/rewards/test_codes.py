"""Voucher codes: enough randomness, no look-alikes, grouped for reading aloud."""

import re

from rewards import codes

LOOK_ALIKES = set("0O1IL")


def test_codes_carry_at_least_64_bits():
    assert codes.BITS >= 64


def test_100000_codes_have_no_collision_and_no_look_alike_character():
    issued = [codes.voucher_code_generate() for _ in range(100_000)]

    assert len(set(issued)) == len(issued)
    used = set("".join(issued).replace("-", ""))
    assert not used & LOOK_ALIKES
    assert used <= set(codes.ALPHABET)


def test_codes_are_grouped_by_four_for_reading_aloud():
    code = codes.voucher_code_generate()

    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{2}", code)
    assert len(code) == codes.MAX_LENGTH


def test_a_typed_code_is_normalized_whatever_its_case_spaces_and_dashes():
    code = codes.voucher_code_generate()
    typed = code.replace("-", " ").lower()

    assert codes.voucher_code_normalize(typed) == code
    assert codes.voucher_code_normalize(code.replace("-", "")) == code


def test_something_that_cannot_be_a_code_normalizes_to_none():
    assert codes.voucher_code_normalize("") is None
    assert codes.voucher_code_normalize("ABCD-EFGH") is None
    assert codes.voucher_code_normalize("0000-0000-0000-00") is None  # 0 is not in the alphabet
