"""Default settings; an instance ``config.py`` and ``FABRIQUES_*`` variables override them.

``check`` refuses, before anything starts, the sizes and addresses below that the service
could not use (a typo would otherwise surface as a 500 on the first batch, upload, login or
address). The settings an extension owns are checked by it: ``RATELIMIT`` and its storage
(``app.ratelimit``), ``LOGIN_RATELIMIT`` (``app.access``), ``TRUSTED_PROXIES``
(``app.security``), ``BATCH_WORKERS`` (``app.verifier.executor``), ``BASEMAP_URL``
(``maps.basemap``), ``DATABASE_URL`` (``geodata.storage.database``).

``SETTINGS`` lists the service's settings, each named in ``docs/exploitation.md`` (a test
pins it); ``unknown`` finds the names given that are neither these nor Flask's, such as a
misspelt ``FABRIQUES_DATABSE_URL``, which would leave the default in force unseen: the
service says them at start-up (``app.cli``, ``app.gunicorn_conf``) but starts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from difflib import get_close_matches
from urllib.parse import urlsplit

from flask import Flask

from maps.basemap import IGN_PLAN_ATTRIBUTION, IGN_PLAN_URL

__all__ = ["BEFORE_OPENING", "DEFAULTS", "ENVIRONMENT_ONLY", "SETTINGS", "TESTING", "UNKNOWN",
           "check", "unknown", "unset_before_opening"]

DEFAULTS = {
    # Unset: the embedded SQLite file in the instance folder. Else postgresql+psycopg://...
    "DATABASE_URL": None,
    # Unset: ../shared/data beside the project's checkout.
    "DATA_DIR": None,
    # The tiles under the public maps (an XYZ URL with {z}, {x}, {y}) and their attribution:
    # the State's own basemap, Plan IGN v2 (Géoplateforme, no key). Empty or "off": no tiles,
    # the outlines of the départements, as when the tiles fail to load. The CSP allows the
    # tile host only when a basemap is set.
    "BASEMAP_URL": IGN_PLAN_URL,
    "BASEMAP_ATTRIBUTION": IGN_PLAN_ATTRIBUTION,
    # Where the engine's index of each QPV vintage is kept between processes, so that a
    # command or a restarted worker reads it instead of building it again (seconds):
    # unset, ``index/`` in the instance folder; "off": built in each process.
    "INDEX_FILES": None,
    # The address the public pages give for questions, accessibility and personal data
    # (help, legal notice, accessibility statement), and who hosts the service (legal
    # notice): the operator's to fill; unset, the pages say they are not given.
    "CONTACT_EMAIL": None,
    "HOSTING": None,
    # The Base Adresse Nationale, served by IGN's Géoplateforme since 2026.
    "GEOCODER_URL": "https://data.geopf.fr/geocodage",
    "BATCH_MAX_ROWS": 100_000,
    # Jobs of /verifier/lot run at once in each worker process; the others wait their turn.
    "BATCH_WORKERS": 2,
    # Addresses geocoded within one synchronous API call (the BAN answers a few thousand rows
    # a second at best, and gunicorn stops a request after 30 s); /verifier/lot takes more.
    "API_MAX_ADDRESSES": 5_000,
    # Requests per client (flask-limiter syntax, e.g. "50/second"); "off" for benchmarks.
    "RATELIMIT": "50/second",
    "RATELIMIT_STORAGE_URI": "memory://",
    # Rows of API batches per client (three full batches a minute); off when RATELIMIT is.
    "BATCH_RATELIMIT": "300000/minute",
    # Failed login attempts (POST /connexion) per client address and per account, counted in
    # the database so that every worker sees them; off when RATELIMIT is "off".
    "LOGIN_RATELIMIT": "10/minute",
    # Reverse proxies in front of the service (werkzeug's ProxyFix): with N > 0, the client's
    # address and scheme come from the last N X-Forwarded-For / X-Forwarded-Proto values.
    "TRUSTED_PROXIES": 0,
    "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
    # Unset: generated once and kept in the instance folder (app.security).
    "SECRET_KEY": None,
    # Session cookies: HTTPS only (browsers accept them on http://localhost), no script
    # access, not sent on cross-site requests; instructors log in again after 8 hours.
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    # CSRF tokens last as long as the session.
    "WTF_CSRF_TIME_LIMIT": None,
    # WTForms' own messages from its French catalogue (app.forms), not through Flask-Babel.
    "WTF_I18N_ENABLED": False,
}

TESTING = {
    # Nothing fetched from elsewhere in the tests: the outline fallback, unless a test sets one.
    "BASEMAP_URL": "",
    # Each test's data are its own: indexes built in the process, unless a test keeps them.
    "INDEX_FILES": "off",
}
"""Applied under a test's own mapping when it sets ``TESTING`` (``app.create_app``)."""


ENVIRONMENT_ONLY = ("INSTANCE_PATH", "CACHE_DIR", "TEST_DATABASE_URL")
"""Settings read from the environment alone (``FABRIQUES_*``), where no application is."""
FIXED = ("SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "WTF_CSRF_TIME_LIMIT",
         "WTF_I18N_ENABLED")
"""Values of ``DEFAULTS`` the service gives Flask and its extensions, not the operator's."""
SETTINGS = (*(name for name in DEFAULTS if name not in FIXED), *ENVIRONMENT_ONLY)
"""The operator's settings, each named ``FABRIQUES_…`` in ``docs/exploitation.md``."""
KNOWN = frozenset((*SETTINGS, *FIXED, *Flask.default_config))
"""Every name a setting may have: the service's and Flask's own (``SERVER_NAME``…)."""
PREFIX = "FABRIQUES_"
UNKNOWN = "fabriques.unknown_settings"
"""``app.extensions`` key: what ``unknown`` said of the settings read (none for a test's)."""


SIZES = ("BATCH_MAX_ROWS", "API_MAX_ADDRESSES", "MAX_CONTENT_LENGTH",
         "PERMANENT_SESSION_LIFETIME")
"""Settings that must be a whole number of at least 1 (rows, addresses, bytes, seconds)."""


BEFORE_OPENING = ("CONTACT_EMAIL", "HOSTING")
"""Settings the public pages need, which the operator fills before opening the service: an
empty one is said on those pages in plain words (never by its name) and in the log."""


def unset_before_opening(config: Mapping) -> list[str]:
    """The ``FABRIQUES_*`` names of the ``BEFORE_OPENING`` settings left empty."""
    return [f"FABRIQUES_{name}" for name in BEFORE_OPENING if not config.get(name)]


def _closest(name: str, prefix: str = "") -> str:
    """« : vouliez-vous dire NAME ? » for the known name closest to ``name``, if one is close."""
    found = get_close_matches(name, sorted(KNOWN), n=1, cutoff=0.75)
    return f" : vouliez-vous dire {prefix}{found[0]} ?" if found else ""


def unknown(environ: Mapping[str, str], instance_names: Iterable[str] = (),
            instance_file: str = "config.py") -> list[str]:
    """One French sentence per ``FABRIQUES_*`` variable of ``environ`` and per name the
    instance file set that is not in ``KNOWN``, with the closest known name when one is."""
    said = []
    for variable in sorted(environ):
        name = variable.removeprefix(PREFIX).split("__")[0]  # X__Y: a key of the dict X
        if variable.startswith(PREFIX) and name not in KNOWN:
            said.append(f"variable {variable} inconnue du service{_closest(name, PREFIX)} "
                        f"(réglages : docs/exploitation.md)")
    for name in instance_names:
        if name not in KNOWN:
            said.append(f"réglage {name} de {instance_file} inconnu du service"
                        f"{_closest(name)} (réglages : docs/exploitation.md)")
    return said


EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
"""An address of a plausible shape: one @, a dot in the domain, no space."""
SECRET_KEY_LENGTH = 32
"""Characters at least of a secret key the operator gives (the one made is 64)."""


def _check_public(config: Mapping) -> None:
    """Raise ``ValueError`` for a contact address that is no address (it would be published
    as a ``mailto:`` link) or a secret key too short to protect the sessions."""
    email = config.get("CONTACT_EMAIL")
    if email and not (isinstance(email, str) and EMAIL.fullmatch(email)):
        raise ValueError(f"CONTACT_EMAIL : une adresse électronique (nom@domaine.fr) est "
                         f"attendue, pas {email!r}")
    key = config.get("SECRET_KEY")
    if key and (not isinstance(key, str | bytes) or len(key) < SECRET_KEY_LENGTH):
        given = (f"une de {len(key)} caractère{'s' if len(key) > 1 else ''}"  # not the key
                 if isinstance(key, str | bytes)
                 else f"une valeur de type {type(key).__name__}")
        raise ValueError(f"SECRET_KEY : une clé d'au moins {SECRET_KEY_LENGTH} caractères "
                         f"est attendue, pas {given} (ou rien : le service en crée une, "
                         f"gardée dans le fichier secret_key du dossier d'instance)")


def check(config: Mapping) -> None:
    """Raise ``ValueError``, in French and naming the setting, for a size that is not a whole
    number of at least 1 (``MAX_CONTENT_LENGTH`` may be ``None``: no limit; the session's
    lifetime a ``timedelta``), a geocoder address that is not http(s), a contact address
    that is no e-mail address or a secret key shorter than ``SECRET_KEY_LENGTH``."""
    for name in SIZES:
        value = config.get(name)
        if (name == "MAX_CONTENT_LENGTH" and value is None) or (
                name == "PERMANENT_SESSION_LIFETIME" and isinstance(value, timedelta)):
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} : un entier d'au moins 1 est attendu, pas {value!r}")
    geocoder = str(config.get("GEOCODER_URL") or "")
    address = urlsplit(geocoder)
    if address.scheme not in ("http", "https") or not address.netloc:
        raise ValueError(f"GEOCODER_URL : l'adresse http(s) du géocodeur (la BAN) est "
                         f"attendue, pas {geocoder!r}")
    _check_public(config)
