"""The instructors' batch page, ``/verifier/lot``: upload a CSV, follow it, download it.

Every address of the page is for instructors (and admins), logged in; the public uses the
API. A job belongs to the account that uploaded it: only that account and the admins read
it, and any other gets the same 404 as for a job that does not exist.

The view checks the file at once (encoding, delimiter, columns, row limit) and shows the
form again with a French message when it cannot be used; a good file becomes a job
(``app.verifier.jobs``) run in the background by the worker's bounded executor
(``app.verifier.executor``), and the browser goes to the job's page, which polls
``/verifier/lot/<id>/etat`` (``static/lot.js``; a meta refresh without JavaScript) until the
summary and the download link appear; a job waiting for a free slot says so, with the number
of jobs waiting before it (``ahead``, in the JSON of a queued job only). A finished job can
be turned into the dossiers of a wave (``POST /verifier/lot/<id>/dossiers``,
``loaders.batch_dossiers``): its ``id`` column holds their Démarches Simplifiées numbers.
"""

from __future__ import annotations

import re
import uuid

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename

from app.access import role_required
from app.db import calendar_file, calendar_waves, data_dir, get_engine, get_geocoder
from app.errors import error_page
from app.formats import number, size
from app.forms import first_error
from app.security import no_store
from app.verifier.executor import restart_job, start_job
from app.verifier.forms import BatchDossiersForm, ResultRowsForm, UploadForm
from app.verifier.jobs import INPUT, OUTPUT, create_job, jobs_root, may_restart, read_status
from geodata.dossiers.calendar import CalendarError
from geodata.eligibility.addresses import AddressLocations, read_batch
from geodata.eligibility.french_csv import SHOWS, read_page
from geodata.eligibility.reading import BatchError
from geodata.policy import (
    CATEGORIES,
    DEFAULT_POLICY,
    SHORT_CATEGORIES,
    PolicyError,
    load_policy,
)
from loaders.dossiers import import_batch_dossiers
from loaders.errors import LoadError

__all__ = ["bp"]

bp = Blueprint("lot", __name__, url_prefix="/verifier/lot")
no_store(bp)
ROLE = "instructor"

STATE_LABELS = {"queued": "en attente", "running": "en cours", "done": "terminé",
                "failed": "échoué", "interrupted": "interrompu"}
"""Each reads after « Traitement » (« Traitement échoué »)."""
PER_PAGE = 50
LINE_PREFIX = re.compile(r"^ligne \d+ : ")
DOSSIERS_MAX_ROWS = 5000
"""A wave counts a few hundred dossiers: a bigger batch is not a wave's."""


def _form(error: str | None = None, status: int = 200, policy: str = DEFAULT_POLICY):
    config = current_app.config
    return render_template("lot.html", error=error, policy=policy,
                           max_rows=config["BATCH_MAX_ROWS"],
                           max_bytes=config.get("MAX_CONTENT_LENGTH")), status


@bp.get("")
@role_required(ROLE)
def form():
    """The upload form."""
    return _form()


@bp.errorhandler(RequestEntityTooLarge)
@role_required(ROLE)
def too_large(_error):
    """A file over MAX_CONTENT_LENGTH: the form again, with the limit, not a bare 413."""
    max_bytes = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return _form(f"Fichier trop volumineux : {size(max_bytes)} au plus. "
                 "Découpez-le en plusieurs lots.", 413)


@bp.post("")
@role_required(ROLE)
def upload():
    """Check the uploaded file, create its job, and go to the job's page."""
    form = UploadForm()
    if not form.validate():
        if form.policy.errors:
            return _form(f"Politique refusée : {form.policy.errors[0]}.", 400)
        return _form(first_error(form)[1], 400, form.policy.data)
    policy_name, upload = form.policy.data, form.file.data
    data = upload.read()
    if not data.strip():
        return _form(f"Le fichier « {upload.filename} » est vide.", 400, policy_name)
    try:
        locations = read_batch(data)
    except BatchError as error:
        return _form(f"Fichier « {upload.filename} » refusé : {error}.", 400, policy_name)
    rows, limit = len(locations.ids), current_app.config["BATCH_MAX_ROWS"]
    if not rows:
        return _form(f"Le fichier « {upload.filename} » n'a aucune ligne de données, "
                     "seulement un en-tête.", 400, policy_name)
    if rows > limit:
        return _form(f"Le fichier « {upload.filename} » a {number(rows)} lignes : "
                     f"{number(limit)} au plus par lot. Découpez-le en plusieurs lots.",
                     413, policy_name)
    addresses = locations.to_geocode if isinstance(locations, AddressLocations) else 0
    root = jobs_root(current_app)
    job_id, held = create_job(root, data, upload.filename, policy_name, rows, addresses,
                              owner=current_user.id)
    start_job(current_app._get_current_object(), held)
    return redirect(url_for(".job", job_id=job_id), 303)


def _status(job_id: uuid.UUID) -> dict:
    """The job's state, for its owner or an admin; 404 for anyone else, as for no job."""
    status = read_status(jobs_root(current_app), str(job_id))
    if status is None or not (status.get("owner") == current_user.id
                              or current_user.has_role("admin")):
        abort(404)
    return status


@bp.errorhandler(404)
def unknown_job(_error):
    return error_page("Lot introuvable",
                      "Ce lot n'existe pas ou a été supprimé (les lots sont gardés un jour). "
                      "Déposez le fichier à nouveau.", 404)


@bp.get("/<uuid:job_id>")
@role_required(ROLE)
def job(job_id: uuid.UUID):
    """A job's progress, then its summary, its rows (50 a page, filtered) and its download
    link."""
    status = _status(job_id)
    report = status.get("report") or {}
    query = ResultRowsForm()
    if not query.validate():
        query = ResultRowsForm(formdata={})
        query.validate()
    rows = None
    output = jobs_root(current_app) / str(job_id) / OUTPUT
    if status["state"] == "done" and output.is_file():
        rows = read_page(output, query.afficher.data, query.page.data or 1, PER_PAGE)
    errors = [(line, LINE_PREFIX.sub("", message)) for line, message in report.get("errors", [])]
    warnings = [(line, LINE_PREFIX.sub("", message))
                for line, message in report.get("warnings", [])]
    return render_template("lot_suivi.html", status=status, report=report, errors=errors,
                           warnings=warnings, categories=CATEGORIES,
                           state_label=STATE_LABELS[status["state"]],
                           policy=load_policy(status["policy"]), waves=calendar_waves(current_app),
                           dossiers_max_rows=DOSSIERS_MAX_ROWS, rows=rows,
                           shows=SHOWS, show=query.afficher.data,
                           short_categories=SHORT_CATEGORIES)


@bp.post("/<uuid:job_id>/dossiers")
@role_required(ROLE)
def to_dossiers(job_id: uuid.UUID):
    """Create the dossiers of a wave from a finished job's rows; the report on screen."""
    status = _status(job_id)
    if status["state"] != "done":
        abort(404)
    form = BatchDossiersForm()

    def refused(message: str, code: int = 400):
        return render_template("lot_dossiers.html", status=status, report=None,
                               error=message, wave=form.vague.data), code

    if not form.validate():
        message = first_error(form)[1]
        return refused(f"{message[:1].upper()}{message[1:]}.")
    if status["rows_total"] > DOSSIERS_MAX_ROWS:
        return refused(f"Ce lot a {number(status['rows_total'])} lignes : une vague en compte "
                       f"{number(DOSSIERS_MAX_ROWS)} au plus. Aucun dossier créé.", 413)
    data = (jobs_root(current_app) / str(job_id) / INPUT).read_bytes()
    try:
        report = import_batch_dossiers(
            get_engine(), get_geocoder(), data, status["filename"], wave=form.vague.data,
            data_dir=data_dir(current_app), policy_name=status["policy"],
            calendar_file=calendar_file(current_app), actor=current_user.email)
    except (LoadError, CalendarError, PolicyError) as error:
        return refused(f"{error}. Aucun dossier créé.")
    return render_template("lot_dossiers.html", status=status, report=report, error=None,
                           wave=form.vague.data)


@bp.get("/<uuid:job_id>/etat")
@role_required(ROLE)
def state(job_id: uuid.UUID):
    """The small JSON the job's page polls."""
    status = _status(job_id)
    answer = {"state": status["state"], "label": STATE_LABELS[status["state"]],
              "rows_done": status["rows_done"], "rows_total": status["rows_total"],
              "message": status["message"]}
    if status["state"] == "queued":
        answer["ahead"] = status.get("ahead")
    return jsonify(answer)


@bp.get("/<uuid:job_id>/resultat.csv")
@role_required(ROLE)
def download(job_id: uuid.UUID):
    """The enriched CSV (UTF-8 with BOM, semicolons, decimal commas)."""
    status = _status(job_id)
    path = jobs_root(current_app) / str(job_id) / OUTPUT
    if status["state"] != "done" or not path.is_file():
        abort(404)
    stem = secure_filename(status["filename"].rsplit(".", 1)[0]) or "lot"
    return send_file(path, mimetype="text/csv; charset=utf-8", as_attachment=True,
                     download_name=f"{stem}-verdicts.csv", max_age=0)


@bp.post("/<uuid:job_id>/relancer")
@role_required(ROLE)
def restart(job_id: uuid.UUID):
    """Start a job again from its kept upload: failed, interrupted, or done with addresses
    the geocoder did not answer for (``may_restart``)."""
    status = _status(job_id)
    if may_restart(status):
        restart_job(current_app._get_current_object(), jobs_root(current_app), str(job_id))
    return redirect(url_for(".job", job_id=job_id), 303)
