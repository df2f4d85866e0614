from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "config.health"
    label = "health"
