"""Every member URL shows and changes only the signed-in member's data: walked as Bob with
Alice's ids, each answers 404 (or 403) and never shows Alice's data; anonymous visitors are sent
to sign in. The URLs are read from the URLconf, so a page added later is walked too."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from loyalty.models import LedgerEntry, LoyaltyAccount
from rewards.models import Voucher
from rewards.services.redemption import reward_redeem
from tests.factories.rewards import RewardFactory
from tests.portal.conftest import login

pytestmark = pytest.mark.django_db

# Served to anyone: the service worker script holds no member data.
PUBLIC = {"members:service_worker"}
# Pages for an account that is not a member yet.
NOT_MEMBER_PAGES = {"members:join"}
# Parameters naming what every member shares (a reward of the catalog), not a member's own
# object: the page may answer Bob about the reward; it must still never show or change Alice's.
SHARED_PARAMETERS = {"reward_code"}


def member_url_names() -> list[str]:
    """Every named URL under /me/ (members' URLconf and whatever other apps mount there)."""
    names = []
    for resolver in get_resolver().url_patterns:
        if isinstance(resolver, URLResolver) and str(resolver.pattern) == "me/":
            names += _names(resolver, resolver.namespace)
    return names


def _names(resolver: URLResolver, namespace: str | None) -> list[str]:
    names = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            names += _names(pattern, inner or None)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(f"{namespace}:{pattern.name}" if namespace else pattern.name)
    return names


def alice_kwargs(name: str, alice) -> dict:
    """Alice's object for each URL parameter the portal has (new parameters must be added)."""
    kwargs = {}
    route = _route(name)
    for parameter in re.findall(r"<(?:\w+:)?(\w+)>", route):
        if parameter == "entry_id":
            kwargs[parameter] = LedgerEntry.objects.filter(member=alice).first().pk
        elif parameter == "voucher_code":
            kwargs[parameter] = alice_voucher(alice).code
        elif parameter == "reward_code":
            kwargs[parameter] = alice_voucher(alice).redemption.reward_code
        else:
            raise AssertionError(f"{name}: teach this test whose {parameter} to use")
    return kwargs


def alice_voucher(alice) -> Voucher:
    """Alice's unused voucher, made the first time it is asked for."""
    voucher = Voucher.objects.filter(redemption__member=alice).first()
    if voucher is None:
        reward = RewardFactory(code="alice-reward", points_cost=100)
        voucher = reward_redeem(member=alice, reward=reward).voucher
    return voucher


def _route(name: str) -> str:
    _namespace, _, short = name.rpartition(":")
    for resolver in get_resolver().url_patterns:
        if isinstance(resolver, URLResolver) and str(resolver.pattern) == "me/":
            for pattern in _flatten(resolver):
                if pattern.name == short:
                    return str(pattern.pattern)
    raise AssertionError(name)


def _flatten(resolver):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _flatten(pattern)
        else:
            yield pattern


def alice_data(alice) -> list[str]:
    data = [alice.user.email, alice.member_number, alice.referral_code, "Alice", "alice-big-basket"]
    voucher = Voucher.objects.filter(redemption__member=alice).first()
    if voucher is not None:
        data += [voucher.code, str(voucher.redemption.public_id)]
    return data


def test_the_walk_covers_the_portal():
    names = set(member_url_names())
    assert {"members:home", "members:activity", "members:entry", "members:card"} <= names
    assert {"members:rewards", "members:redeem", "members:vouchers"} <= names
    assert "members:voucher_cancel" in names


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_member_never_sees_or_changes_alices_data(client, alice, bob, method):
    alice_voucher(alice)
    client = login(client, bob)
    before = (alice.phone, alice.marketing_email_opt_in, alice.user.first_name)
    vouchers_before = alice_vouchers(alice)
    # Erasing (Bob's own account) signs Bob out: walk it last.
    for name in sorted(member_url_names(), key=lambda name: name == "members:erase"):
        if name in PUBLIC:
            continue
        kwargs = alice_kwargs(name, alice)
        url = reverse(name, kwargs=kwargs)
        response = getattr(client, method)(url, {"first_name": "Mallory", "confirm": "on"})
        body = response.content.decode(errors="replace")
        for secret in alice_data(alice):
            assert secret not in body, f"{method.upper()} {url} shows Alice's {secret}"
        if set(kwargs) - SHARED_PARAMETERS:
            # 405: a read-only page refuses a POST before looking anything up.
            assert response.status_code in (404, 403, 405), f"{method.upper()} {url}"
    alice.refresh_from_db()
    alice.user.refresh_from_db()
    assert (alice.phone, alice.marketing_email_opt_in, alice.user.first_name) == before
    assert alice.user.is_active
    assert alice_vouchers(alice) == vouchers_before


def alice_vouchers(alice) -> list:
    """Alice's vouchers and balance: what a cancel or redeem in her name would change."""
    return [
        *Voucher.objects.filter(redemption__member=alice).values_list("code", "status"),
        LoyaltyAccount.objects.get(member=alice).available,
    ]


def test_the_same_voucher_code_works_for_its_owner(client, alice):
    voucher = alice_voucher(alice)

    response = login(client, alice).get(reverse("members:voucher_cancel", args=[voucher.code]))

    assert response.status_code == 200


def test_the_same_entry_id_works_for_its_owner(client, alice):
    entry = LedgerEntry.objects.filter(member=alice).first()

    response = login(client, alice).get(reverse("members:entry", args=[entry.pk]))

    assert response.status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(client, alice):
    for name in member_url_names():
        if name in PUBLIC:
            continue
        url = reverse(name, kwargs=alice_kwargs(name, alice))
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 302, f"{method.upper()} {url}"
            assert response["Location"].startswith(reverse("account_login")), url


def test_staff_without_membership_is_sent_to_join_not_shown_anything(client, alice, staff_user):
    client.force_login(staff_user)
    for name in member_url_names():
        if name in PUBLIC | NOT_MEMBER_PAGES:
            continue
        url = reverse(name, kwargs=alice_kwargs(name, alice))
        response = client.post(url) if name == "members:consents" else client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("members:join"), url
