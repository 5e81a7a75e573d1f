"""The moderation console for posts and comments: remove (with a strike) and restore."""

from django.contrib import admin
from django.http import HttpRequest

from ciel.admin_tools import ModerationAdmin, action_with_reason
from posts.models import Comment, Post
from safety import services


class ContentAdmin(ModerationAdmin):
    actions = ("remove", "restore")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Authors delete through the API (counts, S3); moderators remove, which can be undone.
        return False

    def get_readonly_fields(self, request, obj=None):
        # Content is changed through the actions, never edited in place.
        return [field.name for field in self.model._meta.fields]

    @action_with_reason("Remove (hidden from everyone but staff; strikes the author)")
    def remove(self, request, queryset, reason: str) -> int:
        for content in queryset.filter(removed_at__isnull=True):
            services.content_remove(target=content, moderator=request.user, reason=reason)
        return queryset.count()

    @action_with_reason("Restore")
    def restore(self, request, queryset, reason: str) -> int:
        for content in queryset.filter(removed_at__isnull=False):
            services.content_restore(target=content, moderator=request.user, reason=reason)
        return queryset.count()


@admin.register(Post)
class PostAdmin(ContentAdmin):
    list_display = ("created_at", "author", "caption", "visibility", "like_count", "removed_at")
    list_filter = ("visibility",)
    search_fields = ("=id", "author__handle")
    list_select_related = ("author",)
    ordering = ("-created_at",)


@admin.register(Comment)
class CommentAdmin(ContentAdmin):
    list_display = ("created_at", "author", "post", "body", "removed_at")
    search_fields = ("=id", "author__handle")
    list_select_related = ("author",)
    ordering = ("-created_at",)
