"""The till in a real browser on a small screen: the cashier finds a member by typing, records a
purchase after seeing its points, and consumes a voucher; the manager refunds and adjusts."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from loyalty.models import LoyaltyAccount, Purchase, Refund
from loyalty.services.purchases import purchase_record
from members.roles import roles_install
from rewards.models import Voucher, VoucherStatus
from tests.browser.test_smoke import assert_fits_the_screen
from tests.conftest import PASSWORD
from tests.factories.ledger import MemberFactory, program_version_create, purchase_body
from tests.factories.members import StaffUserFactory
from tests.factories.rewards import RewardFactory, redemption_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(transactional_db):
    # A transactional test's database was flushed: the roles come back first.
    roles_install()
    program_version_create(pending_days=0)
    alice = MemberFactory(email="alice@example.com", first_name="Alice")
    alice.phone = "+34 600 12 34 56"
    alice.save(update_fields=["phone"])
    return alice


def staff_login(page: Page, live_server, role: str) -> None:
    user = StaffUserFactory(email=f"{role}@example.com", password=PASSWORD)
    user.groups.add(Group.objects.get(name=role))
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    page.goto(live_server.url + reverse("staff:search"))
    expect(page).to_have_url(re.compile(re.escape(reverse("account_login"))))
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a member")


def test_cashier_finds_a_member_records_a_purchase_and_consumes_a_voucher(
    page: Page, live_server, shop, screenshot
):
    alice = shop
    voucher = redemption_create(alice, RewardFactory(code="coffee", name_en="Free coffee")).voucher
    staff_login(page, live_server, "cashier")

    # Typing part of the phone number lists her, without submitting anything.
    page.get_by_label("Find a member").press_sequentially("600 12", delay=30)
    result = page.locator(".staff-result__link", has_text="alice@example.com")
    expect(result).to_be_visible()
    assert page.url.endswith(reverse("staff:search"))
    assert_fits_the_screen(page)
    screenshot("1-search")
    result.click()
    expect(page.get_by_test_id("member-number")).to_have_text(alice.member_number)
    available = LoyaltyAccount.objects.get(member=alice).available
    expect(page.get_by_test_id("available-points")).to_have_text(f"{available:,}")
    screenshot("2-member")

    # The preview appears as the amount is typed, before anything is saved.
    page.get_by_role("link", name="Record a purchase").click()
    page.get_by_label("Amount paid").fill("120.00")
    expect(page.get_by_test_id("purchase-preview")).to_contain_text(
        "This purchase earns 170 points."
    )
    assert not Purchase.objects.exists()
    assert_fits_the_screen(page)
    screenshot("3-preview")
    page.get_by_test_id("record-purchase").click()
    expect(page.locator(".message--success")).to_contain_text("170 points")
    expect(page.get_by_test_id("available-points")).to_have_text(f"{available + 170:,}")
    assert Purchase.objects.get().points == 170

    # A scanner types the voucher code and Enter: validate shows it, then consume.
    page.get_by_role("link", name="Voucher", exact=True).click()
    page.get_by_label("Voucher code").fill(voucher.code)
    page.get_by_label("Voucher code").press("Enter")
    expect(page.get_by_test_id("voucher")).to_contain_text("Free coffee")
    expect(page.get_by_test_id("voucher-status")).to_have_text("Can be used")
    assert_fits_the_screen(page)
    screenshot("4-voucher")
    page.get_by_role("button", name="Consume voucher").click()
    expect(page.locator(".message--success")).to_contain_text(f"Voucher {voucher.code} used")
    assert Voucher.objects.get().status == VoucherStatus.CONSUMED
    screenshot("5-consumed")


def test_an_amount_typed_with_a_decimal_comma_is_recorded_as_typed(page: Page, live_server, shop):
    # A till in Spain types "23,50" whatever language the browser speaks; in a number box a
    # browser that writes a decimal point drops the comma, and 2350 would have been recorded.
    alice = shop
    staff_login(page, live_server, "cashier")
    page.goto(live_server.url + reverse("staff:purchase", args=[alice.member_number]))
    page.get_by_label("Amount paid").press_sequentially("23,50", delay=20)
    expect(page.get_by_label("Amount paid")).to_have_value("23,50")
    page.get_by_test_id("record-purchase").click()
    expect(page.locator(".message--success")).to_be_visible()
    assert Purchase.objects.get(member=alice).amount == Decimal("23.50")

    # Three decimals is not a price: refused at the field, nothing recorded.
    page.goto(live_server.url + reverse("staff:purchase", args=[alice.member_number]))
    page.get_by_label("Amount paid").press_sequentially("12,345", delay=20)
    page.get_by_test_id("record-purchase").click()
    expect(page.locator("#id_amount_error, .field__error").first).to_be_visible()
    assert Purchase.objects.filter(member=alice).count() == 1


def test_scanning_a_card_opens_the_member(page: Page, live_server, shop):
    alice = shop
    staff_login(page, live_server, "cashier")
    page.get_by_label("Find a member").fill(alice.member_number)
    page.get_by_label("Find a member").press("Enter")
    expect(page.get_by_test_id("member-number")).to_have_text(alice.member_number)


def test_manager_refunds_a_purchase_and_adjusts_points(page: Page, live_server, shop, screenshot):
    alice = shop
    purchase, _created = purchase_record(
        member=alice,
        purchased_at=timezone.now(),
        **purchase_body(external_id="receipt-77", amount=Decimal("40.00")),
    )
    staff_login(page, live_server, "manager")
    page.goto(live_server.url + reverse("staff:member", args=[alice.member_number]))
    before = LoyaltyAccount.objects.get(member=alice).available

    page.locator(".staff-list__item", has_text="€40.00").get_by_role("link", name="Refund").click()
    expect(page.get_by_label("Purchase")).to_have_value("receipt-77")
    page.get_by_label("Amount refunded").fill("15.00")
    page.get_by_label("Reason").fill("one bottle was corked")
    assert_fits_the_screen(page)
    screenshot("1-refund")
    page.get_by_role("button", name="Refund").click()
    expect(page.locator(".message--success")).to_contain_text("15 points taken back")
    assert Refund.objects.get(purchase=purchase).points_taken == 15
    expect(page.get_by_test_id("available-points")).to_have_text(f"{before - 15:,}")

    # The reason is mandatory: left empty, the field says so.
    page.get_by_role("link", name="Adjust points").click()
    page.get_by_label("Points", exact=True).fill("250")
    page.get_by_role("button", name="Adjust").click()
    expect(page.locator("#id_reason")).to_have_attribute("required", "")
    page.get_by_label("Reason").fill("tasting night host")
    screenshot("2-adjust")
    page.get_by_role("button", name="Adjust").click()
    expect(page.locator(".message--success")).to_contain_text("+250")
    expect(page.get_by_test_id("available-points")).to_have_text(f"{before - 15 + 250:,}")
    page.get_by_text("Adjustment by the shop").first.click()
    expect(page.get_by_text("Reason given: tasting night host")).to_be_visible()
    assert_fits_the_screen(page)
    screenshot("3-member")


def test_manager_records_a_purchase_above_the_limit_after_confirming_it(
    page: Page, live_server, transactional_db, screenshot
):
    roles_install()
    program_version_create(pending_days=0, max_purchase_amount="2000.00")
    alice = MemberFactory(email="alice@example.com", first_name="Alice")
    staff_login(page, live_server, "manager")
    page.goto(live_server.url + reverse("staff:purchase", args=[alice.member_number]))

    # A slip on the keypad: the preview says why, and offers the manager the confirmation.
    page.get_by_label("Amount paid").fill("25000.00")
    preview = page.get_by_test_id("purchase-preview")
    expect(preview).to_contain_text("above the program's limit of €2,000.00")
    confirm = page.get_by_label("I confirm this amount above the program's limit")
    expect(confirm).to_be_visible()
    assert_fits_the_screen(page)
    screenshot("1-above-limit")

    # The manager corrects the amount, still above the limit, checks it and confirms.
    page.get_by_label("Amount paid").fill("2500.00")
    expect(preview).to_contain_text("above the program's limit")
    page.get_by_label("I confirm this amount above the program's limit").check()
    expect(preview).to_contain_text("This purchase earns 2,550 points.")
    screenshot("2-confirmed")
    page.get_by_test_id("record-purchase").click()

    expect(page.get_by_test_id("member-number")).to_have_text(alice.member_number)
    assert Purchase.objects.get(member=alice).amount == Decimal("2500.00")
