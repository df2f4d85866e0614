from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "config.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        # Registers the OpenAPI security scheme of ApiKeyAuthentication with drf-spectacular.
        from config.api import schema  # noqa: F401
