import factory
from django.contrib.auth import get_user_model


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct-horse-battery")


class StaffUserFactory(UserFactory):
    is_staff = True


def portal_member_create(
    *,
    email: str,
    first_name: str = "Ana",
    language: str = "en",
    password: str = "correct-horse-battery",  # noqa: S107 - the test suite's password
):
    """A member who signed up in the portal: a verified account that can log in, enrolled
    through loyalty.services.enrolment.member_join_signed_up (so the sign-up bonus and consent
    rows apply)."""
    from allauth.account.models import EmailAddress

    from loyalty.services.enrolment import member_join_signed_up
    from members.birthdays import Birthday

    user = UserFactory(email=email, first_name=first_name, last_name="", password=password)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return member_join_signed_up(
        user=user,
        first_name=first_name,
        birthday=Birthday(day=14, month=3),
        language=language,
        marketing_email_opt_in=True,
    )
