"""factory_boy factories for the models tests need."""

import datetime

import factory
from django.utils import timezone

from accounts.models import User
from invites.models import Invite
from invites.services import invite_code_generate

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
