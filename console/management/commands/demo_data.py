from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

# Each app that has demo data exposes `<app>.demo.load()` returning (role, email, password)
# lines; they run in this order because later ones build on earlier ones.
DEMO_MODULES = [
    "members.demo",
    "loyalty.demo",
    "rewards.demo",
    "campaigns.demo",
    "analytics.demo",
]


class Command(BaseCommand):
    help = "Load the demo data of `make run` (once: existing rows are kept) and print the logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even though DEBUG is off (demo logins have a published password).",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Demo data has published passwords; use --force to load it anyway.")
        logins = []
        with transaction.atomic():
            for module in DEMO_MODULES:
                logins += import_module(module).load()
        self.stdout.write(self.style.SUCCESS(f"\nTessera is at {settings.SITE_URL}/"))
        self.stdout.write(f"  admin:    {settings.SITE_URL}/admin/")
        self.stdout.write(f"  API docs: {settings.SITE_URL}/api/docs/")
        self.stdout.write(f"  health:   {settings.SITE_URL}/health/\n")
        self.stdout.write("Demo logins:")
        for role, email, password in logins:
            self.stdout.write(f"  {role:<20} {email:<28} {password}")
        self.stdout.write("")
