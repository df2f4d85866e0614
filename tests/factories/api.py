import factory

from config.api.models import ApiKey, Scope
from config.api.services import api_key_create


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """Creates keys through the service, like the admin and the command do.

    The raw key is on the instance as ``raw_key`` (it is stored nowhere).
    """

    class Meta:
        model = ApiKey

    name = factory.Sequence(lambda n: f"Integration {n}")
    scopes = factory.LazyFunction(lambda: list(Scope.values))
    created_by = None

    @classmethod
    def _create(cls, model_class, *args, name, scopes, created_by=None, **kwargs):
        api_key, raw = api_key_create(name=name, scopes=scopes, created_by=created_by)
        api_key.raw_key = raw
        return api_key
