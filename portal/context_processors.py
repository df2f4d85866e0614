"""What every page's frame shows of the shop (templates/base.html): its program's name, logo and
accent colour, and whether it wrote its own legal texts (the footer links to them either way:
the portal ships default texts)."""

from __future__ import annotations

from loyalty.selectors.program import PRODUCT_NAME, shop_frame


def shop(request) -> dict:
    frame = shop_frame()
    return {
        "shop_name": frame.name,
        "shop_logo_url": frame.logo_url,
        "shop_accent": frame.accent,
        "product_name": PRODUCT_NAME,
    }
