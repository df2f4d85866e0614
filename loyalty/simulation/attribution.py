"""What each rule contributed to an entry's points, read from the breakdown loyalty.scoring
stores with it (and loyalty.rules.bonus for event bonuses): the simulator's "points per rule".

A purchase's points are rounding((B + C + I) * M + T). Each B, C and I rule is credited with its
own value; each multiplier, taken in the breakdown's order (the promotions, then the tier), with
what it added to the running product: subtotal * (the multipliers before it) * (its multiplier -
1), so a promotion doubling 50 points is credited 50; a tier's multiplier is credited under
`tier:<code>`; each T rule with its bonus; and `rounding` with what the rounding of the total
added or removed. The contributions of an entry add up to its points exactly. Points whose
breakdown names no rule (an entry written without one) are `other`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

ROUNDING = "rounding"
OTHER = "other"
TIER_PREFIX = "tier:"

Shares = dict[str, Decimal]

_ONE = Decimal(1)
_ZERO = Decimal(0)
_SUMMED = frozenset({"B", "C", "I"})


def contributions(breakdown: list[dict[str, Any]] | None, points: int) -> Shares:
    """{rule code: points} of one entry with `points` and its stored `breakdown` (a purchase's,
    a refund's rescore or an event bonus's); they add up to `points`."""
    shares: Shares = {}
    subtotal = _ZERO
    multipliers: list[tuple[str, Decimal]] = []
    bonus = _ZERO
    is_known = False
    for part in breakdown or ():
        kind = part.get("part")
        if kind in _SUMMED:
            value = Decimal(part["value"])
            code = part["code"]
            shares[code] = shares.get(code, _ZERO) + value
            subtotal += value
            is_known = True
        elif kind == "M":
            code = part["code"]
            key = TIER_PREFIX + code if part.get("kind") == "tier" else code
            multipliers.append((key, Decimal(part["value"])))
        elif kind == "T":
            value = Decimal(part["value"])
            code = part["code"]
            shares[code] = shares.get(code, _ZERO) + value
            bonus += value
            is_known = True
        elif kind == "event":
            value = Decimal(part.get("points") or 0)
            code = part.get("code") or OTHER
            shares[code] = shares.get(code, _ZERO) + value
            bonus += value
            is_known = True
    if not is_known:
        return {OTHER: Decimal(points)} if points else {}
    running = subtotal
    for key, multiplier in multipliers:
        shares[key] = shares.get(key, _ZERO) + running * (multiplier - _ONE)
        running *= multiplier
    shares[ROUNDING] = Decimal(points) - running - bonus
    return shares


def shares_add(into: Shares, shares: Shares, sign: int = 1) -> None:
    """Add (or, with `sign` -1, take away) `shares` into `into`."""
    for code, value in shares.items():
        into[code] = into.get(code, _ZERO) + (value if sign > 0 else -value)


def shares_points(shares: Shares, total: int) -> dict[str, int]:
    """Summed contributions as whole points adding up to `total`: each rounded to the nearest,
    what the roundings leave over going to `rounding`. Zero rules are left out."""
    points = {
        code: int(value.to_integral_value())
        for code, value in sorted(shares.items())
        if code != ROUNDING
    }
    points = {code: value for code, value in points.items() if value}
    rest = total - sum(points.values())
    if rest:
        points[ROUNDING] = rest
    return points
