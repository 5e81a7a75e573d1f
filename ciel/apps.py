from django.apps import AppConfig


class CielConfig(AppConfig):
    """The project package as an app, for its management commands and operational tasks."""

    name = "ciel"
    verbose_name = "Ciel"

    def ready(self) -> None:
        # The replica router resets its per-request state on request_started; connect it before
        # the first request, not when a view first imports it halfway through that request.
        from ciel import db_router  # noqa: F401
