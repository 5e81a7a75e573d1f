"""Shared pieces of the moderation console (the Django admin)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.functional import cached_property

# Past this many rows a filtered list shows "10,000+" pages' worth rather than counting on.
COUNT_CAP = 10_000


class EstimatedCountPaginator(Paginator):
    """Never COUNT(*) a whole large table (SPEC §10).

    Unfiltered, the count is PostgreSQL's own estimate (pg_class.reltuples, kept by autovacuum);
    filtered, it is counted only up to COUNT_CAP rows. Both are enough to page through a queue.
    """

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if isinstance(queryset, QuerySet) and not queryset.query.where:
            estimate = _table_estimate(queryset.model._meta.db_table)
            if estimate > COUNT_CAP:
                return estimate
        if isinstance(queryset, QuerySet):
            return queryset[: COUNT_CAP + 1].count()
        return super().count


def _table_estimate(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
        row = cursor.fetchone()
    return max(0, int(row[0])) if row else 0


class ModerationAdmin(admin.ModelAdmin):
    """The base of every console page: cheap counts, no bulk delete."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    # Facet counts would COUNT every filter's matches over the whole table.
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50

    def get_actions(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict:
        actions = super().get_actions(request, *args, **kwargs)
        actions.pop("delete_selected", None)  # deletions go through services, one at a time
        return actions


def action_with_reason(
    description: str, permissions: tuple[str, ...] = ("change",)
) -> Callable[[Callable[..., int]], Callable[..., HttpResponse | None]]:
    """An admin action that first asks the moderator for a reason, then calls ``apply`` with it.

    ``apply(modeladmin, request, queryset, reason)`` calls the safety services (which write the
    audit rows) and returns how many objects it acted on; the moderator is told the outcome.
    """

    def decorate(apply: Callable[..., int]) -> Callable[..., HttpResponse | None]:
        @admin.action(description=description, permissions=permissions)
        @wraps(apply)
        def action(modeladmin: Any, request: HttpRequest, queryset: QuerySet) -> Any:
            reason = request.POST.get("reason", "").strip()
            if request.POST.get("apply") and reason:
                selected = queryset.count()  # before the action changes what the filter matches
                done = apply(modeladmin, request, queryset, reason)
                modeladmin.message_user(
                    request, f"{description}: done for {done} of {selected}.",
                    messages.SUCCESS,
                )  # fmt: skip
                return None
            return TemplateResponse(
                request,
                "admin/action_reason.html",
                {
                    **modeladmin.admin_site.each_context(request),
                    "title": description,
                    "items": list(queryset[:20]),
                    "count": queryset.count(),
                    "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
                    "action": request.POST.get("action", apply.__name__),
                    # "Select all N" must survive the reason page, or nothing is selected.
                    "select_across": request.POST.get("select_across") == "1",
                    "opts": modeladmin.model._meta,
                },
            )

        return action

    return decorate
