"""A reward's image shows in the member's catalog and on the reward's page: named by the reward
in the member's language, loaded lazily, at a phone's width; a reward without one has none."""

import io
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from rewards.models import RewardKind
from tests.factories.rewards import RewardFactory
from tests.portal.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def rewards(program, media_root):
    buffer = io.BytesIO()
    Image.new("RGB", (640, 400), "#fee2e2").save(buffer, format="PNG")
    bottle = RewardFactory(
        code="bottle",
        kind=RewardKind.FREE_PRODUCT,
        amount=None,
        points_cost=120,
        name_en="A bottle of house red",
        name_es="Una botella de tinto de la casa",
    )
    bottle.image.name = default_storage.save("rewards/bottle.png", ContentFile(buffer.getvalue()))
    bottle.save()
    plain = RewardFactory(code="plain", points_cost=100)
    return {"bottle": bottle, "plain": plain}


def images(page: str) -> list[str]:
    return re.findall(r"<img [^>]*>", page)


def offer(page: str, code: str) -> str:
    start = page.index(f'id="reward-{code}"')
    return page[start : page.index("</li>", start)]


def test_the_catalog_shows_each_rewards_image_named_by_it(client, alice, rewards):
    client.cookies["django_language"] = "es"
    page = login(client, alice).get(reverse("members:rewards")).content.decode()

    (image,) = images(offer(page, "bottle"))
    assert f'src="/media/{rewards["bottle"].image.name}"' in image
    assert 'alt="Una botella de tinto de la casa"' in image
    assert 'loading="lazy"' in image
    assert 'width="640" height="400"' in image  # its place is kept while it loads
    assert 'class="offer__image"' in image
    assert "offer--with-image" in page


def test_a_reward_without_an_image_has_no_empty_picture(client, alice, rewards):
    page = login(client, alice).get(reverse("members:rewards")).content.decode()

    assert images(offer(page, "plain")) == []
    assert 'id="reward-plain"' in page
    assert re.search(r'class="offer[^"]*offer--with-image[^"]*" id="reward-plain"', page) is None


def test_the_rewards_page_shows_its_image(client, alice, rewards):
    page = login(client, alice).get(reverse("members:redeem", args=["bottle"])).content.decode()

    (image,) = [image for image in images(page) if "offer__image" in image]
    assert f'src="/media/{rewards["bottle"].image.name}"' in image
    assert 'alt="A bottle of house red"' in image

    plain = login(client, alice).get(reverse("members:redeem", args=["plain"])).content.decode()
    assert "offer__image" not in plain


def test_the_image_is_served_to_the_page(client, alice, rewards):
    response = client.get(rewards["bottle"].image.url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
