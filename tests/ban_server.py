"""A local fake of the Base Adresse Nationale geocoder, for the tests (no network).

It answers ``GET /search/`` with a GeoCodeJSON FeatureCollection and ``POST /search/csv/``
(multipart: ``data`` file, repeatable ``columns`` and ``result_columns``, ``citycode`` and
``postcode`` naming filter columns) with the input CSV plus the result columns, in the formats
of https://adresse.data.gouv.fr/api-doc/adresse (historical api-adresse.data.gouv.fr
service; the Géoplateforme orders the CSV columns differently). Queries are matched exactly,
after normalisation, against a small gazetteer.

The gazetteer is hand-made. "8 Boulevard du Port 80000 Amiens" is the example answer of the
API documentation and "39 Quai André Citroën 75015 Paris" the one of the banR vignette; the
other coordinates are approximate (a few hundred metres), their BAN identifiers are invented,
and x/y are computed in Lambert-93 from lon/lat. "Avenue de Saint-Just" sits on the point the
CLI tests use near a Marseille QPV; Pelleautier on its town hall; two addresses of the
hand-made wave of dossiers on their communes' town halls.

Knobs: ``fail_next(times, status, retry_after)`` queues error answers (429 with Retry-After,
500...), ``delay`` holds every answer (timeouts). ``requests`` logs what was received, with
``time.monotonic()`` arrival times and the posted CSV files. The ``ban_server`` fixture
(import ``ban_server_fixture``) starts and stops a server.
"""

from __future__ import annotations

import csv
import email.policy
import io
import json
import re
import sys
import threading
import time
import unicodedata
from collections import deque
from dataclasses import dataclass, field
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from pyproj import Transformer

CSV_RESULT_COLUMNS = (
    "latitude", "longitude", "result_label", "result_score", "result_score_next", "result_type",
    "result_id", "result_housenumber", "result_name", "result_street", "result_postcode",
    "result_city", "result_context", "result_citycode", "result_oldcitycode", "result_oldcity",
    "result_district", "result_status",
)
"""The /search/csv/ result columns, in the documented order."""
FILTERS = ("citycode", "postcode", "type")
BAD_QUERY = {"code": 400, "message": "Failed parsing query",
             "detail": ["q: must contain between 3 and 200 chars and start with a number or a "
                        "letter"]}
_LAMBERT93 = Transformer.from_crs(4326, 2154, always_xy=True)


def normalise(text: str) -> str:
    """Lower case, no accents, words separated by one space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


@dataclass(frozen=True)
class Place:
    """One gazetteer entry, with the BAN properties it is returned with."""

    label: str
    type: str  # housenumber | street | locality | municipality
    lon: float
    lat: float
    score: float
    importance: float
    id: str
    name: str
    postcode: str
    citycode: str
    city: str
    context: str
    housenumber: str | None = None
    street: str | None = None
    district: str | None = None
    aliases: tuple[str, ...] = ()

    def matches(self, query: str, filters: dict[str, str]) -> bool:
        if normalise(query) not in {normalise(self.label), *map(normalise, self.aliases)}:
            return False
        return all(not value or getattr(self, key) == value for key, value in filters.items())

    def properties(self) -> dict:
        x, y = _LAMBERT93.transform(self.lon, self.lat)
        props = {"label": self.label, "score": self.score, "housenumber": self.housenumber,
                 "id": self.id, "type": self.type, "name": self.name,
                 "postcode": self.postcode, "citycode": self.citycode, "x": round(x, 2),
                 "y": round(y, 2), "city": self.city, "district": self.district,
                 "context": self.context, "importance": self.importance,
                 "street": self.street}
        return {key: value for key, value in props.items() if value is not None}

    def feature(self) -> dict:
        return {"type": "Feature",
                "geometry": {"type": "Point", "coordinates": [self.lon, self.lat]},
                "properties": self.properties()}


PARIS, MARSEILLE = "75, Paris, Île-de-France", "13, Bouches-du-Rhône, Provence-Alpes-Côte d'Azur"
HAUTES_ALPES = "05, Hautes-Alpes, Provence-Alpes-Côte d'Azur"
SEGUR = Place("20 Avenue de Ségur 75007 Paris", "housenumber", 2.30859, 48.85049, 0.9731,
              0.6954, "75107_8909_00020", "20 Avenue de Ségur", "75007", "75107", "Paris",
              PARIS, housenumber="20", street="Avenue de Ségur",
              district="Paris 7e Arrondissement",
              aliases=("20 avenue de Ségur", "20 avenue de Ségur Paris",
                       "20 avenue de Ségur 75007"))
CITROEN = Place("39 Quai André Citroën 75015 Paris", "housenumber", 2.278922, 48.84696,
                0.9801645, 0.78181, "75115_0318_00039", "39 Quai André Citroën", "75015",
                "75115", "Paris", PARIS, housenumber="39", street="Quai André Citroën",
                district="Paris 15e Arrondissement", aliases=("39 quai André Citroën, Paris",))
AMIENS = Place("8 Boulevard du Port 80000 Amiens", "housenumber", 2.290084, 49.897443,
               0.49159121588068583, 0.6706612694243868, "80021_6590_00008",
               "8 Boulevard du Port", "80000", "80021", "Amiens",
               "80, Somme, Hauts-de-France", housenumber="8", street="Boulevard du Port",
               aliases=("8 bd du port",))
SAINT_JUST = Place("Avenue de Saint-Just 13013 Marseille", "street", 5.4034, 43.3305, 0.8893,
                   0.6123, "13213_7630", "Avenue de Saint-Just", "13013", "13213",
                   "Marseille", MARSEILLE, district="Marseille 13e Arrondissement",
                   aliases=("avenue de Saint-Just Marseille",))
PELLEAUTIER = Place("Pelleautier", "municipality", 6.01763, 44.516, 0.9622, 0.3712, "05100",
                    "Pelleautier", "05000", "05100", "Pelleautier", HAUTES_ALPES,
                    aliases=("Pelleautier 05000", "05000 Pelleautier"))
CHAZELET = Place("Le Chazelet 05320 La Grave", "locality", 6.2857, 45.0567, 0.9412, 0.3101,
                 "05063_b0k2", "Le Chazelet", "05320", "05063", "La Grave", HAUTES_ALPES,
                 aliases=("le Chazelet La Grave",))
# Two addresses of the hand-made Démarches Simplifiées wave (tests/data/dossiers), placed on
# the town-hall points of ../shared/data/communes/communes_points_datafrance.csv.
DANTON = Place("41 Avenue Danton 17000 La Rochelle", "housenumber", -1.151907, 46.159736,
               0.8712, 0.6801, "17300_1290_00041", "41 Avenue Danton", "17000", "17300",
               "La Rochelle", "17, Charente-Maritime, Nouvelle-Aquitaine", housenumber="41",
               street="Avenue Danton", aliases=("41 AV DANTON 17000 LA ROCHELLE",))
COULOUNIEIX = Place("Coulounieix-Chamiers", "municipality", 0.690075, 45.191363, 0.9501,
                    0.4113, "24138", "Coulounieix-Chamiers", "24660", "24138",
                    "Coulounieix-Chamiers", "24, Dordogne, Nouvelle-Aquitaine",
                    aliases=("Coulounieix-Chamiers 24660",))
GAZETTEER = (SEGUR, CITROEN, AMIENS, SAINT_JUST, PELLEAUTIER, CHAZELET, DANTON, COULOUNIEIX)


def lookup(query: str, filters: dict[str, str]) -> list[Place]:
    return [place for place in GAZETTEER if place.matches(query, filters)]


def _valid_query(query: str) -> bool:
    return 3 <= len(query) <= 200 and query[0].isalnum()


@dataclass(frozen=True)
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]  # URL parameters
    form: dict[str, list[str]]  # multipart fields other than the file
    rows: int  # data rows of the posted CSV
    at: float  # time.monotonic() on arrival
    status: int
    data: str = ""  # the posted CSV file, as received (what left the client)


@dataclass
class FakeBan:
    """The server, its request log and its knobs."""

    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._failures: deque[tuple[int, float | None]] = deque()
        self._stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.ban = self
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True,
                                        kwargs={"poll_interval": 0.05})

    def fail_next(self, times: int, status: int = 500, retry_after: float | None = None):
        """Answer the next ``times`` requests with ``status`` (and a Retry-After header)."""
        with self._lock:
            self._failures.extend([(status, retry_after)] * times)

    def start(self) -> FakeBan:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases answers held by ``delay``
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _next_failure(self) -> tuple[int, float | None] | None:
        with self._lock:
            return self._failures.popleft() if self._failures else None

    def _record(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that gave up
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server_version = "fake-ban/1.0"

    def log_message(self, *args):  # keep the test output quiet
        pass

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def _serve(self, method: str) -> None:
        at = time.monotonic()
        ban: FakeBan = self.server.ban
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        form, data = {}, None
        if method == "POST":
            form, data = _parse_form(self.headers.get("Content-Type", ""), body)
        failure = ban._next_failure()
        route = url.path.rstrip("/")
        if failure:
            answer = _failure(*failure)
        elif method == "GET" and route == "/search":
            answer = _search(query)
        elif method == "POST" and route == "/search/csv":
            answer = _search_csv(form, data)
        else:
            answer = _json(404, {"code": 404, "message": "Not Found"})
        rows = max(0, len((data or b"").decode("utf-8", "replace").splitlines()) - 1)
        ban._record(Received(method, url.path, query, form, rows, at, answer[0],
                             (data or b"").decode("utf-8", "replace")))
        if ban.delay:
            ban._stopping.wait(ban.delay)
        status, payload, content_type, headers = answer
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


Answer = tuple[int, bytes, str, dict[str, str]]


def _json(status: int, content: dict) -> Answer:
    body = json.dumps(content, ensure_ascii=False).encode("utf-8")
    return status, body, "application/json; charset=utf-8", {}


def _failure(status: int, retry_after: float | None) -> Answer:
    if status != 429:
        return _json(status, {"code": status, "message": "Erreur simulée"})
    headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
    return 429, b"<html><body><h1>429 Too Many Requests</h1></body></html>", "text/html", headers


def _search(params: dict[str, list[str]]) -> Answer:
    q = " ".join(params.get("q", [""])[0].split())
    if not _valid_query(q):
        return _json(400, BAD_QUERY)
    limit = int(params.get("limit", ["5"])[0])
    if not 1 <= limit <= 20:
        return _json(400, {"code": 400, "message": "Failed parsing query",
                           "detail": ["limit: must be an integer between 1 and 20"]})
    filters = {key: params[key][0] for key in FILTERS if params.get(key, [""])[0]}
    answer = {"type": "FeatureCollection", "version": "draft",
              "features": [place.feature() for place in lookup(q, filters)[:limit]],
              "attribution": "BAN", "licence": "ETALAB-2.0", "query": q}
    if filters:
        answer["filters"] = filters
    answer["limit"] = limit
    return _json(200, answer)


def _search_csv(form: dict[str, list[str]], data: bytes | None) -> Answer:
    if not data or not data.strip():
        return _json(400, {"code": 400, "message": "A CSV file must be provided in data"})
    text = data.decode("utf-8-sig")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;|\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    header = list(reader.fieldnames or [])
    columns = form.get("columns") or header
    filter_columns = {key: form[key][0] for key in FILTERS if form.get(key)}
    unknown = [c for c in [*columns, *filter_columns.values()] if c not in header]
    wanted = form.get("result_columns") or list(CSV_RESULT_COLUMNS)
    unknown += [c for c in wanted if c not in CSV_RESULT_COLUMNS]
    if unknown:
        return _json(400, {"code": 400, "message": f"Unknown columns: {unknown}"})
    out = io.StringIO()
    writer = csv.DictWriter(out, [*header, *(c for c in CSV_RESULT_COLUMNS if c in wanted)],
                            dialect=dialect, extrasaction="ignore")
    writer.writeheader()
    for row in reader:
        q = " ".join(" ".join(row[c] or "" for c in columns).split())
        filters = {key: row[column] or "" for key, column in filter_columns.items()}
        writer.writerow({**row, **_csv_result(q, filters)})
    return 200, out.getvalue().encode("utf-8"), "text/csv; charset=utf-8", {
        "Content-Disposition": 'attachment; filename="adresses.geocoded.csv"'}


def _csv_result(q: str, filters: dict[str, str]) -> dict[str, object]:
    if not _valid_query(q):
        return {"result_status": "skipped"}
    found = lookup(q, filters)
    if not found:
        return {"result_status": "not-found"}
    props = found[0].properties()
    result = {f"result_{key}": props.get(key, "") for key in (
        "label", "score", "type", "id", "housenumber", "name", "street", "postcode", "city",
        "context", "citycode", "oldcitycode", "oldcity", "district")}
    return {**result, "latitude": found[0].lat, "longitude": found[0].lon,
            "result_score_next": found[1].score if len(found) > 1 else "",
            "result_status": "ok"}


def _parse_form(content_type: str, body: bytes) -> tuple[dict[str, list[str]], bytes | None]:
    """The fields of a multipart/form-data body, and the content of its ``data`` file."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, list[str]] = {}
    data = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if name == "data":
            data = payload
        else:
            fields.setdefault(name, []).append(payload.decode("utf-8"))
    return fields, data


@pytest.fixture(name="ban_server")
def ban_server_fixture():
    """``ban_server``: a running fake BAN server on 127.0.0.1, stopped after the test.

    Import ``ban_server_fixture`` into a test module (or a conftest) to use it.
    """
    server = FakeBan().start()
    try:
        yield server
    finally:
        server.stop()
