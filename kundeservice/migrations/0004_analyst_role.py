"""The analyst role: holds the ``results`` permission (aggregate, weight, publish, hide)."""

from django.db import migrations


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="analyst")


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="analyst").delete()


class Migration(migrations.Migration):
    dependencies = [("kundeservice", "0003_public_version")]
    operations = [migrations.RunPython(create_group, remove_group)]
