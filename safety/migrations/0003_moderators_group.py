"""Create the Moderators group with only the permissions moderation needs (SPEC §10).

Data only. Permissions are normally created after all migrations run, so they are created
here first for a fresh database.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# (app label, model, actions). View for reading; change where a console action writes through
# the safety services. No add and no delete anywhere, nothing on groups or permissions.
MODERATOR_PERMISSIONS = [
    ("accounts", "user", ("view", "change")),
    ("safety", "report", ("view", "change")),
    ("safety", "strike", ("view",)),
    ("safety", "ban", ("view",)),
    ("safety", "device", ("view", "change")),
    ("safety", "deviceaccount", ("view",)),
    ("safety", "trustledgerentry", ("view",)),
    ("safety", "auditlogentry", ("view",)),
    ("posts", "post", ("view", "change")),
    ("posts", "comment", ("view", "change")),
    ("invites", "invite", ("view",)),
]


def create_moderators_group(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    group, _ = group_model.objects.get_or_create(name="Moderators")
    codenames = [
        (app_label, f"{action}_{model}")
        for app_label, model, actions in MODERATOR_PERMISSIONS
        for action in actions
    ]
    permissions = [
        permission_model.objects.get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in codenames
    ]
    group.permissions.set(permissions)


def remove_moderators_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Moderators").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0007_deletion_and_exports"),
        ("invites", "0001_invite"),
        ("posts", "0001_posts_likes_comments"),
        ("safety", "0002_reports_strikes_bans_devices_audit"),
    ]

    operations = [migrations.RunPython(create_moderators_group, remove_moderators_group)]
