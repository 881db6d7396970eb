"""The Translation model moved to the translations app, its table with it unchanged: quiz forgets the
model in Django's state only (translations 0001 takes it up), and no data moves."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("quiz", "0008_markdown_help"),
        ("translations", "0001_initial"),  # the model is in translations' state before it leaves quiz's
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Translation")],
            database_operations=[],
        ),
    ]
