"""Moving a site off the embedded SQLite default: every row of every table into an empty PostgreSQL
database, which the move gives this code's schema first.

It all happens in one transaction on the target: the schema by this code's migrations, then each
table's rows as stored (timestamps and ids included: values pass through Django's own conversion for
the target, never through `save()`, which would stamp `auto_now` fields anew), the sequences moved
past the highest ids, and the counts of every table compared. PostgreSQL checks the foreign keys when
the transaction ends (Django declares them DEFERRABLE INITIALLY DEFERRED), so the order of the tables
does not matter, and any failure leaves the target as it was. The source is only read.
"""

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

import environ
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Model

from drillquiz.log import redact

TARGET = "move_target"
CHUNK = 2000
CONNECT_TIMEOUT_SECONDS = 10


class MoveRefused(Exception):
    """The move cannot start, or did not add up; the target was left as it was. Its text is one line."""


@dataclass(frozen=True)
class Moved:
    table: str
    source_rows: int
    target_rows: int


def move_data(url: str) -> list[Moved]:
    """Move every row of this site's database into the empty PostgreSQL database at url."""
    target = connect_target(url)
    source = connections[DEFAULT_DB_ALIAS]
    refuse_same_database(source, target)
    refuse_unmigrated_source(source)
    tables = model_tables()
    refuse_unfit_target(target, tables)
    with transaction.atomic(using=TARGET):
        call_command("migrate", database=TARGET, interactive=False, verbosity=0)
        empty(target, tables)  # what migrate itself wrote (content types, permissions): the source's come instead
        for model in tables.values():
            copy_rows(model, source, target)
        with target.cursor() as cursor:
            for statement in target.ops.sequence_reset_sql(no_style(), list(tables.values())):
                cursor.execute(statement)
        moved = [Moved(table, count(model, source), count(model, target)) for table, model in tables.items()]
        differing = [each.table for each in moved if each.source_rows != each.target_rows]
        if differing:
            raise MoveRefused(f"the row counts differ in {', '.join(differing)}; nothing was moved")
    return moved


def connect_target(url: str) -> BaseDatabaseWrapper:
    """A connection to the target under its own alias; MoveRefused unless it is a PostgreSQL we can reach."""
    try:
        with warnings.catch_warnings(action="ignore"):  # django-environ warns of a scheme it does not know
            config: dict[str, Any] = environ.Env.db_url_config(url)
    except (ImproperlyConfigured, KeyError, ValueError):
        config = {}
    if not config.get("ENGINE"):
        raise MoveRefused(f"not a database URL: {redact(url)[:80]!r}")
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise MoveRefused("the target must be a PostgreSQL database (postgres://user@host:port/name)")
    config.setdefault("OPTIONS", {})["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    # Django fills in what a database's settings leave out; the default alias here is a throwaway.
    connections.settings[TARGET] = connections.configure_settings({DEFAULT_DB_ALIAS: {}, TARGET: config})[TARGET]
    target = connections[TARGET]
    try:
        target.ensure_connection()
    except DatabaseError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise MoveRefused(f"cannot connect to the target: {redact(first_line)}") from None
    return target


def refuse_same_database(source: BaseDatabaseWrapper, target: BaseDatabaseWrapper) -> None:
    keys = ("ENGINE", "NAME", "HOST", "PORT")
    if [source.settings_dict.get(key) for key in keys] == [target.settings_dict.get(key) for key in keys]:
        raise MoveRefused("the target is this site's own database")


def refuse_unmigrated_source(source: BaseDatabaseWrapper) -> None:
    """The rows are read through this code's models, so the source must have exactly its schema."""
    executor = MigrationExecutor(source)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise MoveRefused("this site's database has migrations to apply: run `python manage.py migrate` first")


def model_tables() -> dict[str, type[Model]]:
    """Every table our models keep (many-to-many tables included), by name."""
    return {
        model._meta.db_table: model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


# What `migrate` itself writes into an empty database: a target holding only these is still empty.
WRITTEN_BY_MIGRATE = {"django_content_type", "auth_permission"}


def refuse_unfit_target(target: BaseDatabaseWrapper, tables: dict[str, type[Model]]) -> None:
    """The target must be empty: no tables, or only this code's schema (or an older one) with no rows."""
    present = set(target.introspection.table_names())
    recorder = MigrationRecorder(target)
    if recorder.Migration._meta.db_table in present:
        known = set(MigrationExecutor(target).loader.graph.nodes)
        newer = sorted(set(recorder.applied_migrations()) - known)
        if newer:
            app, name = newer[0]
            raise MoveRefused(f"the target's schema is newer than this code ({app}.{name}); nothing was moved")
        present.discard(recorder.Migration._meta.db_table)
    foreign = sorted(present - tables.keys())
    if foreign:
        raise MoveRefused(f"the target is not empty: it has a table {foreign[0]!r} that is not ours")
    with target.cursor() as cursor:
        for table in sorted(present - WRITTEN_BY_MIGRATE):
            cursor.execute(f"SELECT 1 FROM {target.ops.quote_name(table)} LIMIT 1")  # noqa: S608 - our table names
            if cursor.fetchone():
                raise MoveRefused(f"the target is not empty: table {table} has rows")


def empty(target: BaseDatabaseWrapper, tables: dict[str, type[Model]]) -> None:
    # DELETE, not TRUNCATE: PostgreSQL refuses to truncate a table with foreign key checks still pending.
    with target.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {target.ops.quote_name(table)}")  # noqa: S608 - our table names


def copy_rows(model: type[Model], source: BaseDatabaseWrapper, target: BaseDatabaseWrapper) -> None:
    """Every row of the model's table, as stored, in chunks (the source is read once, in key order)."""
    fields = model._meta.concrete_fields
    columns = ", ".join(target.ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    insert = f"INSERT INTO {target.ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    rows = model._base_manager.using(source.alias).order_by("pk").values_list(*(field.attname for field in fields))
    with target.cursor() as cursor:
        for chunk in chunks(rows.iterator(chunk_size=CHUNK)):
            cursor.executemany(
                insert,
                [
                    [field.get_db_prep_save(value, connection=target) for field, value in zip(fields, row, strict=True)]
                    for row in chunk
                ],
            )


def chunks(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    while chunk := list(islice(rows, CHUNK)):
        yield chunk


def count(model: type[Model], connection: BaseDatabaseWrapper) -> int:
    return model._base_manager.using(connection.alias).count()
