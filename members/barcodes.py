"""The member card's EAN-13 barcode, drawn as SVG on the server.

EAN-13 is a small, fixed specification (GS1 General Specifications, section 5.2): 95 modules of
start guard, six left digits in L or G code (the first digit is carried by their L/G pattern),
centre guard, six right digits in R code, end guard. Writing it here is ~50 lines with no
dependency, gives crisp vector output at any size, and lets the SVG carry our own accessible label;
a library would add raster back-ends and fonts we do not use.
"""

from django.utils.html import format_html
from django.utils.safestring import SafeString

from members.numbers import member_number_is_valid

_L = ("0001101", "0011001", "0010011", "0111101", "0100011",
      "0110001", "0101111", "0111011", "0110111", "0001011")  # fmt: skip
_R = tuple("".join("1" if bit == "0" else "0" for bit in code) for code in _L)
_G = tuple(code[::-1] for code in _R)
# Which of the six left digits use the G code, by the first digit.
_PARITY = ("LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG",
           "LGGLLG", "LGGGLG", "LGLGLG", "LGLGGL", "LGGLGL")  # fmt: skip

QUIET_LEFT = 11  # modules of white before the start guard, where the first digit is printed
QUIET_RIGHT = 7
BAR_HEIGHT = 60
GUARD_EXTRA = 6  # guard bars reach down between the digit groups


def ean13_modules(number: str) -> str:
    """The 95 modules ("1" dark, "0" light) of a valid 13-digit EAN-13 number."""
    if not member_number_is_valid(number):
        raise ValueError("not a valid EAN-13 number")
    first, left, right = int(number[0]), number[1:7], number[7:]
    parity = _PARITY[first]
    left_modules = "".join(
        (_L if parity[i] == "L" else _G)[int(digit)] for i, digit in enumerate(left)
    )
    right_modules = "".join(_R[int(digit)] for digit in right)
    return "101" + left_modules + "01010" + right_modules + "101"


def _is_guard(index: int) -> bool:
    return index < 3 or 45 <= index < 50 or index >= 92


def ean13_svg(number: str, *, label: str) -> SafeString:
    """An SVG barcode that scales to its container; `label` is read to screen readers."""
    modules = ean13_modules(number)
    width = QUIET_LEFT + len(modules) + QUIET_RIGHT
    height = BAR_HEIGHT + GUARD_EXTRA + 12
    rects = []
    index = 0
    while index < len(modules):
        if modules[index] == "0":
            index += 1
            continue
        start = index
        while index < len(modules) and modules[index] == "1":
            index += 1
        bar_height = BAR_HEIGHT + (GUARD_EXTRA if _is_guard(start) else 0)
        rects.append(
            f'<rect x="{QUIET_LEFT + start}" y="0" width="{index - start}" height="{bar_height}"/>'
        )
    text_y = BAR_HEIGHT + GUARD_EXTRA + 6
    digits = (
        f'<text x="{QUIET_LEFT - 2}" y="{text_y}" text-anchor="end">{number[0]}</text>'
        f'<text x="{QUIET_LEFT + 3 + 21}" y="{text_y}" text-anchor="middle">{number[1:7]}</text>'
        f'<text x="{QUIET_LEFT + 50 + 21}" y="{text_y}" text-anchor="middle">{number[7:]}</text>'
    )
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" class="barcode" role="img" '
        'viewBox="0 0 {width} {height}" preserveAspectRatio="xMidYMid meet" '
        'shape-rendering="crispEdges" aria-label="{label}">'
        '<rect width="{width}" height="{height}" fill="#fff"/>'
        '<g fill="#000">{rects}</g>'
        '<g fill="#000" font-family="ui-monospace, monospace" font-size="9" '
        'dominant-baseline="middle">{digits}</g></svg>'
    )
    return format_html(
        svg,
        width=width,
        height=height,
        label=label,
        rects=SafeString("".join(rects)),
        digits=SafeString(digits),
    )


def qr_svg(data: str, *, label: str) -> SafeString:
    """A QR code of `data` as inline SVG (segno: pure Python, no image library)."""
    import segno

    qr = segno.make(data, error="m", micro=False)
    svg = qr.svg_inline(scale=8, border=4, dark="#000", light="#fff", svgclass="qr", omitsize=True)
    # segno writes no accessible name; give the image one.
    return format_html(
        '<div class="qr-code" role="img" aria-label="{}">{}</div>', label, SafeString(svg)
    )
