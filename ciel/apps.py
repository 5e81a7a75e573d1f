from django.apps import AppConfig


class CielConfig(AppConfig):
    """The project package as an app, for its management commands and operational tasks."""

    name = "ciel"
    verbose_name = "Ciel"
