"""Client for the Base Adresse Nationale geocoder (the BAN "API Adresse").

``GET /search/`` geocodes one address (a GeoCodeJSON FeatureCollection), ``POST /search/csv/``
many (a CSV in; the same CSV plus ``latitude``, ``longitude`` and ``result_*`` columns out,
read by name since the Géoplateforme orders them differently). The service allows 50 requests
a second per IP, then answers 429 with ``Retry-After``: requests are paced below that rate.
Connection errors, timeouts, 429 and 500/502/503/504 are retried by urllib3's ``Retry``
(mounted on the session; it honours ``Retry-After`` and backs off exponentially), each retry
paced too; ``search`` answers are cached. Judging a low score is the caller's job: the score is
exposed as is.

What the BAN geocodes is decided here (``query_problem``): a query of 3 to 200 characters
that starts with a letter or a digit, once spaces are collapsed and leading punctuation is
dropped (``clean_query``). An address of only punctuation or emoji has none left. Such an
address, and one the BAN itself refuses (HTTP 400 on ``/search/``), raise ``AddressRefused``:
the address is at fault, not the service (``GeocoderError``).
"""

from __future__ import annotations

import csv
import io
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ReadTimeoutError
from urllib3.util import Retry

from geodata.outage import OutageLog

__all__ = [
    "GEOCODABLE",
    "MAX_QUERY_CHARS",
    "MIN_QUERY_CHARS",
    "PRECISION_BY_TYPE",
    "AddressRefused",
    "BanClient",
    "GeocodeResult",
    "GeocoderError",
    "RateLimiter",
    "clean_query",
    "query_problem",
]

PRECISION_BY_TYPE = {"housenumber": "address", "street": "street", "locality": "locality",
                     "municipality": "commune"}  # BAN type -> geodata.eligibility precision
MIN_QUERY_CHARS, MAX_QUERY_CHARS = 3, 200  # the BAN refuses q outside 3..200 chars (HTTP 400)
GEOCODABLE = r"^[\W_]*[^\W_](?:\s*\S\s*\S|\s+\S)"
"""``query_problem`` as a pattern (Python's ``re``: ``\\w`` is Unicode), for an address of at
most MAX_QUERY_CHARS characters: leading punctuation, then a letter or a digit and at least
two more characters once spaces are collapsed. The OpenAPI document publishes it."""
MAX_RETRIES = 3  # new attempts after a failed one
BACKOFF_S = 0.5  # urllib3's backoff factor: retries wait 0, 2, 4... times it
MAX_WAIT_S = 60  # longest pause granted to a Retry-After or a backoff
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_METHODS = frozenset({"GET", "POST"})  # POST /search/csv/ is a lookup: safe to repeat
RESULT_COLUMNS = ("latitude", "longitude", "result_label", "result_score", "result_type",
                  "result_citycode", "result_city", "result_postcode", "result_status")
_MISSING = object()


class GeocoderError(ValueError):
    """The address cannot be geocoded now (the service is down or answers badly); the message
    can be shown to the user."""


class AddressRefused(ValueError):
    """An address the BAN does not geocode, whenever it is asked: the request is at fault,
    not the service. The message, in French, says why."""


@dataclass(frozen=True)
class GeocodeResult:
    """The best BAN match for one query; ``score`` (0..1) is the BAN's own relevance."""

    query: str
    label: str
    lon: float
    lat: float
    score: float
    result_type: str  # housenumber | street | locality | municipality
    precision: str  # address | street | locality | commune
    citycode: str | None  # INSEE code (an arrondissement's in Paris, Lyon, Marseille)
    city: str | None
    postcode: str | None


class RateLimiter:
    """Thread-safe token bucket of depth one: requests are ``(1 + margin) / rate`` s apart.

    A deeper bucket would let a burst plus a second's refill (up to twice ``rate``) into one
    second; the margin absorbs network jitter, so the server never counts more than ``rate``
    requests in a second either. ``hold`` pauses every caller, as a 429 asks.
    """

    def __init__(self, rate: float, margin: float = 0.05):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = (1.0 + margin) / rate
        self._next = 0.0  # monotonic time at which the token is available again
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for the token; the monotonic time the request was given to start at (a
        busy machine may wake the caller later: the server sees what the network makes of
        the schedule, the schedule is what the limiter decides)."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)
        return start

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._next = max(self._next, time.monotonic() + seconds)


def clean_query(text: str | None) -> str:
    """Collapse whitespace and drop leading punctuation, symbols and emoji (the BAN wants a
    letter or a digit first)."""
    return re.sub(r"^[\W_]+", "", " ".join(str(text or "").split()))


def query_problem(*parts: str | None) -> str | None:
    """Why the BAN would refuse the query made of ``parts`` (an address; in a batch, its city
    too), each cleaned as it is sent (``clean_query``): a French reason starting with
    "adresse", or None when it is geocodable: 3 to 200 characters, a letter or a digit first."""
    given = " ".join(str(part) for part in parts if part)
    query = " ".join(filter(None, map(clean_query, parts)))
    if not query:
        if not given.strip():
            return "adresse vide : indiquez une adresse à localiser"
        return "adresse invalide : ni lettre ni chiffre (une adresse commence par l'un d'eux)"
    if len(query) < MIN_QUERY_CHARS:
        return f"adresse trop courte : « {query} » ({MIN_QUERY_CHARS} caractères au moins)"
    if len(given) > MAX_QUERY_CHARS:  # as given: the query, shorter, is within the BAN's limit
        return f"adresse trop longue : {len(given)} caractères ({MAX_QUERY_CHARS} au plus)"
    return None


def _result(query: str, lon, lat, props: dict) -> GeocodeResult | None:
    """A GeocodeResult from BAN properties; None for a type the engine has no precision for."""
    kind = props.get("type")
    if kind not in PRECISION_BY_TYPE:
        return None
    return GeocodeResult(query, props.get("label") or "", float(lon), float(lat),
                         float(props.get("score") or 0.0), kind, PRECISION_BY_TYPE[kind],
                         props.get("citycode") or None, props.get("city") or None,
                         props.get("postcode") or None)


class _PacedRetry(Retry):
    """urllib3's ``Retry`` whose retries also wait for a token of the client's RateLimiter.

    After a 429 the pause (its Retry-After, else the backoff) holds the limiter, so every
    thread of the client waits, not only the refused one. ``pace`` returns the limiter.
    """

    def __init__(self, pace: Callable[[], RateLimiter], **kwargs):
        super().__init__(**kwargs)
        self.pace = pace

    def new(self, **kw) -> _PacedRetry:
        return super().new(pace=self.pace, **kw)  # urllib3 copies the Retry at each attempt

    def sleep(self, response=None) -> None:
        limiter = self.pace()
        if response is not None and response.status == 429:
            limiter.hold(self.get_retry_after(response) or self.get_backoff_time())
        else:
            super().sleep(response)
        limiter.acquire()


def _tries(count: int) -> str:
    """"1 tentative", "4 tentatives"."""
    return f"{count} tentative{'s' if count > 1 else ''}"


def _unreachable(error: requests.RequestException, max_retries: int) -> GeocoderError:
    """The GeocoderError for a request that raised ``error`` (after its retries, if any)."""
    cause = error.args[0] if error.args else None  # urllib3's MaxRetryError once retried
    last = getattr(cause, "reason", cause)
    timed_out = isinstance(error, requests.Timeout) or isinstance(last, ReadTimeoutError)
    reason = "délai de réponse dépassé" if timed_out else "connexion impossible"
    tries = max_retries + 1 if isinstance(cause, MaxRetryError) else 1
    return GeocoderError(f"la Base Adresse Nationale ne répond pas ({reason}, {_tries(tries)}) ; "
                         "réessayez plus tard")


class _BadRequest(GeocoderError):
    """HTTP 400: the BAN refuses what it was sent. A search turns it into AddressRefused (its
    query is at fault); for a CSV file it stays a GeocoderError."""

    def __init__(self):
        super().__init__("la Base Adresse Nationale refuse la requête (HTTP 400)")


def _refused(response: requests.Response) -> GeocoderError:
    """The GeocoderError for an error status (the last one when it was retried)."""
    status = response.status_code
    if status != 429 and status < 500:
        return GeocoderError(f"la Base Adresse Nationale refuse la requête (HTTP {status})")
    reason = "trop de requêtes" if status == 429 else "erreur du service"
    retries = getattr(response.raw, "retries", None)
    tries = len(retries.history) + 1 if retries else 1
    return GeocoderError(f"la Base Adresse Nationale ne répond pas ({reason} (HTTP {status}), "
                         f"{_tries(tries)}) ; réessayez plus tard")


class BanClient:
    """Geocode with the BAN API rooted at ``base_url`` (e.g. https://api-adresse.data.gouv.fr).

    ``max_retries`` is the number of new attempts after a failed one; ``backoff`` urllib3's
    backoff factor (no pause before the first retry, then twice, four times... ``backoff``,
    at most MAX_WAIT_S). The retrying adapter is mounted for ``base_url`` on ``session`` (a
    given one too). With ``log``, an outage is told there (``geodata.outage``). Use as a
    context manager, or call ``close``.
    """

    def __init__(self, base_url: str, timeout: float = 5.0, max_retries: int = MAX_RETRIES,
                 rate_per_second: float = 50, cache_size: int = 10_000,
                 session: requests.Session | None = None, *, backoff: float = BACKOFF_S,
                 csv_chunk_rows: int = 5_000, log: logging.Logger | None = None):
        self.base_url, self.timeout = base_url.rstrip("/"), timeout
        self.max_retries = max_retries
        self.csv_chunk_rows, self.cache_size = csv_chunk_rows, cache_size
        self.limiter = RateLimiter(rate_per_second)
        self._cache: OrderedDict[tuple, GeocodeResult | None] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._own_session = session is None
        self.session = session or requests.Session()
        retry = _PacedRetry(lambda: self.limiter,  # read at each retry: it can be swapped
                            total=max_retries, allowed_methods=RETRY_METHODS,
                            status_forcelist=RETRY_STATUSES, backoff_factor=backoff,
                            backoff_max=MAX_WAIT_S, retry_after_max=MAX_WAIT_S,
                            respect_retry_after_header=True, raise_on_status=False)
        self.session.mount(self.base_url + "/", HTTPAdapter(max_retries=retry))
        self.outage = OutageLog(
            log, f"Base Adresse Nationale ({self.base_url})",
            "les adresses ne sont plus géocodées (lieux au centre de leur commune ou « à "
            "vérifier ») jusqu'à son retour")

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    def __enter__(self) -> BanClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def search(self, address: str, citycode: str | None = None,
               postcode: str | None = None) -> GeocodeResult | None:
        """The best match for ``address``, None when the BAN finds nothing; AddressRefused
        when it does not geocode such an address (``query_problem``, or its HTTP 400)."""
        problem = query_problem(address)
        if problem:
            raise AddressRefused(problem)
        query = clean_query(address)
        key = (query.casefold(), citycode or "", postcode or "")
        cached = self._cached(key)
        if cached is not _MISSING:
            return cached if cached is None else replace(cached, query=query)
        params = {"q": query, "limit": 1, "autocomplete": 0}
        params.update({k: v for k, v in (("citycode", citycode), ("postcode", postcode)) if v})
        try:
            response = self._request("GET", "/search/", params=params)
        except _BadRequest:  # what was asked is at fault (q: limit and autocomplete are ours)
            raise AddressRefused("adresse refusée par la Base Adresse Nationale : "
                                 f"« {query[:60]} »") from None
        try:
            features, best = response.json()["features"], None
            if features:
                lon, lat = features[0]["geometry"]["coordinates"][:2]
                best = _result(query, lon, lat, features[0]["properties"])
        except (ValueError, KeyError, TypeError, IndexError) as error:
            raise GeocoderError("réponse illisible de la Base Adresse Nationale") from error
        self._store(key, best)
        return best

    def _cached(self, key: tuple):
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
            return self._cache.get(key, _MISSING)

    def _store(self, key: tuple, value: GeocodeResult | None) -> None:
        with self._cache_lock:
            self._cache[key] = value
            while len(self._cache) > max(self.cache_size, 0):
                self._cache.popitem(last=False)

    def search_csv(self, rows: list[dict], columns: list[str], *,
                   citycode_column: str | None = None,
                   postcode_column: str | None = None) -> list[GeocodeResult | None]:
        """Geocode ``rows`` through /search/csv/: one result (or None) per row, in order.

        Each row's address joins its ``columns`` values; the optional citycode/postcode
        columns restrict its search. Requests carry at most ``csv_chunk_rows`` rows each.
        """
        if not columns:
            raise GeocoderError("aucune colonne d'adresse indiquée")
        results: list[GeocodeResult | None] = []
        for start in range(0, len(rows), self.csv_chunk_rows):
            chunk = rows[start:start + self.csv_chunk_rows]
            results.extend(self._csv_chunk(chunk, columns, citycode_column, postcode_column))
        return results

    def _csv_chunk(self, rows, columns, citycode_column, postcode_column):
        names = [f"q{i}" for i in range(len(columns))]
        filters = [(name, source) for name, source in (("citycode", citycode_column),
                                                       ("postcode", postcode_column)) if source]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["rang", *names, *(name for name, _ in filters)])
        queries = []
        for number, row in enumerate(rows):
            values = [clean_query(row.get(column)) for column in columns]
            queries.append(" ".join(value for value in values if value))
            writer.writerow([number, *values, *(clean_query(row.get(src)) for _, src in filters)])
        form = [*(("columns", name) for name in names), *((name, name) for name, _ in filters),
                *(("result_columns", name) for name in RESULT_COLUMNS)]
        files = {"data": ("adresses.csv", out.getvalue().encode("utf-8"), "text/csv")}
        response = self._request("POST", "/search/csv/", data=form, files=files)
        found: dict[int, GeocodeResult | None] = {}
        try:
            text = response.content.decode("utf-8-sig")
            for line in csv.DictReader(io.StringIO(text, newline="")):
                number = int(line["rang"])
                props = {k[7:]: v for k, v in line.items() if k and k.startswith("result_")}
                ok = props.get("status", "ok") == "ok" and line.get("latitude")
                found[number] = _result(queries[number], line["longitude"], line["latitude"],
                                        props) if ok else None
        except (ValueError, KeyError, TypeError, IndexError) as error:
            raise GeocoderError("réponse illisible de la Base Adresse Nationale") from error
        if len(found) != len(rows):
            raise GeocoderError("réponse incomplète de la Base Adresse Nationale")
        return [found[number] for number in range(len(rows))]

    def _request(self, method: str, path: str, **kwargs) -> requests.Response:
        """Send one request, paced and retried; a GeocoderError when every attempt failed."""
        self.limiter.acquire()
        try:
            response = self.session.request(method, self.base_url + path,
                                            timeout=self.timeout, **kwargs)
        except (requests.ConnectionError, requests.Timeout,
                requests.exceptions.ChunkedEncodingError) as error:
            down = _unreachable(error, self.max_retries)
            self.outage.failed(down)
            raise down from error
        except requests.exceptions.InvalidHeader as error:  # a Retry-After urllib3 cannot read
            raise GeocoderError("réponse illisible de la Base Adresse Nationale") from error
        if response.status_code < 400:
            self.outage.answered()
            return response
        response.close()
        if response.status_code == 400:
            raise _BadRequest()
        refused = _refused(response)
        if response.status_code in RETRY_STATUSES:  # its own trouble, not the request's
            self.outage.failed(refused)
        else:
            self.outage.answered()
        raise refused
