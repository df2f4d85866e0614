"""The uploaded images (rewards' pictures, the shop's logo) under MEDIA_URL, served by the web
process itself like the static files, in DEBUG and in production alike: a shop needs no other
server for a handful of catalog images, and `make run` shows them as production does.

Only what the uploads can be: ImageFields, checked by Pillow, in one of the raster formats below
(SVG is refused at upload, rewards.models). Anything else, a directory or a path out of
MEDIA_ROOT is a 404. The names are unique per upload (the storage never overwrites a file), so
browsers keep an image a day and ask again with If-Modified-Since."""

from __future__ import annotations

import datetime
from pathlib import PurePosixPath

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import condition, require_safe

# The formats Pillow accepts for an ImageField that a browser shows, by extension.
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
MAX_AGE = 24 * 60 * 60


def _content_type(path: str) -> str:
    content_type = IMAGE_TYPES.get(PurePosixPath(path).suffix.lower())
    if content_type is None:
        raise Http404
    return content_type


def _last_modified(request: HttpRequest, path: str) -> datetime.datetime | None:
    try:
        return default_storage.get_modified_time(path)
    except (OSError, SuspiciousFileOperation, NotImplementedError):
        return None


@require_safe
@condition(last_modified_func=_last_modified)
def media(request: HttpRequest, path: str) -> FileResponse:
    content_type = _content_type(path)
    try:
        image = default_storage.open(path, "rb")
    except (OSError, SuspiciousFileOperation) as missing:  # absent, a directory, outside
        raise Http404 from missing
    response = FileResponse(image, content_type=content_type)
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    # An image, never a document: nothing in it may run or load anything.
    response["Content-Security-Policy"] = "default-src 'none'"
    return response
