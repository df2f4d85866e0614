"""The bare floor's settings (bench/urls_bare.py): production settings with no middleware at all,
so the floor pays nothing of the project's request stack, and no apps: its view is raw SQL over
the tables Tessera's migrations made, and allauth refuses to start without its middleware.
Never deployed."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls_bare"
MIDDLEWARE: list[str] = []
INSTALLED_APPS: list[str] = []
