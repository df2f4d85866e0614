"""Demo rewards for `make run`: the catalog comes from the example program's import (loyalty.demo);
this gives each reward an image drawn here (no download) and has a few of the richest members
hold vouchers: most unused, one consumed at the till, one cancelled. Loaded once: a second run
finds redemptions there and does nothing."""

from __future__ import annotations

import io
import math

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageColor, ImageDraw, ImageFont

from loyalty.models import LoyaltyAccount
from rewards.errors import RewardError
from rewards.models import Redemption, Reward, RewardKind
from rewards.services import redemption_cancel, reward_redeem, reward_save, voucher_consume

SIZE = (640, 400)
# One calm colour pair per kind: background, accent.
PALETTE = {
    RewardKind.PERCENT_DISCOUNT: ("#f3e8ff", "#7c3aed"),
    RewardKind.FIXED_DISCOUNT: ("#e0f2fe", "#0369a1"),
    RewardKind.CASHBACK: ("#dcfce7", "#15803d"),
    RewardKind.FREE_PRODUCT: ("#fee2e2", "#9f1239"),
    RewardKind.EVENT: ("#fef3c7", "#b45309"),
}
# Which rewards the demo's richest members redeem, in turn.
WISHES = ["cashback-5", "free-bottle", "ten-off", "loyal20", "free-bottle", "cashback-5"]


def _label(reward: Reward) -> str:
    """What the picture says, in any language. Pillow's own font has no euro sign, star or
    multiplication sign (they came out as empty boxes): the currency's code, a drawn star."""
    if reward.kind == RewardKind.PERCENT_DISCOUNT:
        return f"-{reward.percent}%"
    if reward.amount is not None:
        return f"{reward.amount.normalize():f} EUR"
    if reward.kind == RewardKind.EVENT:
        return ""  # a star is drawn instead
    return "+1"


def _tint(background: str, accent: str, share: float = 0.18) -> tuple[int, int, int]:
    """The accent, faded into the background (an RGB image has no transparency)."""
    low, high = ImageColor.getrgb(background), ImageColor.getrgb(accent)
    return tuple(round(b + (a - b) * share) for b, a in zip(low, high, strict=True))


def _star(centre: tuple[int, int], radius: int) -> list[tuple[float, float]]:
    x, y = centre
    points = []
    for corner in range(10):
        length = radius if corner % 2 == 0 else radius * 0.45
        angle = math.pi / 2 + corner * math.pi / 5
        points.append((x + length * math.cos(angle), y - length * math.sin(angle)))
    return points


def _image(reward: Reward) -> bytes:
    """Shapes and a figure, no words: the catalog shows it in Spanish, French and English alike,
    under the reward's name in the member's language."""
    background, accent = PALETTE.get(reward.kind, ("#f1f5f9", "#334155"))
    image = Image.new("RGB", SIZE, background)
    draw = ImageDraw.Draw(image)
    width, height = SIZE
    # A large soft circle, a ring and a band: simple shapes, one accent colour.
    draw.ellipse((width - 330, -120, width + 90, 300), fill=_tint(background, accent))
    draw.ellipse((width - 250, -40, width + 10, 220), outline=accent, width=6)
    draw.rounded_rectangle((40, height - 84, width - 40, height - 60), radius=12, fill=accent)
    label = _label(reward)
    if label:
        try:
            font = ImageFont.load_default(size=88)
        except TypeError:  # pragma: no cover - Pillow built without FreeType
            font = ImageFont.load_default()
        draw.text((48, 130), label, fill=accent, font=font)
    else:
        draw.polygon(_star((160, 180), 110), fill=accent)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _images() -> None:
    for reward in Reward.objects.filter(image=""):
        name = default_storage.save(f"rewards/{reward.code}.png", ContentFile(_image(reward)))
        reward.image.name = name
        reward_save(reward=reward, note="demo images")


def _richest_members() -> list:
    accounts = LoyaltyAccount.objects.select_related("member").order_by("-available", "pk")
    return [account.member for account in accounts[: len(WISHES)]]


def load() -> list[tuple[str, str, str]]:
    if Redemption.objects.exists() or not Reward.objects.exists():
        return []
    _images()
    redemptions = []
    for member, code in zip(_richest_members(), WISHES, strict=False):
        reward = Reward.objects.get(code=code)
        try:
            redemptions.append(reward_redeem(member=member, reward=reward))
        except RewardError:
            continue  # not this member's tier or points: the demo shows what it can
    if redemptions:
        voucher_consume(code=redemptions[0].voucher.code, order_ref="demo-till-0001")
    if len(redemptions) > 1:
        redemption_cancel(redemption=redemptions[1])
    summary = f"{len(redemptions)} vouchers (1 consumed, 1 cancelled)"
    return [("(no login)", summary, "")]
