from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _

from members.search import search_functions_register


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members and staff")

    def ready(self) -> None:
        # SQLite has no server-side functions: the member search's key is registered on each
        # connection as it opens (PostgreSQL has it from the migration members.0014).
        connection_created.connect(search_functions_register, dispatch_uid="members.search")
