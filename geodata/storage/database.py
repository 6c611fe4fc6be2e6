"""Engines for the two backends and the schema migrations (Alembic) that shape them.

``FABRIQUES_DATABASE_URL`` names a ``postgresql+psycopg://`` database (production, PostGIS);
unset, the service uses one SQLite file, ``fabriques.sqlite3`` in the instance folder.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
)
from sqlalchemy.orm import Session

__all__ = [
    "EMBEDDED_FILENAME",
    "DatabaseError",
    "DatabaseUnreachable",
    "SchemaMissing",
    "embedded_url",
    "is_postgis",
    "make_engine",
    "schema_revision",
    "session",
    "unreachable_message",
    "unreachable_reason",
    "unreachable_status",
    "upgrade",
]

EMBEDDED_FILENAME = "fabriques.sqlite3"
MIGRATIONS = Path(__file__).with_name("migrations")


class DatabaseError(ValueError):
    """The database cannot be used as configured (bad URL, missing PostGIS, old schema)."""


class DatabaseUnreachable(OperationalError):
    """The database does not answer: the connection was refused, lost or cut (server stopped
    or restarting, network down). Nothing is wrong with the request; asking again later works,
    the pool reconnecting by itself. Raised by every engine of ``make_engine`` in place of the
    driver's error (still an ``OperationalError``, so code that catches those is unchanged)."""


MISSING_DATABASE = re.compile(r'database "[^"]*" does not exist|base de données « .* » '
                              r"n'existe pas")
"""The server's words for a database that does not exist (SQLSTATE 3D000), in English or in
French (``lc_messages``): libpq gives no SQLSTATE for a connection refused at start-up."""
REFUSED_LOGIN = re.compile(r'password authentication failed|role "[^"]*" does not exist|'
                           r"authentification par mot de passe échouée|rôle « .* » n'existe pas")
"""Its words for a login refused: a wrong password (28P01), a role that does not exist."""
SETUP_SQLSTATES = {"3D000": MISSING_DATABASE, "28P01": REFUSED_LOGIN, "28000": REFUSED_LOGIN}


def _setup_problem(error: DatabaseUnreachable) -> re.Pattern | None:
    """``MISSING_DATABASE`` or ``REFUSED_LOGIN`` when the server answered but refused the
    connection for a reason that waiting will not fix, else None."""
    found = SETUP_SQLSTATES.get(getattr(error.orig, "sqlstate", None) or "")
    if found is not None:
        return found
    words = str(error.orig)
    return next((pattern for pattern in (MISSING_DATABASE, REFUSED_LOGIN)
                 if pattern.search(words)), None)


def unreachable_message(error: DatabaseUnreachable, where: str = "") -> str:
    """« base de données injoignable (where) : why », or, when the server answers but the
    database named does not exist or the login is refused, what to set up, in French."""
    problem = _setup_problem(error)
    url = getattr(error, "url", None)
    if problem is None or url is None:
        return f"base de données injoignable{f' ({where})' if where else ''} : " \
               f"{unreachable_reason(error)}"
    host, port, user, name = url.host or "localhost", url.port or 5432, url.username, url.database
    if problem is MISSING_DATABASE:
        options = f"-h {host} -p {port}" + (f" -U {user}" if user else "")
        return (f"la base {name} n'existe pas sur le serveur {host}:{port} : créez-la "
                f"(createdb {options} {name}), puis lancez « fabriques db upgrade »")
    reason = str(error.orig).strip().splitlines()[0]
    who = f"l'utilisateur {user}" if user else "l'utilisateur du système (aucun dans l'URL)"
    return (f"le serveur {host}:{port} refuse {who} pour la base {name} "
            f"({reason}) : vérifiez l'utilisateur et le mot de passe de "
            f"FABRIQUES_DATABASE_URL (le rôle doit exister et pouvoir se connecter)")


def unreachable_status(error: DatabaseUnreachable) -> str:
    """The outage in three words, for a public health probe (no host, user nor database
    name): « base absente » (the server answers, the database does not exist), « connexion
    refusée » (the server refuses the login), « base injoignable » (no answer)."""
    problem = _setup_problem(error)
    if problem is MISSING_DATABASE:
        return "base absente"
    return "connexion refusée" if problem is REFUSED_LOGIN else "base injoignable"


def unreachable_reason(error: DatabaseUnreachable) -> str:
    """Why the database does not answer, in French: the embedded file that does not open
    (its folder missing or not writable: waiting will not help), else the driver's words."""
    reason = str(error.orig).strip().splitlines()[0]
    file = getattr(error, "file", None)
    if not file:
        return f"{reason}. Réessayez quand elle répond"
    return (f"le fichier {file} ne s'ouvre pas ({reason}) : vérifiez que son dossier "
            f"{Path(file).parent} existe et que le service peut y écrire")


class SchemaMissing(DatabaseError):
    """The database answers but lacks a table or a column of the service: never set up (a
    new instance folder, a new PostgreSQL database) or not migrated since the code was
    updated. Raised by every engine of ``make_engine`` in place of the driver's « no such
    table » / « no such column » (SQLite) or « relation / column does not exist »
    (PostgreSQL, SQLSTATE 42P01 / 42703), with the command that fixes it."""


UNDEFINED = {"42P01", "42703"}
"""PostgreSQL's SQLSTATEs for a relation, a column that does not exist."""
SQLITE_UNDEFINED = re.compile(r"no such (table|column)|table \S+ has no column named")
"""SQLite's messages for them (« table dataset_versions has no column named … »: an
insert)."""


def embedded_url(instance_path: str | Path) -> str:
    """The SQLAlchemy URL of the embedded SQLite file in an instance folder."""
    return f"sqlite:///{Path(instance_path) / EMBEDDED_FILENAME}"


def session(engine: Engine) -> Session:
    """An ORM session whose objects stay readable after its commit (returned to callers)."""
    return Session(engine, expire_on_commit=False)


CONNECT_TIMEOUT_S = 5
"""Seconds a new PostgreSQL connection may take before the database counts as unreachable."""


DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg"}
"""The driver of each backend, the one installed with the service (``sqlite://`` and
``postgresql://`` name them by default); another (``postgresql+psycopg2://``,
``+asyncpg``…) would fail on an import deep in SQLAlchemy."""


def _check_driver(url: str) -> None:
    """Raise ``DatabaseError`` for a URL that is not one of ``DRIVERS``, naming the one to use."""
    try:
        parsed = make_url(url)
        driver = parsed.get_dialect().driver
        supported = DRIVERS.get(parsed.get_backend_name()) == driver
    except (ArgumentError, NoSuchModuleError, ValueError):
        supported = False
    if not supported:
        raise DatabaseError(
            f"URL de base de données non prise en charge : {url.split('://')[0]}:// "
            "(attendu : postgresql+psycopg://…, le pilote psycopg du service, ou rien pour "
            "la base embarquée)")


def make_engine(url: str) -> Engine:
    """One engine per application; SQLite gets foreign keys and a write-ahead log."""
    _check_driver(url)
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:  # a file where the folder should be, no permission…
                raise DatabaseError(f"le dossier de la base embarquée {Path(path).parent} ne "
                                    f"peut être créé ({error.strerror})") from None
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        # A server that does not answer at all (a host down, a firewall dropping packets)
        # would hold a worker for the system's TCP timeout, minutes: give up sooner, unless
        # the URL sets its own ``connect_timeout``.
        timeout = {} if "connect_timeout" in make_url(url).query \
            else {"connect_timeout": CONNECT_TIMEOUT_S}
        engine = create_engine(url, pool_pre_ping=True, connect_args=timeout)
    event.listen(engine, "handle_error", _name_unreachable)
    event.listen(engine, "handle_error", _name_schema_missing)
    return engine


def _name_unreachable(context: ExceptionContext) -> None:
    """Raise ``DatabaseUnreachable`` for a connection refused (no connection yet) or lost
    (a disconnect); a failed pre-ping is left to the pool, which reconnects."""
    error = context.sqlalchemy_exception
    if context.is_pre_ping or not isinstance(error, (OperationalError, InterfaceError)):
        return
    if context.is_disconnect or context.connection is None:
        unreachable = DatabaseUnreachable(error.statement, error.params, error.orig,
                                          hide_parameters=error.hide_parameters,
                                          connection_invalidated=context.is_disconnect)
        engine = context.engine
        if engine is not None and engine.url.get_backend_name() == "sqlite":
            unreachable.file = engine.url.database
        elif engine is not None:
            unreachable.url = engine.url
        raise unreachable


def _name_schema_missing(context: ExceptionContext) -> None:
    """Raise ``SchemaMissing`` for a table or a column that does not exist, naming the
    database, the driver's words and the command that creates or migrates the schema."""
    original = context.original_exception
    missing = getattr(original, "sqlstate", None) in UNDEFINED or SQLITE_UNDEFINED.match(
        str(original))
    if not missing:
        return
    where = context.engine.url.render_as_string(hide_password=True) if context.engine else ""
    reason = str(original).splitlines()[0]
    raise SchemaMissing(f"la base {where} n'a pas le schéma du service ({reason}) : lancez "
                        f"« fabriques db upgrade » (ou « fabriques load demo » pour une base "
                        f"neuve)") from context.sqlalchemy_exception


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def is_postgis(engine: Engine) -> bool:
    """True for the PostgreSQL + PostGIS backend, False for the embedded SQLite file."""
    return engine.dialect.name == "postgresql"


def _alembic_config(engine: Engine):
    from alembic.config import Config  # only for migrations: a check does not pay for it

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (creates the PostGIS extension if it can). A schema
    this code does not know (migrated by a newer version of the service), or PostGIS missing
    where this role cannot install it, raises ``DatabaseError``: nothing is changed."""
    from alembic import command
    from alembic.util import CommandError

    try:
        command.upgrade(_alembic_config(engine), revision)
    except DBAPIError as error:
        if isinstance(error, DatabaseUnreachable) or "CREATE EXTENSION" not in (
                error.statement or ""):
            raise
        where = engine.url.render_as_string(hide_password=True)
        reason = str(error.orig).splitlines()[0]
        raise DatabaseError(f"PostGIS manque dans la base {where} et n'a pas pu y être "
                            f"installé ({reason}) : un administrateur de la base doit y lancer "
                            f"« CREATE EXTENSION postgis; » (paquet Debian "
                            f"postgresql-15-postgis-3)") from error
    except CommandError as error:
        where = engine.url.render_as_string(hide_password=True)
        if "Can't locate revision" not in str(error):
            raise DatabaseError(f"migration de la base {where} impossible : {error}") from error
        raise DatabaseError(f"la base {where} a un schéma que cette version du service ne "
                            f"connaît pas ({error}) : une version plus récente du service l'a "
                            f"sans doute migrée ; servez-la avec cette version plus récente "
                            f"(rien n'a été modifié)") from error


def schema_revision(engine: Engine) -> str | None:
    """The schema's migration (``0017``…), None for a database without the service's schema."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
