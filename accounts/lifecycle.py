"""Account deletion (deactivate now, purge after the grace period) and data exports (SPEC §9).

Kept apart from ``accounts.services`` (sessions and profile) because these reach into every
app's data: the export reads it all and the purge deletes it all.
"""

import datetime
import io
import json
import logging
import uuid
import zipfile
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from rest_framework.exceptions import NotFound, ValidationError

from accounts.models import DataExport, ExportStatus, Session, User
from ciel import aws
from ciel.api.exceptions import Conflict, RateLimited
from ciel.queueing import BrokerUnavailable, task_enqueue

logger = logging.getLogger(__name__)
security_log = logging.getLogger("ciel.security")


# --- Deletion ----------------------------------------------------------------------------------


class WrongPassword(ValidationError):
    def __init__(self) -> None:
        super().__init__({"password": ["The password is incorrect."]})


@transaction.atomic
def account_delete(*, user: User, password: str) -> User:
    """Deactivate at once, given the owner's password: sessions end, the profile, posts and
    comments disappear from others; the rows stay for the grace period so a moderator can
    restore them."""
    from accounts.services import sessions_revoke_all

    if not user.check_password(password):
        raise WrongPassword()
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(is_active=False, deleted_at=now)
    user.refresh_from_db()
    sessions_revoke_all(user=user, reason=Session.RevokeReason.DEACTIVATED)
    security_log.info("account_deleted user=%s", user.pk)
    return user


def purge_due_at(user: User) -> datetime.datetime | None:
    if user.deleted_at is None:
        return None
    return user.deleted_at + datetime.timedelta(days=settings.ACCOUNT_PURGE_AFTER_DAYS)


@transaction.atomic
def account_restore(*, user: User, moderator: User, reason: str) -> User:
    """A moderator brings a deleted account back within its grace period."""
    from feed.services import author_returned
    from safety.services import audit_record

    user = User.objects.select_for_update().get(pk=user.pk)
    if user.deleted_at is None:
        raise Conflict("This account is not deleted.", code="not_deleted")
    purge_at = purge_due_at(user)
    if purge_at is not None and purge_at <= timezone.now():
        raise Conflict("The grace period is over: the account is being erased.", code="too_late")
    User.objects.filter(pk=user.pk).update(is_active=True, deleted_at=None)
    user.refresh_from_db()
    audit_record(
        actor=moderator, action="account_restore", target_type="user", target_id=user.pk,
        reason=reason,
    )  # fmt: skip
    author_returned(author_id=user.pk)
    return user


def _counts_of_others_release(user: User) -> None:
    """Before the cascade deletes the user's follows, likes and comments, take them off the
    other users' and posts' counters, which must keep equalling their rows."""
    from posts.models import Comment, Post

    User.objects.filter(following_set__followee=user).update(
        following_count=F("following_count") - 1
    )
    User.objects.filter(follower_set__follower=user).update(follower_count=F("follower_count") - 1)
    Post.objects.filter(likes__user=user).exclude(author=user).update(
        like_count=F("like_count") - 1
    )
    per_post = (
        Comment.objects.filter(author=user)
        .exclude(post__author=user)
        .values("post")
        .annotate(n=Count("id"))
    )
    for row in per_post:
        Post.objects.filter(pk=row["post"]).update(comment_count=F("comment_count") - row["n"])


def _s3_prefixes(user_id: uuid.UUID) -> list[str]:
    return [f"uploads/{user_id}/", f"media/{user_id}/", f"exports/{user_id}/"]


def _s3_objects_delete(user_id: uuid.UUID) -> int:
    client = aws.s3_client()
    deleted = 0
    for prefix in _s3_prefixes(user_id):
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=settings.MEDIA_BUCKET, Prefix=prefix
        )
        for page in pages:
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                result = client.delete_objects(
                    Bucket=settings.MEDIA_BUCKET, Delete={"Objects": keys}
                )
                for error in result.get("Errors", []):
                    logger.error(
                        "purge: could not delete %s: %s", error.get("Key"), error.get("Code")
                    )
                deleted += len(keys) - len(result.get("Errors", []))
    return deleted


def account_purge(*, user_id: uuid.UUID, cutoff: datetime.datetime) -> bool:
    """Erase an account deleted before ``cutoff``: its rows, then its S3 objects.

    Rows first, under the row lock and a fresh check: a moderator's restore either happened
    before (the check fails and nothing is erased) or waits and then finds no account. Objects
    left behind by an S3 failure after the commit are logged; nothing can reach them any more.
    """
    from posts.models import Post

    with transaction.atomic():
        user = (
            User.objects.select_for_update()
            .filter(pk=user_id, is_active=False, deleted_at__lte=cutoff)
            .first()
        )
        if user is None:
            return False
        _counts_of_others_release(user)
        # Posts first: their media links hold the media rows (PROTECT) until the posts go.
        Post.objects.filter(author=user).delete()
        user.delete()
    objects = _s3_objects_delete(user_id)
    security_log.info("account_purged user=%s s3_objects=%s", user_id, objects)
    return True


def accounts_purge_due(*, now: datetime.datetime | None = None) -> int:
    """Purge every account whose grace period has ended (the beat job)."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.ACCOUNT_PURGE_AFTER_DAYS)
    due = User.objects.filter(deleted_at__lte=cutoff, is_active=False).values_list("pk", flat=True)
    purged = 0
    for user_id in list(due):
        try:
            purged += account_purge(user_id=user_id, cutoff=cutoff)
        except Exception:  # one account's trouble must not stop the others' purge
            logger.exception("purge of %s failed; the next run retries it", user_id)
    return purged


# --- Exports -----------------------------------------------------------------------------------


@transaction.atomic
def export_request(*, user: User) -> DataExport:
    """Queue an export; one per EXPORT_INTERVAL_DAYS (the user's row lock makes it one).

    If the broker cannot take the job, the export is undone and the call raises
    BrokerUnavailable (503), so the client may simply try again.
    """
    User.objects.select_for_update().filter(pk=user.pk).first()
    since = timezone.now() - datetime.timedelta(days=settings.EXPORT_INTERVAL_DAYS)
    latest = (
        DataExport.objects.filter(user=user, created_at__gt=since).order_by("-created_at").first()
    )
    if latest is not None:
        retry_after = (latest.created_at - since).total_seconds()
        raise RateLimited(
            f"One export per {settings.EXPORT_INTERVAL_DAYS} days.",
            retry_after=retry_after,
            limit=1,
        )
    export = DataExport.objects.create(user=user)
    transaction.on_commit(lambda: _export_enqueue(export))
    return export


def _export_enqueue(export: DataExport) -> None:
    from accounts.tasks import export_build_task

    try:
        task_enqueue(export_build_task, str(export.pk))
    except BrokerUnavailable:
        # Undone, so the 503's retry is not refused as the week's export that never came.
        DataExport.objects.filter(pk=export.pk, status=ExportStatus.PENDING).delete()
        raise


def export_get_for_owner(*, owner: User, export_id: uuid.UUID) -> DataExport:
    export = DataExport.objects.filter(pk=export_id, user=owner).first()
    if export is None:
        raise NotFound()
    return export


def export_download_url(export: DataExport) -> str | None:
    if export.status != ExportStatus.READY:
        return None
    return aws.s3_client().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": settings.MEDIA_BUCKET,
            "Key": export.object_key,
            "ResponseContentDisposition": f'attachment; filename="ciel-export-{export.pk}.zip"',
        },
        ExpiresIn=settings.EXPORT_URL_EXPIRY_SECONDS,
    )


def _json(data: Any) -> bytes:
    return json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False).encode()


def export_documents(user: User) -> dict[str, Any]:
    """Everything of the user's that the export holds, as JSON-ready documents."""
    from invites.models import Invite
    from posts.models import Comment, Like, Post
    from safety.models import TrustLedgerEntry
    from social.models import Block, Follow

    posts = Post.objects.filter(author=user).prefetch_related("media_links")
    return {
        "profile.json": {
            "id": user.pk,
            "email": user.email,
            "handle": user.handle,
            "display_name": user.display_name,
            "bio": user.bio,
            "trust_level": user.trust_level,
            "created_at": user.created_at,
        },
        "posts.json": [
            {
                "id": post.pk,
                "caption": post.caption,
                "visibility": post.visibility,
                "created_at": post.created_at,
                "media": [str(link.media_id) for link in post.media_links.all()],
            }
            for post in posts
        ],
        "comments.json": list(
            Comment.objects.filter(author=user).values("id", "post_id", "body", "created_at")
        ),
        "likes.json": list(Like.objects.filter(user=user).values("post_id", "created_at")),
        "follows.json": {
            "following": list(
                Follow.objects.filter(follower=user).values("followee__handle", "created_at")
            ),
            "followers": list(
                Follow.objects.filter(followee=user).values("follower__handle", "created_at")
            ),
        },
        "blocks.json": list(
            Block.objects.filter(blocker=user).values("blocked__handle", "created_at")
        ),
        "invites.json": list(
            Invite.objects.filter(created_by=user).values(
                "code", "created_at", "expires_at", "used_at", "used_by__handle", "revoked_at"
            )
        ),
        "trust_ledger.json": list(
            TrustLedgerEntry.objects.filter(user=user).values("points", "reason", "created_at")
        ),
    }


def export_build(*, export_id: uuid.UUID) -> DataExport | None:
    """Write the zip (JSON documents and the original images) to S3; safe to run twice."""
    from media.models import MediaItem, MediaStatus

    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None or export.status == ExportStatus.READY:
        return export
    user = export.user
    buffer = io.BytesIO()
    client = aws.s3_client()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, document in export_documents(user).items():
            archive.writestr(name, _json(document))
        for media in MediaItem.objects.filter(owner=user, status=MediaStatus.READY):
            original = media.variants.get("original")
            if original is None:
                continue
            body = client.get_object(Bucket=settings.MEDIA_BUCKET, Key=original["key"])["Body"]
            extension = original["key"].rsplit(".", 1)[-1]
            # Stored, not deflated: images are compressed already.
            archive.writestr(
                zipfile.ZipInfo(f"images/{media.pk}.{extension}"), body.read(), zipfile.ZIP_STORED
            )
    key = f"exports/{user.pk}/{export.pk}.zip"
    data = buffer.getvalue()
    client.put_object(
        Bucket=settings.MEDIA_BUCKET, Key=key, Body=data, ContentType="application/zip"
    )
    finished = DataExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.READY,
        object_key=key,
        byte_size=len(data),
        completed_at=timezone.now(),
        updated_at=timezone.now(),
    )
    if not finished:
        # The request undid this export while we built it (its job was queued by a send that
        # timed out, then reached SQS after all): no row will ever point at the zip, so the
        # retention sweep would never remove it.
        client.delete_object(Bucket=settings.MEDIA_BUCKET, Key=key)
        return None
    export.refresh_from_db()
    return export


def exports_cleanup(*, now: datetime.datetime | None = None) -> int:
    """Delete export zips older than EXPORT_RETENTION_DAYS from S3 (the rows stay, for the
    once-a-week rule)."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.EXPORT_RETENTION_DAYS)
    old = DataExport.objects.filter(status=ExportStatus.READY, completed_at__lt=cutoff)
    client = aws.s3_client()
    cleaned = 0
    for export in old:
        client.delete_object(Bucket=settings.MEDIA_BUCKET, Key=export.object_key)
        DataExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.EXPIRED, object_key="", updated_at=now
        )
        cleaned += 1
    return cleaned
