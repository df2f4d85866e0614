"""Demo people for `make run`: a superuser and a few members who can sign in at once."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

DEMO_PASSWORD = "tessera-demo"  # noqa: S105 - printed on purpose: demo data for a local run

SUPERUSER = {"email": "admin@tessera.test", "first_name": "Alex", "last_name": "Admin"}
MEMBERS = [
    {"email": "ana@tessera.test", "first_name": "Ana", "last_name": "Ruiz"},
    {"email": "louis@tessera.test", "first_name": "Louis", "last_name": "Martin"},
    {"email": "emma@tessera.test", "first_name": "Emma", "last_name": "Smith"},
]


def _user(*, email: str, is_superuser: bool = False, **names):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        email=email, defaults={**names, "is_staff": is_superuser, "is_superuser": is_superuser}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    # Demo logins work at once: their address counts as verified.
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def load() -> list[tuple[str, str, str]]:
    """Create what is missing; return (role, email, password) lines for the printout."""
    logins = [("superuser (admin)", _user(**SUPERUSER, is_superuser=True).email, DEMO_PASSWORD)]
    logins += [("member", _user(**member).email, DEMO_PASSWORD) for member in MEMBERS]
    return logins
