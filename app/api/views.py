"""The JSON API, ``/api/v1``: eligibility of a point or an address, batches, policies, data.

Views only parse the request and serialise; ``geodata.checks`` and the engine decide.
"""

from __future__ import annotations

import io
from urllib.parse import unquote_to_bytes

from flask import Blueprint, Response, current_app, jsonify, request

from app.api.openapi import document
from app.db import get_engine, get_geocoder, postcodes
from app.errors import API_PREFIX, ApiError, register
from app.ratelimit import rows_wait
from geodata.checks import address_geocoding, check_address, check_point, parse_coordinate
from geodata.eligibility.addresses import AddressLocations, batch_rows, read_batch, write_batch
from geodata.geocoder import GeocoderError
from geodata.policy import DEFAULT_POLICY, available_policies, load_policy
from geodata.storage.reference import dataset_versions, reference_index

__all__ = ["bp"]

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)
register(bp)


def _known_parameters(*known: str) -> None:
    """A 400 naming a query parameter the route does not read (``politique``, the pages'
    word, was ignored and the default rules answered)."""
    unknown = sorted(set(request.args) - set(known))
    if unknown:
        raise ApiError(400, "parametre-inconnu",
                       f"paramètre inconnu : {unknown[0]!r} (paramètres de cette route : "
                       f"{', '.join(sorted(known))})", unknown[0])


@bp.get("/eligibility")
def eligibility():
    _known_parameters("address", "lat", "lon", "policy", "precision")
    policy = request.args.get("policy", DEFAULT_POLICY)
    address = request.args.get("address")
    has_point = "lon" in request.args or "lat" in request.args
    if address is not None and has_point:
        raise ApiError(400, "parametres-incompatibles",
                       "donnez soit address, soit lon et lat, pas les deux", "address")
    if address is not None:
        found = check_address(get_engine(), get_geocoder(), policy, address)
    else:
        lon = parse_coordinate(request.args.get("lon"), "lon")
        lat = parse_coordinate(request.args.get("lat"), "lat")
        found = check_point(get_engine(), policy, lon, lat,
                            request.args.get("precision", "point"))
    return jsonify(found.as_dict())


@bp.post("/eligibility/batch")
def eligibility_batch():
    """A CSV of coordinates or addresses in; the contract's rows out, as CSV or JSON."""
    _known_parameters("format", "policy")
    policy = load_policy(request.args.get("policy", DEFAULT_POLICY))
    as_json = _wants_json()
    data = _uploaded_csv()
    if not data.strip():
        raise ApiError(400, "fichier-vide", "aucun CSV reçu (corps de requête ou champ file ; "
                       "avec curl : --data-binary @lot.csv, qui garde les fins de ligne)",
                       "file")
    locations = read_batch(data)
    limit = current_app.config["BATCH_MAX_ROWS"]
    if len(locations.ids) > limit:
        raise ApiError(413, "lot-trop-grand",
                       f"{len(locations.ids)} lignes : au plus {limit} par lot", "file")
    addresses = locations.to_geocode if isinstance(locations, AddressLocations) else 0
    if addresses > current_app.config["API_MAX_ADDRESSES"]:
        raise ApiError(413, "trop-d-adresses",
                       f"{addresses} adresses à géocoder : au plus "
                       f"{current_app.config['API_MAX_ADDRESSES']} par appel : envoyez-les "
                       "en plusieurs appels, ou des coordonnées (colonnes lon et lat : jusqu'à "
                       f"{limit} lignes par appel)", "file")
    # counted once the batch is one the service answers: a 413 cost the client its rows
    wait = rows_wait(current_app, len(locations.ids))
    if wait is not None:
        raise ApiError(429, "trop-de-lignes",
                       f"trop de lignes envoyées en peu de temps ({len(locations.ids)} dans ce "
                       f"lot) : réessayez dans {wait} s", "file", retry_after=wait)
    index = reference_index(get_engine(), policy.qpv_vintage)
    geocoding = address_geocoding(get_engine(), get_geocoder(), postcodes()) \
        if isinstance(locations, AddressLocations) else None
    try:  # the whole answer is built before anything is sent: all of it, or an error
        response = _json_batch(policy, batch_rows(
            index, policy, locations, geocoding=geocoding, encode=_compact_utf8)[0]) \
            if as_json else _csv_batch(index, policy, locations, geocoding)
    except GeocoderError as error:
        raise ApiError(503, "geocodeur-indisponible", str(error), "file") from None
    if "format" not in request.args:  # chosen by the Accept header
        response.vary.add("Accept")
    return response


def _csv_batch(index, policy, locations, geocoding) -> Response:
    """The contract's rows as CSV, with the report's counts in headers."""
    out = io.BytesIO()
    report = write_batch(index, policy, locations, out, geocoding=geocoding)
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=verdicts.csv"
    response.headers["X-Fabriques-Erreurs"] = str(len(report.errors))
    response.headers["X-Fabriques-A-Verifier"] = str(report.categories.get("a-verifier", 0))
    response.headers["X-Fabriques-Adresses-A-Verifier"] = str(len(report.warnings))
    return response


def _compact_utf8(value) -> bytes:
    """``value`` as ``jsonify`` writes it (the app's JSON settings, no spaces), in UTF-8."""
    return current_app.json.dumps(value, separators=(",", ":")).encode()


def _json_batch(policy, rows: list[bytes]) -> Response:
    """``{"policy": …, "rows": […]}`` as ``jsonify`` writes it, from rows encoded one by one
    as they are made: a batch of 100,000 rows held their dicts, the answer's text and its
    bytes at once (0.88 GB at the peak of a test client holding the answer too, 0.36 GB so)."""
    parts = [b'{"policy":', _compact_utf8(policy.name), b',"rows":[']
    for row in rows:
        parts += (row, b",")
    if rows:
        parts.pop()  # the last comma
    parts.append(b"]}\n")
    return Response(b"".join(parts), mimetype=current_app.json.mimetype)  # one copy


def _uploaded_csv() -> bytes:
    """The CSV sent: a ``file`` field of a form (a file, or text), else the request's body,
    whatever its type. ``curl --data-binary @lot.csv`` sends the file as a form
    (``application/x-www-form-urlencoded``): a body with a raw line break is no such form
    (a form encodes them, %0A), and is the CSV as sent, whatever ``&file=`` or ``%00`` its
    cells hold."""
    if request.mimetype == "application/x-www-form-urlencoded":
        raw = request.get_data(cache=True)
        if b"\n" in raw or b"\r" in raw:
            return raw
        field = _urlencoded_field(raw, b"file")
        return raw if field is None else field
    upload = request.files.get("file")
    if upload is not None:
        return upload.read()
    if "file" in request.form:
        text = request.form["file"]
        if "\ufffd" in text:  # decoded as UTF-8 by the form parser, its other bytes lost
            raise ApiError(400, "encodage-illisible", "le champ texte file n'est pas en "
                           "UTF-8 : envoyez le CSV comme fichier (curl -F file=@lot.csv) ou "
                           "comme corps de la requête (curl --data-binary @lot.csv), qui "
                           "lisent aussi le Latin-1", "file")
        return text.encode("utf-8")
    return request.get_data()


def _urlencoded_field(body: bytes, name: bytes) -> bytes | None:
    """The first ``name`` field of a urlencoded body, as the bytes sent (a Latin-1 CSV sent
    with ``curl --data-urlencode file@lot.csv`` keeps its « é »); None without one."""
    for part in body.split(b"&"):
        key, _, value = part.partition(b"=")
        if unquote_to_bytes(key.replace(b"+", b" ")) == name:
            return unquote_to_bytes(value.replace(b"+", b" "))
    return None


def _wants_json() -> bool:
    """``format=json`` or ``csv`` (anything else is refused), else the Accept header (CSV
    when it says nothing; 406 when it accepts neither)."""
    if "format" in request.args:
        if request.args["format"] not in {"json", "csv"}:
            raise ApiError(400, "parametre-invalide",
                           f"format inconnu : {request.args['format'][:40]!r} (csv ou json)",
                           "format")
        return request.args["format"] == "json"
    best = request.accept_mimetypes.best_match(["text/csv", "application/json"])
    if best is None and request.accept_mimetypes:  # Accept: application/xml, say
        raise ApiError(406, "format-non-disponible",
                       "Accept : text/csv ou application/json (ou le paramètre format=csv ou "
                       "json) ; rien d'autre n'est servi", None)
    return best == "application/json"


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


@bp.get("/policies")
def policies():
    described = []
    for name in available_policies():
        p = load_policy(name)
        described.append({
            "name": p.name, "title": p.title, "qpv_vintage": p.qpv_vintage,
            "proximity_m": p.proximity_m, "search_radius_m": p.search_radius_m,
            "precedence": p.precedence, "large_urban_centre": p.describe_urban_rule(),
            "quotas": vars(p.quotas), "funding": vars(p.funding),
            "default": name == DEFAULT_POLICY,
        })
    return jsonify(policies=described)


@bp.get("/datasets")
def datasets():
    versions = dataset_versions(get_engine())
    return jsonify(datasets=[{
        "source": v.source, "dataset": v.dataset, "vintage": v.vintage, "licence": v.licence,
        "url": v.url, "checksum": v.checksum, "complete_for": v.complete_for,
        "loaded_at": v.loaded_at.isoformat(), "counts": v.counts,
    } for v in versions])
