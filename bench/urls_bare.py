"""The bare floor: the purchase's writes in two statements, as Tessera's purchase path makes them
(the account locked with the member, then one statement writing the purchase, its ledger entry,
its lot and the balance), in a Django app with no middleware (bench/settings_bare.py), no
authentication, no serializer and no scoring beyond a multiplication.

bench/earn.py measures Tessera's POST /api/v1/purchases/ against it as well as against the older
floor (bench/urls.py, five statements under the project's whole middleware stack), which
flatters the ratio.
"""

import json
from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.http import HttpResponseBadRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

_LOCK = (
    "SELECT m.id, a.id FROM members_member m JOIN loyalty_loyaltyaccount a"
    " ON a.member_id = m.id WHERE m.member_number = %s FOR UPDATE OF a"
)
_WRITE = """
WITH purchase AS (
    INSERT INTO loyalty_purchase (external_id, member_id, amount, currency, purchased_at, channel,
        items, program_version_id, tier_code, points, earned_points, breakdown, fingerprint,
        refunded_amount, created_at)
    VALUES (%(external_id)s, %(member)s, %(amount)s, %(currency)s, %(at)s, %(channel)s,
        %(items)s, (SELECT max(id) FROM loyalty_programversion), '', %(points)s, %(points)s,
        '[]', '', 0, %(now)s)
    RETURNING id
), entry AS (
    INSERT INTO loyalty_ledgerentry (member_id, kind, points, reason, breakdown, purchase_id,
        source_type, source_id, bonus_key, created_at, occurred_at)
    SELECT %(member)s, 'earn', %(points)s, 'purchase', '[]', purchase.id, '', '', '', %(now)s,
        %(at)s
    FROM purchase
    RETURNING id, purchase_id
), lot AS (
    INSERT INTO loyalty_pointslot (member_id, entry_id, purchase_id, points, remaining, debt_paid,
        available_at, is_matured, expires_at, earned_at)
    SELECT %(member)s, entry.id, entry.purchase_id, %(points)s, %(points)s, 0, %(available)s,
        false, %(expires)s, %(at)s
    FROM entry
), balance AS (
    UPDATE loyalty_loyaltyaccount SET pending = pending + %(points)s,
        lifetime = lifetime + %(points)s, updated_at = %(now)s
    WHERE id = %(account)s
)
SELECT id FROM purchase
"""


@csrf_exempt
def floor(request):
    body = json.loads(request.body)
    amount = Decimal(body["amount"])
    purchased_at = parse_datetime(body["purchased_at"])
    points = int(amount)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_LOCK, [body["member_number"]])
        row = cursor.fetchone()
        if row is None:
            return HttpResponseBadRequest()
        member_id, account_id = row
        cursor.execute(
            _WRITE,
            {
                "external_id": body["external_id"],
                "member": member_id,
                "account": account_id,
                "amount": amount,
                "currency": body["currency"],
                "at": purchased_at,
                "channel": body["channel"],
                "items": json.dumps(body.get("items", [])),
                "points": points,
                "now": timezone.now(),
                "available": purchased_at + timedelta(days=14),
                "expires": purchased_at + timedelta(days=365),
            },
        )
        purchase_id = cursor.fetchone()[0]
    return JsonResponse({"id": purchase_id, "points": points}, status=201)


urlpatterns = [path("bench/floor/", floor)]
