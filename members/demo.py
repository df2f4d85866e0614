"""Demo people for `make run`: a superuser and a few members who can sign in at once."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

DEMO_PASSWORD = "tessera-demo"  # noqa: S105 - printed on purpose: demo data for a local run

SUPERUSER = {"email": "admin@tessera.test", "first_name": "Alex", "last_name": "Admin"}
# One staff account per role (members.roles); the groups come from the migration.
STAFF = [
    {
        "email": "cashier@tessera.test",
        "first_name": "Carla",
        "last_name": "Cashier",
        "role": "cashier",
    },
    {
        "email": "manager@tessera.test",
        "first_name": "Marc",
        "last_name": "Manager",
        "role": "manager",
    },
    {
        "email": "marketer@tessera.test",
        "first_name": "Maya",
        "last_name": "Marketer",
        "role": "marketer",
    },
]
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


def _staff_user(*, role: str, **fields):
    from django.contrib.auth.models import Group

    user = _user(**fields)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(Group.objects.get(name=role))
    return user


def load() -> list[tuple[str, str, str]]:
    """Create what is missing; return (role, email, password) lines for the printout."""
    logins = [("superuser (admin)", _user(**SUPERUSER, is_superuser=True).email, DEMO_PASSWORD)]
    logins += [
        (f"staff ({staff['role']})", _staff_user(**staff).email, DEMO_PASSWORD) for staff in STAFF
    ]
    logins += [("member", _user(**member).email, DEMO_PASSWORD) for member in MEMBERS]
    return logins
