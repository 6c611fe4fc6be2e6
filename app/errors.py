"""Errors at one boundary: one JSON shape for the API, mapped from domain errors, and one
French error page for the pages.

    {"error": {"status": 400, "code": "parametre-invalide", "message": "…", "parameter": "lon"}}
"""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from geodata.checks import AddressError, AddressNotFound, LocationError
from geodata.eligibility import EligibilityError
from geodata.eligibility.reading import BatchError
from geodata.geocoder import GeocoderError
from geodata.policy import PolicyError

__all__ = ["API_PREFIX", "ApiError", "error_page", "error_response", "init_app", "register"]

API_PREFIX = "/api/v1"


class ApiError(Exception):
    """An error answered to an API client, with a user-safe French message."""

    def __init__(self, status: int, code: str, message: str, parameter: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.parameter = status, code, message, parameter


def error_response(error: ApiError):
    body = {"status": error.status, "code": error.code, "message": error.message,
            "parameter": error.parameter}
    return jsonify(error=body), error.status


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
        return ApiError(422, "hors-territoire", str(error), "lon")
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

    @blueprint.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return error_response(ApiError(error.code or 500, "http-" + str(error.code),
                                       error.description or error.name))


def error_page(title: str, message: str, status: int):
    """The French error page: a title, what went wrong and the way back home."""
    return render_template("erreur.html", title=title, message=message), status


def init_app(app: Flask) -> None:
    """Unknown API paths and methods, and rate limits, get the JSON shape too."""

    def fallback(error: HTTPException):
        if request.path.startswith(API_PREFIX):
            return error_response(ApiError(error.code, "http-" + str(error.code),
                                           error.description or error.name))
        return error

    for status in (404, 405, 429):
        app.register_error_handler(status, fallback)
