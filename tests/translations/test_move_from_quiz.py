"""Translations moved out of the quiz app with their table: the rows stay, and so do the editors'
permissions on them."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from translations.models import Translation

BEFORE = ("quiz", "0008_markdown_help")


def migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_translations_and_the_permissions_on_them_survive_the_move_to_their_own_app() -> None:
    executor = migrate([BEFORE, ("translations", None)])
    apps = executor.loader.project_state([BEFORE]).apps
    apps.get_model("quiz", "Translation").objects.create(
        model="quiz.exam", object_id=1, field="title", language="ko", text="번역", source_hash="0" * 64
    )
    content_type = apps.get_model("contenttypes", "ContentType").objects.get(app_label="quiz", model="translation")
    change = apps.get_model("auth", "Permission").objects.get(content_type=content_type, codename="change_translation")
    editors = apps.get_model("auth", "Group").objects.create(name="editors")
    editors.permissions.add(change)

    migrate(executor.loader.graph.leaf_nodes())

    assert Translation.objects.get().text == "번역"
    assert ContentType.objects.get_for_model(Translation).pk == content_type.pk
    assert not ContentType.objects.filter(app_label="quiz", model="translation").exists()
    granted = Group.objects.get(name="editors").permissions.get()
    assert f"{granted.content_type.app_label}.{granted.codename}" == "translations.change_translation"
