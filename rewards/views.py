"""The voucher's QR image. Its URL holds the voucher code, 68 random bits, so the URL itself is
the capability (like the code the member reads out): no login, and it shows nothing but the code
it was asked for."""

import io

import segno
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from rewards.selectors import voucher_get


@require_GET
def voucher_qr(request, code: str):
    voucher = voucher_get(code=code)
    if voucher is None:
        raise Http404
    image = io.BytesIO()
    segno.make(voucher.code, error="m").save(
        image, kind="svg", scale=6, border=2, dark="#1f2937", xmldecl=False
    )
    response = HttpResponse(image.getvalue(), content_type="image/svg+xml")
    # Only the member's own device should keep it; never sent on to another site.
    response["Cache-Control"] = "private, max-age=3600"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
