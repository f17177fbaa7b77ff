from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("kundeservice", "0002_jobs"),
    ]

    operations = [
        migrations.CreateModel(
            name="PublicVersion",
            fields=[
                ("name", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("version", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "public content version",
                "verbose_name_plural": "public content versions",
            },
        ),
    ]
