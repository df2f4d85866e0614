"""Demo data: images for the catalog and a few members holding vouchers, once."""

import pytest

from loyalty.services.program import program_import
from rewards import demo
from rewards.models import Redemption, Reward, Voucher, VoucherStatus
from tests.factories.ledger import MemberFactory
from tests.factories.loyalty import example_program_text
from tests.factories.rewards import points_give


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return tmp_path


def test_demo_gives_images_and_vouchers_once(db, now, media):
    program_import(text=example_program_text(), note="demo")
    for points in (5000, 3000, 2000, 1500, 1200, 900):
        points_give(MemberFactory(), points)

    lines = demo.load()

    assert all(reward.image.name.endswith(".png") for reward in Reward.objects.all())
    assert (media / Reward.objects.first().image.name).exists()
    statuses = list(Voucher.objects.values_list("status", flat=True))
    assert statuses.count(VoucherStatus.CONSUMED) == 1
    assert statuses.count(VoucherStatus.CANCELLED) == 1
    assert statuses.count(VoucherStatus.ISSUED) >= 2
    assert "vouchers" in lines[0][1]
    count = Redemption.objects.count()
    assert demo.load() == []
    assert Redemption.objects.count() == count


def test_demo_without_a_catalog_does_nothing(db):
    assert demo.load() == []
