from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from config.api.models import Scope
from config.api.services import api_key_create


class Command(BaseCommand):
    help = (
        "Create an API key and print it once (only its hash is stored). "
        "Without --scopes the key has every scope."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who uses the key, e.g. 'POS store 12'.")
        parser.add_argument(
            "--scopes",
            nargs="+",
            metavar="SCOPE",
            help=f"One or more of: {', '.join(Scope.values)}.",
        )

    def handle(self, *args, name, scopes, **options):
        unknown = sorted(set(scopes or ()) - set(Scope.values))
        if unknown:
            raise CommandError(
                f"Unknown scope(s): {', '.join(unknown)}. Valid scopes: {', '.join(Scope.values)}."
            )
        try:
            api_key, raw = api_key_create(name=name, scopes=scopes)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        # The key alone on stdout, so `KEY=$(manage.py create_api_key ...)` captures just it.
        self.stdout.write(raw)
        self.stderr.write(
            f"Created API key {api_key.name!r} (prefix {api_key.prefix}, scopes: "
            f"{', '.join(api_key.scopes)}). Store it now: it cannot be shown again.",
            style_func=str,
        )
