#!/usr/bin/env python
"""Seed Schemathesis' database and write the run's configuration (see scripts/schemathesis.sh).

    python scripts/schemathesis_seed.py OUTDIR

Empties the database (it must be one of Schemathesis' own: its name contains "schemathesis")
and its Redis database, then creates the fuzz user and the people and objects the operations
take by id, so the fuzzer reaches the logic behind the 404s. Prints an access token of the fuzz
user. Writes to OUTDIR:

- `unit.toml` for the examples, coverage and fuzzing phases: every path parameter fixed to a
  seeded object, except that destructive operations take objects of their own (DELETE
  /posts/{id} one of 20 posts nobody else uses; block a user nobody follows), so that deleting
  or blocking does not turn the other operations' cases into 404s;
- `stateful.toml` for the stateful phase: path parameters come from the schema's links, and
  from the seeded objects only now and then, so the chains run on what the API just created;
- `ready-media.dict`: ready media of the fuzz user in no post, for POST /posts' media_ids
  (a media item goes into one post only, so there are plenty).

The fuzz user has no password: DELETE /account and POST /account/password need the current
one, so fuzzing them cannot deactivate the account or end its sessions.
"""

import datetime
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

READY_MEDIA_POOL = 300
SIGNUP_INVITES = 30
DOOMED = 20


def main(outdir: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ciel.settings")
    import django

    django.setup()

    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import DataExport, Session, User
    from accounts.tokens import access_token_issue
    from invites.models import Invite
    from invites.services import invite_code_generate, invite_create
    from media.models import MediaItem, MediaStatus
    from posts.models import Visibility
    from posts.services import comment_create, post_create
    from social.models import Notification
    from social.services import follow_create

    database = settings.DATABASES["default"]["NAME"]
    if "schemathesis" not in database:
        sys.exit(f"refusing to empty database {database!r}: not one of Schemathesis' own")
    call_command("flush", interactive=False, verbosity=0)
    cache.clear()

    def user(handle: str) -> User:
        return User.objects.create_user(
            email=f"{handle}@ciel.localhost", handle=handle, password=None
        )

    def ready_media_fields(owner: User) -> dict[str, Any]:
        sizes = {
            "thumb": (150, 150),
            "small": (300, 300),
            "display": (1080, 810),
            "original": (800, 600),
        }
        return {
            "owner": owner,
            "status": MediaStatus.READY,
            "content_type": "image/jpeg",
            "byte_size": 1000,
            "width": 800,
            "height": 600,
            "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
            # Keys only: nothing is stored under them, and no worker runs to read them.
            "variants": {
                name: {"key": f"media/{owner.pk}/seed/{name}.webp", "width": w, "height": h}
                for name, (w, h) in sizes.items()
            },
        }

    def ready_media(owner: User) -> MediaItem:
        return MediaItem.objects.create(**ready_media_fields(owner))

    fuzz, friend, foe = user("fuzz_user"), user("fuzz_friend"), user("fuzz_foe")
    session = Session.objects.create(user=fuzz, last_used_at=timezone.now())
    token, _ = access_token_issue(fuzz.pk, session.pk)

    post = post_create(
        author=fuzz,
        caption="seed post",
        visibility=Visibility.PUBLIC,
        media_ids=[ready_media(fuzz).pk],
    )
    friend_post = post_create(
        author=friend,
        caption="a friend's",
        visibility=Visibility.PUBLIC,
        media_ids=[ready_media(friend).pk],
    )
    friend_comment = comment_create(author=friend, post=post, body="a friend's comment")
    # DELETE /posts/{id} and DELETE /comments/{id} get objects nobody else uses, several so
    # that more than the first case of each finds something to delete.
    doomed_posts = [
        post_create(
            author=fuzz,
            caption="to delete",
            visibility=Visibility.PUBLIC,
            media_ids=[ready_media(fuzz).pk],
        ).pk
        for _ in range(DOOMED)
    ]
    doomed_comments = [
        comment_create(author=fuzz, post=post, body="to delete").pk for _ in range(DOOMED)
    ]
    follow_create(follower=fuzz, followee=friend)
    follow_create(follower=friend, followee=fuzz)
    pending_media = MediaItem.objects.create(owner=fuzz, content_type="image/jpeg", byte_size=1000)
    export = DataExport.objects.create(user=fuzz)
    # Older than the one-export-per-week window, so POST /account/export can answer 202 once.
    DataExport.objects.filter(pk=export.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=settings.EXPORT_INTERVAL_DAYS + 1)
    )
    invite = invite_create(created_by=fuzz)
    expires_at = timezone.now() + datetime.timedelta(days=settings.INVITE_EXPIRY_DAYS)
    signup_codes = [
        Invite.objects.create(
            code=invite_code_generate(), created_by=friend, expires_at=expires_at
        ).code
        for _ in range(SIGNUP_INVITES)
    ]
    pool = MediaItem.objects.bulk_create(
        [MediaItem(**ready_media_fields(fuzz)) for _ in range(READY_MEDIA_POOL)]
    )
    notifications = Notification.objects.filter(recipient=fuzz).values_list("pk", flat=True)

    dictionaries: dict[str, list[Any]] = {
        "doomed_posts": doomed_posts,
        "doomed_comments": doomed_comments,
        "signup_codes": signup_codes,
        "report_targets": [friend_post.pk, friend_comment.pk, friend.pk, post.pk],
        "notifications": list(notifications),
        # The stateful phase's occasional seeded ids. Not the friend's post: blocking the friend
        # hides it (404, as it should), which Schemathesis takes for a comment or like on it
        # that vanished.
        "some_posts": [post.pk],
        "some_comments": [friend_comment.pk, *doomed_comments],
        "some_handles": [friend.handle, foe.handle],
    }
    # Values for request bodies, in both configurations.
    body_operations: dict[str, dict[str, Any]] = {
        "post_create": {"body.media_ids[*]": {"dictionary": "ready_media"}},
        "auth_signup": {"body.invite_code": {"dictionary": "signup_codes"}},
        "report_create": {"body.target_id": {"dictionary": "report_targets"}},
        "notifications_read": {"body.ids[*]": {"dictionary": "notifications"}},
    }
    seeds = {
        "path.media_id": post.media_links.get().media_id,
        "path.export_id": export.pk,
        "path.code": invite.code,
        "path.handle": friend.handle,
    }
    # No project-wide post_id: the coverage phase, which takes no values from dictionaries,
    # would give it to DELETE /posts/{id} too, and delete the post the others work on.
    post_operations = ["post_get", "post_update", "post_comments", "post_comment_create"]
    unit_operations: dict[str, dict[str, Any]] = {
        **{operation: {"path.post_id": post.pk} for operation in post_operations},
        **{
            operation: {"path.post_id": friend_post.pk}
            for operation in ["post_like", "post_unlike"]
        },
        "post_delete": {"path.post_id": {"dictionary": "doomed_posts"}},
        "comment_delete": {"path.comment_id": {"dictionary": "doomed_comments"}},
        "media_upload_complete": {"path.media_id": pending_media.pk},
        "user_block": {"path.handle": foe.handle},
        "user_unblock": {"path.handle": foe.handle},
    }
    sometimes = 0.5
    stateful_parameters = {
        "path.post_id": {"dictionary": "some_posts", "probability": sometimes},
        "path.comment_id": {"dictionary": "some_comments", "probability": sometimes},
        "path.handle": {"dictionary": "some_handles", "probability": sometimes},
    }

    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "ready-media.dict").write_text("".join(f'"{item.pk}"\n' for item in pool))
    (outdir / "unit.toml").write_text(
        _config(seeds, {**unit_operations, **body_operations}, dictionaries)
    )
    (outdir / "stateful.toml").write_text(
        _config(stateful_parameters, body_operations, dictionaries)
    )
    print(token)


def _config(
    parameters: dict[str, Any], operations: dict[str, dict[str, Any]], dictionaries: dict
) -> str:
    """A schemathesis.toml: parameters for every operation, then for single operations."""
    lines = ["# Written by scripts/schemathesis_seed.py for one run: ids of seeded objects."]
    lines += ["", "[dictionaries.ready_media]", 'from-file = "ready-media.dict"']
    for name, values in dictionaries.items():
        lines += ["", f"[dictionaries.{name}]", f"values = {_toml(values)}"]
    lines += ["", "[parameters]", *(f"{_toml(k)} = {_toml(v)}" for k, v in parameters.items())]
    for operation_id, values in operations.items():
        lines += [
            "",
            "[[operations]]",
            f"include-operation-id = {_toml(operation_id)}",
            f"parameters = {_toml(values)}",
        ]
    return "\n".join(lines) + "\n"


def _toml(value: object) -> str:
    """A TOML value: strings, numbers and lists as JSON writes them; ids as strings."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, uuid.UUID):
        value = str(value)
    return json.dumps(value)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
