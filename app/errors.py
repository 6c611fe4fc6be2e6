"""Errors at one boundary: one JSON shape for the API, mapped from domain errors, and one
French error page for the pages.

    {"error": {"status": 400, "code": "parametre-invalide", "message": "…", "parameter": "lon"}}

The boundary also answers what no view raises: unknown paths and methods (a 405 keeps its
``Allow`` header), URLs over ``MAX_URL_LENGTH``, rate limits, and a database that does not
answer (``DatabaseUnreachable``: 503 ``base-indisponible``, the pool reconnecting by itself
once the database is back), or one without the service's schema (``SchemaMissing``: 503
``schema-absent``, saying which command prepares it).
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, g, jsonify, render_template, request
from werkzeug.exceptions import BadRequest, HTTPException, NotFound, RequestURITooLarge

from geodata.checks import AddressError, AddressNotFound, LocationError
from geodata.eligibility import EligibilityError
from geodata.eligibility.reading import BatchError
from geodata.geocoder import GeocoderError
from geodata.policy import PolicyError
from geodata.storage.database import DatabaseUnreachable, SchemaMissing, unreachable_message

__all__ = ["API_PREFIX", "DATABASE_DOWN", "HTTP_TEXTS", "MAX_URL_LENGTH", "ApiError",
           "answer_json_under", "error_page", "error_response", "http_json", "init_app",
           "register"]

API_PREFIX = "/api/v1"
JSON_PREFIXES = "fabriques.json_prefixes"
"""The app's extension listing the paths (besides ``API_PREFIX``) answered in JSON."""

MAX_URL_LENGTH = 4000
"""Characters of path and query string at most: longer is a 414. Below gunicorn's own limit
on the request line (4094 bytes by default), so that the service answers it in its shapes."""

DATABASE_DOWN = ("Base de données injoignable",
                 "La base de données ne répond pas pour le moment. Réessayez dans quelques "
                 "minutes ; si cela dure, prévenez l'exploitant du service.")
"""Title and message of the 503 given while the database is unreachable."""

SCHEMA_MISSING = ("Service pas encore prêt",
                  "La base de données du service n'a pas encore son schéma. Si vous exploitez "
                  "le service : «\u00a0fabriques load demo\u00a0» prépare une base neuve, "
                  "«\u00a0fabriques db upgrade\u00a0» met à jour celle d'une version "
                  "précédente.")
"""Title and message of the 503 given while the database lacks the service's tables."""

HTTP_TEXTS = {
    400: ("Requête invalide", "La requête est mal formée."),
    404: ("Page introuvable", "Aucune page ni ressource à cette adresse."),
    405: ("Méthode non permise", "Cette adresse n'accepte pas cette méthode HTTP."),
    413: ("Envoi trop volumineux", "Le contenu envoyé dépasse la taille permise."),
    414: ("Adresse trop longue",
          f"L'adresse demandée dépasse {MAX_URL_LENGTH} caractères : raccourcissez-la."),
    429: ("Trop de requêtes", "Trop de requêtes depuis votre poste : réessayez dans un instant."),
    500: ("Erreur interne", "Le service a rencontré une erreur inattendue."),
}
"""French title and message of each HTTP error the service answers without a view's words."""


class ApiError(Exception):
    """An error answered to an API client, with a user-safe French message."""

    def __init__(self, status: int, code: str, message: str, parameter: str | None = None,
                 retry_after: int | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.parameter = status, code, message, parameter
        self.retry_after = retry_after  # seconds, for a 429


def error_response(error: ApiError):
    """The one JSON shape of an API error, with its status (and ``Retry-After`` when said)."""
    body = {"status": error.status, "code": error.code, "message": error.message,
            "parameter": error.parameter}
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after else {}
    if error.retry_after:
        g.retry_after = error.retry_after  # kept over Flask-Limiter's (app.ratelimit)
    return jsonify(error=body), error.status, headers


def _from_domain(error: Exception) -> ApiError:
    if isinstance(error, ApiError):
        return error
    if isinstance(error, AddressError):
        return ApiError(400, "adresse-invalide", str(error), "address")
    if isinstance(error, AddressNotFound):
        return ApiError(422, "adresse-introuvable", str(error), "address")
    if isinstance(error, LocationError):
        return ApiError(400, "parametre-invalide", str(error), error.parameter)
    if isinstance(error, PolicyError):
        return ApiError(400, "politique-inconnue", str(error), "policy")
    if isinstance(error, EligibilityError):
        # A place outside every territory: the pair of coordinates (or the address found),
        # not one parameter (it named "lon" for lat=90).
        return ApiError(422, "hors-territoire", str(error), None)
    if isinstance(error, BatchError):
        return ApiError(400, "fichier-invalide", str(error), "file")
    if isinstance(error, GeocoderError):
        return ApiError(503, "geocodeur-indisponible", str(error), "address")
    raise error


def register(blueprint: Blueprint) -> None:
    """Answer every error of ``blueprint`` with the one JSON shape."""

    @blueprint.errorhandler(ApiError)
    @blueprint.errorhandler(LocationError)
    @blueprint.errorhandler(PolicyError)
    @blueprint.errorhandler(EligibilityError)
    @blueprint.errorhandler(BatchError)
    @blueprint.errorhandler(GeocoderError)
    def domain_error(error):
        return error_response(_from_domain(error))

    blueprint.register_error_handler(HTTPException, http_json)


def error_page(title: str, message: str, status: int, kept: list[tuple[str, str]] = (),
               step: tuple[str, str] | None = None):
    """The French error page: a title, what went wrong, what the person had written
    (``kept``: label and text, to copy), the next step if one is said (``step``: label and
    address of a button) and the way back home."""
    return render_template("erreur.html", title=title, message=message, kept=kept,
                           step=step), status


def _http_texts(error: HTTPException) -> tuple[str, str]:
    """The French title and message of an HTTP error; a view's own description is kept (not
    the limit Flask-Limiter writes in a 429's, in English)."""
    title, message = HTTP_TEXTS.get(error.code, (error.name, error.description))
    if error.code != 429 and error.description != type(error).description:
        message = error.description or message
    allowed = getattr(error, "valid_methods", None)
    if allowed:
        message = (f"La méthode {request.method} n'est pas permise à cette adresse "
                   f"(permises : {', '.join(allowed)}).")
    return title, message


def _with_headers(answer, error: HTTPException):
    """``answer`` (a body and a status) as a response with the error's headers (``Allow`` of a
    405, ``Retry-After``…), but its own content type."""
    response = current_app.make_response(answer)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def http_json(error: HTTPException, advice: str = ""):
    """An HTTP error of the API in the one JSON shape, in French, its headers kept;
    ``advice``, when given, follows the message: what the client can do about it."""
    _title, message = _http_texts(error)
    code = error.code or 500
    message = f"{message} {advice}" if advice else message
    return _with_headers(error_response(ApiError(code, f"http-{code}", message,
                                                  getattr(error, "parameter", None))), error)


def answer_json_under(app: Flask, prefix: str) -> None:
    """Answer the errors of every path under ``prefix`` (unknown ones included) in the one
    JSON shape, as under ``API_PREFIX``: for another API a room serves (``app.ogc``)."""
    app.extensions.setdefault(JSON_PREFIXES, []).append(prefix)


def _in_an_api() -> bool:
    """Whether the request's path is under ``API_PREFIX`` or another prefix answered in JSON."""
    prefixes = (API_PREFIX, *current_app.extensions.get(JSON_PREFIXES, ()))
    return request.path.startswith(prefixes)


def _http_error(error: HTTPException):
    """An HTTP error no view handled: the JSON shape under the API, else the French page."""
    if _in_an_api():
        return http_json(error)
    title, message = _http_texts(error)
    return _with_headers(error_page(title, message, error.code or 500), error)


def _database_down(error: DatabaseUnreachable):
    """503 while the database does not answer: ``base-indisponible`` or the French page."""
    current_app.logger.warning("%s", unreachable_message(error))
    return _unavailable("base-indisponible", DATABASE_DOWN)


def _schema_missing(error: SchemaMissing):
    """503 while the database lacks the service's tables: ``schema-absent`` or the page."""
    current_app.logger.warning("%s", error)
    return _unavailable("schema-absent", SCHEMA_MISSING)


def _unavailable(code: str, texts: tuple[str, str]):
    """A 503 of the database: the API's JSON with ``code``, else the page (title, message)."""
    # The page's header asks who is logged in, which would ask the database again.
    if hasattr(current_app, "login_manager"):
        g._login_user = current_app.login_manager.anonymous_user()
    title, message = texts
    if _in_an_api():
        return error_response(ApiError(503, code, message))
    return error_page(title, message, 503)


def _refuse_long_url() -> None:
    """A URL over ``MAX_URL_LENGTH`` characters is a 414, before anything reads it."""
    if len(request.path) + len(request.query_string) > MAX_URL_LENGTH:
        raise RequestURITooLarge()


BATCH_ENDPOINT = "api.eligibility_batch"
"""The API's batch: its body is a CSV even when curl sends it as a form (``--data-binary``),
and its reader refuses a NUL byte naming its line."""


def _refuse_nul() -> None:
    """A NUL character (``%00``) is in no name nor text of the service, and PostgreSQL
    refuses it in text (a 500 where SQLite answered 404): a path holding one is a 404, a
    parameter or a field of a plain form a 400 that names it, before anything reads them."""
    if "\x00" in request.path:
        raise NotFound()
    sent = [*request.args.items(multi=True)]
    if request.mimetype == "application/x-www-form-urlencoded" and \
            request.endpoint != BATCH_ENDPOINT:  # its body is a CSV, read and checked by it
        sent += request.form.items(multi=True)
    for name, value in sent:
        if "\x00" in name or "\x00" in value:
            shown = name.replace("\x00", "\\0")[:40]
            refused = BadRequest(f"caractère nul (%00) dans « {shown} » : retirez-le.")
            refused.parameter = shown  # the API's error names it
            raise refused


API_PARAMETERS = "fabriques.api_parameters"
"""The app's extension naming the JSON API's documented query parameters (``app.api``)."""
REPEATABLE = frozenset({"kind"})
"""The JSON API's parameters a request may give more than once (the places' types of
``/api/v1/reseaux``); any other it documents, given twice, is refused."""


def _refuse_repeated() -> None:
    """A parameter of the JSON API given twice (``region=84&region=93``) is a 400 naming it:
    one value was read, the other dropped without a word. A parameter the API does not
    document is not read, repeated or not."""
    if not request.path.startswith(f"{API_PREFIX}/"):
        return
    read = current_app.extensions.get(API_PARAMETERS, frozenset())
    for name in request.args:
        if name in read and name not in REPEATABLE and len(request.args.getlist(name)) > 1:
            shown = name[:40]
            refused = BadRequest(f"paramètre « {shown} » donné plusieurs fois : donnez-en "
                                 "une seule valeur.")
            refused.parameter = shown
            raise refused


def init_app(app: Flask) -> None:
    """Unknown API paths and methods, long URLs, NUL characters, rate limits, a database down
    and an unexpected error get the JSON shape under the API and a French page elsewhere."""
    app.before_request(_refuse_long_url)
    app.before_request(_refuse_nul)
    app.before_request(_refuse_repeated)
    for status in (400, 404, 405, 414, 429, 500):  # 500: an exception no one handled (logged)
        app.register_error_handler(status, _http_error)
    app.register_error_handler(DatabaseUnreachable, _database_down)
    app.register_error_handler(SchemaMissing, _schema_missing)
