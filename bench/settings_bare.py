"""The bare floor's settings (bench/urls_bare.py): production settings with no middleware at all,
so the floor pays nothing of the project's request stack. Never deployed."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls_bare"
MIDDLEWARE: list[str] = []
