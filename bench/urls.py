"""The floor: what the same writes cost with nothing of ours in the way.

One view, no authentication, no serializer, no scoring beyond a multiplication: it parses the JSON,
finds the member, and in one transaction locks the balance row and inserts the purchase, its ledger
entry and its lot, then updates the balance, all in raw SQL. Tessera's POST /api/v1/purchases/ is
measured against it under the same gunicorn.
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

from config.urls import urlpatterns as project_urlpatterns


@csrf_exempt
def floor(request):
    body = json.loads(request.body)
    amount = Decimal(body["amount"])
    purchased_at = parse_datetime(body["purchased_at"])
    points = int(amount)
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT m.id, a.id FROM members_member m JOIN loyalty_loyaltyaccount a"
            " ON a.member_id = m.id WHERE m.member_number = %s FOR UPDATE OF a",
            [body["member_number"]],
        )
        row = cursor.fetchone()
        if row is None:
            return HttpResponseBadRequest()
        member_id, account_id = row
        cursor.execute(
            "INSERT INTO loyalty_purchase (external_id, member_id, amount, currency, purchased_at,"
            " channel, items, program_version_id, tier_code, points, earned_points, breakdown,"
            " fingerprint, refunded_amount, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s,"
            " (SELECT max(id) FROM loyalty_programversion), '', %s, %s, '[]', '', 0, %s)"
            " RETURNING id",
            [body["external_id"], member_id, amount, body["currency"], purchased_at,
             body["channel"], json.dumps(body.get("items", [])), points, points, now],
        )  # fmt: skip
        purchase_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO loyalty_ledgerentry (member_id, kind, points, reason, breakdown,"
            " purchase_id, source_type, source_id, bonus_key, created_at, occurred_at)"
            " VALUES (%s, 'earn', %s, 'purchase', '[]', %s, '', '', '', %s, %s) RETURNING id",
            [member_id, points, purchase_id, now, purchased_at],
        )
        entry_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO loyalty_pointslot (member_id, entry_id, purchase_id, points, remaining,"
            " debt_paid, available_at, is_matured, expires_at, earned_at)"
            " VALUES (%s, %s, %s, %s, %s, 0, %s, false, %s, %s)",
            [member_id, entry_id, purchase_id, points, points, purchased_at + timedelta(days=14),
             purchased_at + timedelta(days=365), purchased_at],
        )  # fmt: skip
        cursor.execute(
            "UPDATE loyalty_loyaltyaccount SET pending = pending + %s, lifetime = lifetime + %s,"
            " updated_at = %s WHERE id = %s",
            [points, points, now, account_id],
        )
    return JsonResponse({"id": purchase_id, "points": points}, status=201)


urlpatterns = [path("bench/floor/", floor), *project_urlpatterns]
