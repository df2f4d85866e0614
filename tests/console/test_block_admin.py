"""Blocking in the admin: a status column and filter, a block action that asks for the reason
first, and an unblock action; only a role allowed to block sees them."""

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from console.services import member_block
from members.models import Member, MemberStatus, StaffAction

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:members_member_changelist"


def _action(client, action, members, **extra):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, helpers.ACTION_CHECKBOX_NAME: [m.pk for m in members], **extra},
    )


def test_manager_blocks_with_a_reason_then_unblocks(client, manager, alice):
    client.force_login(manager)
    page = client.get(reverse(CHANGELIST), {"status__exact": "active"})
    assert "block_selected" in page.content.decode()

    asked = _action(client, "block_selected", [alice])
    assert asked.status_code == 200
    assert 'name="reason"' in asked.content.decode()
    assert Member.objects.get(pk=alice.pk).status == MemberStatus.ACTIVE

    refused = _action(client, "block_selected", [alice], apply="1", reason="  ")
    assert refused.status_code == 200
    assert Member.objects.get(pk=alice.pk).status == MemberStatus.ACTIVE

    done = _action(client, "block_selected", [alice], apply="1", reason="stolen card")
    assert done.status_code == 302
    alice.refresh_from_db()
    assert (alice.status, alice.blocked_reason, alice.blocked_by) == (
        "blocked",
        "stolen card",
        manager,
    )
    listed = client.get(reverse(CHANGELIST), {"status__exact": "blocked"}).content.decode()
    assert alice.member_number in listed

    assert _action(client, "unblock_selected", [alice]).status_code == 302
    assert Member.objects.get(pk=alice.pk).status == MemberStatus.ACTIVE
    assert list(StaffAction.objects.order_by("pk").values_list("kind", flat=True)) == [
        "block",
        "unblock",
    ]


def test_marketer_has_no_block_action(client, marketer, manager, alice):
    client.force_login(marketer)
    page = client.get(reverse(CHANGELIST))
    assert "block_selected" not in page.content.decode()
    _action(client, "block_selected", [alice], apply="1", reason="x")
    assert Member.objects.get(pk=alice.pk).status == MemberStatus.ACTIVE
    member_block(member=alice, reason="fraud", actor=manager)
    _action(client, "unblock_selected", [alice])
    assert Member.objects.get(pk=alice.pk).status == MemberStatus.BLOCKED
