"""gunicorn settings of ``make serve``: each worker says which database and instance folder
it uses (and any name it read that is no setting: ``start_report``), takes back the batch
jobs that lost their worker, and warms the map's caches, before it serves.

    gunicorn --config python:app.gunicorn_conf --bind HOST:PORT --workers 2 "app:create_app()"

A batch job of ``/verifier/lot`` whose worker was killed, stopped or restarted is resumed
from its kept upload by the next worker that starts, exactly once (a lock on disk:
``app.verifier.claims``); each worker then looks again every minute
(``app.verifier.executor.start_resuming``). Without warming, the first requests that each
worker gets after a (re)start read the reference index, the Fabriques' categories and the
map's layers, and the first view of ``/carte`` waits seconds for them. Warming in
``post_worker_init`` keeps one process per worker as before (no ``--preload``: no database
connection crosses a fork, and a HUP still reloads the code); a worker takes requests once
warm, the layers coming from the instance's disk cache after the first start. A worker that
exits first shuts its executor of batch jobs down (``worker_exit``). ``flask run`` and the
tests do not read this file.

gunicorn's control socket (``gunicornc``) lies in the instance folder: its default,
``~/.gunicorn/gunicorn.ctl``, is one per user, and each instance started by that user took
it from the one before (``gunicornc`` then spoke to the last started).
"""

from __future__ import annotations

import os

limit_request_line = 8190
"""Longest request line gunicorn reads (its default, 4094, would answer a URL of 4 to 8 kB
with its own English page): the app answers URLs over 4,000 characters with its 414."""


def instance_folder() -> str:
    """The instance folder ``app.create_app`` uses: ``FABRIQUES_INSTANCE_PATH``, or Flask's
    default for the package (read here before any worker builds the application)."""
    from flask import Flask

    given = os.environ.get("FABRIQUES_INSTANCE_PATH")
    return os.path.abspath(given) if given else Flask("app").instance_path


control_socket = os.path.join(instance_folder(), "gunicorn.ctl")
"""One control socket per instance of the service (``gunicornc -s PATH``)."""


def start_report(app) -> list[tuple[int, str]]:
    """What a worker says as it starts, ``(level, message)``: the database (its URL without
    the password) and the instance folder it uses, then each name read that is no setting
    (``app.settings.unknown``) and each setting to fill before opening."""
    import logging

    from app.db import EXTENSION
    from app.settings import UNKNOWN, unset_before_opening

    url = app.extensions[EXTENSION].url.render_as_string(hide_password=True)
    said = [(logging.INFO, f"base de données : {url} ; dossier d'instance : {app.instance_path}")]
    said += [(logging.WARNING, message) for message in app.extensions.get(UNKNOWN, ())]
    said += [(logging.WARNING, f"réglage {name} vide : les pages publiques disent qu'il n'est "
                               f"pas encore renseigné (docs/exploitation.md)")
             for name in unset_before_opening(app.config)]
    return said


def post_worker_init(worker) -> None:
    """Say the worker's settings, resume the interrupted batch jobs, then warm the map's
    caches; a failure of either leaves the worker serving (an interrupted job can be
    restarted from its page; the caches are built by the first request, which then reports
    its error as usual). A database that does not answer, or lacks the service's schema, is
    said in one line: the pages say it too, with what to do."""
    from app.carte.layers import warm_caches
    from app.verifier.executor import start_resuming
    from geodata.storage.database import DatabaseError, DatabaseUnreachable, unreachable_message

    worker.notify()  # the boot counts against the worker timeout: tell the arbiter we live
    for level, message in start_report(worker.wsgi):
        worker.log.log(level, "%s", message)
    try:
        start_resuming(worker.wsgi)
    except Exception:  # noqa: BLE001 - the worker serves all the same
        worker.log.exception("reprise des lots interrompus impossible")
    try:
        warm_caches(worker.wsgi, notify=worker.notify)
    except (DatabaseUnreachable, DatabaseError) as error:  # expected: no traceback
        why = unreachable_message(error) if isinstance(error, DatabaseUnreachable) else error
        worker.log.warning("préchauffage des caches de la carte impossible (%s) ; ils seront "
                           "construits à la première requête", why)
    except Exception:  # warming is an optimisation, never a reason not to serve
        worker.log.exception("préchauffage des caches de la carte impossible ; ils seront "
                             "construits à la première requête")


def worker_exit(_server, worker) -> None:
    """Shut the worker's executor of batch jobs down: the jobs still waiting are let go (the
    next worker to start takes them back); the running ones have the graceful timeout."""
    from app.verifier.executor import shutdown

    app = getattr(worker, "wsgi", None)  # None in the arbiter, or before the app loaded
    if app is not None:
        shutdown(app)
