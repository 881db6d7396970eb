"""The Translation model moves here from quiz: its table (quiz_translation) stays as it is, so this
creates the model in Django's state only, and hands the model's content type (and with it its
permissions, the groups and users that hold them, and Admin's history) over to this app."""

from django.db import migrations, models


def move_content_type(apps, schema_editor, source="quiz", target="translations"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.using(schema_editor.connection.alias).filter(app_label=source, model="translation").update(
        app_label=target
    )


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, source="translations", target="quiz")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("quiz", "0008_markdown_help"),  # the table as quiz last left it
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Translation",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("model", models.CharField(max_length=40)),
                        ("object_id", models.PositiveBigIntegerField()),
                        ("field", models.CharField(max_length=40)),
                        ("language", models.CharField(max_length=8)),
                        ("text", models.TextField(max_length=20000)),
                        ("source_hash", models.CharField(max_length=64)),
                        (
                            "origin",
                            models.CharField(
                                choices=[("machine", "machine"), ("human", "human")], default="machine", max_length=8
                            ),
                        ),
                        ("provider", models.CharField(blank=True, max_length=40)),
                        ("updated", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "db_table": "quiz_translation",
                        "indexes": [models.Index(fields=["model", "object_id"], name="quiz_transl_model_c496ad_idx")],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("model", "object_id", "field", "language"), name="one_translation_per_field"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back, elidable=False),
    ]
