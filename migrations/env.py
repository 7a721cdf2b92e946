import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy.types import TypeDecorator

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
    except AttributeError:
        return str(get_engine().url).replace("%", "%%")


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


# PostgreSQL's full-text search column on search_entries and its index, made by hand in 0006.
POSTGRES_SEARCH = {("column", "search_vector"), ("index", "ix_search_entries_search_vector")}


def include_object(obj, name, type_, reflected, compare_to):
    """Leave out of autogenerate what migrations made by hand for full-text search (SQLite's
    search_index tables, PostgreSQL's search_vector), and SQLite foreign keys that the
    database holds exactly as the model declares them."""
    if type_ == "table" and name.startswith("search_index"):
        return False
    if reflected and compare_to is None and (type_, name) in POSTGRES_SEARCH:
        return False
    if type_ == "foreign_key_constraint" and context.get_bind().dialect.name == "sqlite":
        return not sqlite_key_as_declared(obj, reflected)
    return True


def sqlite_key_as_declared(key, reflected: bool) -> bool:
    """Whether SQLite holds this foreign key as the model declares it, ON DELETE included.

    SQLAlchemy reads a key declared on its column (`import_batch_id INTEGER REFERENCES …
    ON DELETE SET NULL`, as 0005 adds one in place) with no name and no ON DELETE, so
    autogenerate would drop and re-add it; SQLite's own PRAGMA reports it in full.
    """
    columns = [column.name for column in key.columns]
    table = key.table.name
    model_table = get_metadata().tables.get(table)
    if model_table is None:
        return False
    declared = next(
        (
            fk
            for fk in model_table.foreign_key_constraints
            if [column.name for column in fk.columns] == columns
        ),
        None,
    )
    if declared is None or (reflected and declared.referred_table.name != key.referred_table.name):
        return False
    held = context.get_bind().exec_driver_sql(f'PRAGMA foreign_key_list("{table}")').all()
    # Rows: id, seq, table, from, to, on_update, on_delete, match; one row per column.
    by_key: dict[int, list] = {}
    for row in held:
        by_key.setdefault(row[0], []).append(row)
    wanted = (
        declared.referred_table.name,
        columns,
        [element.column.name for element in declared.elements],
        (declared.ondelete or "NO ACTION").upper(),
        (declared.onupdate or "NO ACTION").upper(),
    )
    for rows in by_key.values():
        rows.sort(key=lambda row: row[1])
        found = (
            rows[0][2],
            [row[3] for row in rows],
            [row[4] for row in rows],
            rows[0][6].upper(),
            rows[0][5].upper(),
        )
        if found == wanted:
            return True
    return False


def render_item(type_, obj, autogen_context):
    """Write the application's column types as the plain SQLAlchemy types they store as."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url,
        target_metadata=get_metadata(),
        include_object=include_object,
        render_item=render_item,
        literal_binds=True,
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            include_object=include_object,
            render_item=render_item,
            **conf_args,
        )

        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
