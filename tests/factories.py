"""factory_boy factories for the models tests need."""

import datetime

import factory
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from invites.models import Invite
from invites.services import invite_code_generate
from media.models import MediaItem, MediaStatus
from posts.models import Post, PostMedia, Visibility

DEFAULT_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    handle = factory.Sequence(lambda n: f"person_{n}")
    display_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):  # noqa: N805 — factory_boy's signature
        if create:
            obj.save(update_fields=["password"])


class InviteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invite

    code = factory.LazyFunction(invite_code_generate)
    created_by = factory.SubFactory(UserFactory)
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))


class MediaFactory(factory.django.DjangoModelFactory):
    """A processed media item; its variant keys point nowhere unless a test stores them."""

    class Meta:
        model = MediaItem

    owner = factory.SubFactory(UserFactory)
    status = MediaStatus.READY
    content_type = "image/jpeg"
    byte_size = 1000
    width = 800
    height = 600
    blurhash = "LEHV6nWB2yk8pyo0adR*.7kCMdnj"
    variants = factory.LazyAttribute(
        lambda media: {
            name: {"key": f"media/{media.owner.pk}/test/{name}.webp", "width": w, "height": h}
            for name, (w, h) in {
                "thumb": (150, 150),
                "small": (300, 300),
                "display": (1080, 810),
                "original": (800, 600),
            }.items()
        }
    )


class PostFactory(factory.django.DjangoModelFactory):
    """A post with one ready media item of its author."""

    class Meta:
        model = Post
        skip_postgeneration_save = True

    author = factory.SubFactory(UserFactory)
    caption = factory.Faker("sentence")
    visibility = Visibility.PUBLIC

    @factory.post_generation
    def media(post, create, extracted, **kwargs):  # noqa: N805 — factory_boy's signature
        if create:
            PostMedia.objects.create(post=post, media=MediaFactory(owner=post.author), position=0)
            # Keep the author's denormalised count true, as post_create does.
            User.objects.filter(pk=post.author_id).update(post_count=F("post_count") + 1)
