"""The card's EAN-13 barcode: decoding the drawn modules gives back the number."""

import pytest

from members.barcodes import _G, _L, _PARITY, _R, ean13_modules, ean13_svg
from members.numbers import member_number_generate


def decode(modules: str) -> str:
    assert len(modules) == 95
    assert modules[:3] == "101"
    assert modules[45:50] == "01010"
    assert modules[92:] == "101"
    left = [modules[3 + 7 * i : 10 + 7 * i] for i in range(6)]
    right = [modules[50 + 7 * i : 57 + 7 * i] for i in range(6)]
    parity = "".join("L" if code in _L else "G" for code in left)
    digits = [(_L if code in _L else _G).index(code) for code in left]
    return (
        str(_PARITY.index(parity))
        + "".join(map(str, digits))
        + "".join(str(_R.index(code)) for code in right)
    )


@pytest.mark.parametrize("number", ["4006381333931", "5901234123457", "0012345678905"])
def test_known_numbers_round_trip(number):
    assert decode(ean13_modules(number)) == number


def test_wikipedia_example_left_half():
    # 4006381333931, from the EAN-13 article: the "0" after the leading 4 is in L code.
    assert ean13_modules("4006381333931")[3:10] == "0001101"


def test_generated_member_numbers_round_trip():
    for _ in range(50):
        number = member_number_generate()
        assert decode(ean13_modules(number)) == number


def test_invalid_number_is_refused():
    with pytest.raises(ValueError, match="EAN-13"):
        ean13_modules("4006381333932")


def test_svg_is_labelled():
    svg = ean13_svg("4006381333931", label="Barcode <4006381333931>")
    assert 'role="img"' in svg
    assert 'aria-label="Barcode &lt;4006381333931&gt;"' in svg
