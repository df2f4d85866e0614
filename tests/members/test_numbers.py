import pytest

from members.numbers import (
    REFERRAL_ALPHABET,
    ean13_check_digit,
    member_number_generate,
    member_number_is_valid,
    referral_code_generate,
)


def test_check_digit_matches_a_known_ean13():
    # 4006381333931 is a published EAN-13 example.
    assert ean13_check_digit("400638133393") == "1"


def test_generated_numbers_are_13_digits_with_a_valid_check_digit():
    numbers = {member_number_generate() for _ in range(2000)}
    # Eight random digits: 2,000 draws repeat one about once in 50 runs (enrolment retries a
    # taken number); a generator that is not random repeats far more.
    assert len(numbers) >= 1990
    for number in numbers:
        assert number.startswith("4000")
        assert member_number_is_valid(number)


@pytest.mark.parametrize(
    "value",
    ["4006381333932", "4006381333913", "400638133393", "40063813339311", "40063813339a1", ""],
)
def test_mistyped_or_malformed_numbers_are_invalid(value):
    assert member_number_is_valid(value) is False


def test_referral_code_has_name_stem_and_unambiguous_suffix():
    code = referral_code_generate("Ana-María")
    stem, suffix = code.split("-")
    assert stem == "ANAMAR"
    assert len(suffix) == 4
    assert set(suffix) <= set(REFERRAL_ALPHABET)
    assert not set("01OI") & set(suffix)
