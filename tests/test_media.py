"""The uploaded images (rewards, the shop's logo) are served under /media/ by the web process, with
DEBUG off as in production: images only, from MEDIA_ROOT only, kept a day by browsers."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

pytestmark = pytest.mark.django_db


@pytest.fixture
def media_root(settings, tmp_path):
    settings.DEBUG = False
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "secret.png").write_bytes(b"outside MEDIA_ROOT")
    return settings.MEDIA_ROOT


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 40), "#7c3aed").save(buffer, format="PNG")
    return buffer.getvalue()


def test_an_uploaded_image_is_served_in_production(client, media_root):
    name = default_storage.save("rewards/bottle.png", ContentFile(png()))

    response = client.get(f"/media/{name}")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png()
    assert response["Cache-Control"] == "public, max-age=86400"
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Last-Modified" in response


def test_an_unchanged_image_is_not_sent_again(client, media_root):
    name = default_storage.save("rewards/bottle.png", ContentFile(png()))
    last_modified = client.get(f"/media/{name}")["Last-Modified"]

    response = client.get(f"/media/{name}", HTTP_IF_MODIFIED_SINCE=last_modified)

    assert response.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "rewards/missing.png",  # not there
        "rewards/",  # a directory
        "rewards/notes.html",  # not an image type, even if stored
        "../secret.png",  # outside MEDIA_ROOT
        "%2e%2e/secret.png",
    ],
)
def test_anything_else_is_a_404(client, media_root, path):
    default_storage.save("rewards/notes.html", ContentFile(b"<script>alert(1)</script>"))

    response = client.get(f"/media/{path}")

    assert response.status_code == 404
