"""The BAN client (geodata.geocoder) against a local fake BAN server (tests.ban_server).

Every test goes through the real HTTP code path: requests, retries, pacing and the cache
are observed from the server's request log. Timing assertions are about correctness only
(a Retry-After is honoured, no second holds more requests than the rate), never speed.
"""

from __future__ import annotations

import logging
import re
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.eligibility.engine import PRECISIONS
from geodata.geocoder import (
    GEOCODABLE,
    MAX_QUERY_CHARS,
    PRECISION_BY_TYPE,
    AddressRefused,
    BanClient,
    GeocoderError,
    GeocodeResult,
    RateLimiter,
    clean_query,
    query_problem,
)
from tests.ban_server import (
    AMIENS,
    CHAZELET,
    PELLEAUTIER,
    SAINT_JUST,
    SEGUR,
    _valid_query,
    ban_server_fixture,  # noqa: F401 - the ban_server fixture
)


@pytest.fixture
def client(ban_server):
    with BanClient(ban_server.url, timeout=2.0, backoff=0.01) as client:
        yield client


def searches(server):
    return [r for r in server.requests if r.path == "/search/"]


def test_every_ban_type_maps_to_an_engine_precision():
    assert set(PRECISION_BY_TYPE) == {"housenumber", "street", "locality", "municipality"}
    assert set(PRECISION_BY_TYPE.values()) <= set(PRECISIONS)


def test_housenumber_search(client, ban_server):
    result = client.search("20 avenue de Ségur 75007 Paris")

    assert result == GeocodeResult(
        query="20 avenue de Ségur 75007 Paris", label="20 Avenue de Ségur 75007 Paris",
        lon=SEGUR.lon, lat=SEGUR.lat, score=SEGUR.score, result_type="housenumber",
        precision="address", citycode="75107", city="Paris", postcode="75007")
    assert result.lon == pytest.approx(2.3086, abs=1e-3)
    assert result.lat == pytest.approx(48.8505, abs=1e-3)
    (request,) = ban_server.requests
    assert request.method == "GET" and request.path == "/search/"
    assert request.query == {"q": ["20 avenue de Ségur 75007 Paris"], "limit": ["1"],
                             "autocomplete": ["0"]}


@pytest.mark.parametrize(("place", "precision"), [
    (PELLEAUTIER, "commune"), (CHAZELET, "locality"), (SAINT_JUST, "street")])
def test_coarser_results_carry_their_precision(client, place, precision):
    result = client.search(place.label)
    assert result.result_type == place.type and result.precision == precision
    assert (result.lon, result.lat, result.citycode) == (place.lon, place.lat, place.citycode)


def test_pelleautier_is_a_commune(client):
    result = client.search("Pelleautier")
    assert result.result_type == "municipality" and result.precision == "commune"
    assert (result.citycode, result.postcode, result.city) == ("05100", "05000", "Pelleautier")


def test_low_scores_are_exposed_not_judged(client):
    result = client.search("8 bd du port")
    assert result.label == AMIENS.label and result.score == pytest.approx(0.4916, abs=1e-4)


def test_filters_restrict_the_search(client, ban_server):
    assert client.search("20 avenue de Ségur", citycode="75107").citycode == "75107"
    assert client.search("20 avenue de Ségur", citycode="13213") is None
    assert client.search("20 avenue de Ségur", postcode="75007").postcode == "75007"
    sent = [r.query for r in searches(ban_server)]
    assert sent[0]["citycode"] == ["75107"] and "postcode" not in sent[0]
    assert sent[2]["postcode"] == ["75007"] and "citycode" not in sent[2]


def test_unknown_address_is_none(client, ban_server):
    assert client.search("1 rue qui n'existe pas 99999 Nulle-Part") is None
    assert len(ban_server.requests) == 1


@pytest.mark.parametrize(("address", "reason"), [
    ("", "adresse vide"), ("   ", "adresse vide"), (None, "adresse vide"),
    ("\t\n", "adresse vide"), ("--", "ni lettre ni chiffre"), ("ab", "trop courte"),
    ("!!!", "ni lettre ni chiffre"), ("😀😀😀", "ni lettre ni chiffre"),
    ("« … » ; ?", "ni lettre ni chiffre"), ("__ _", "ni lettre ni chiffre"),
    ("!! ab", "trop courte : « ab »"), ("1" * 201, "trop longue : 201 caractères"),
])
def test_an_address_the_ban_would_refuse_is_refused_locally(client, ban_server, address,
                                                            reason):
    """Only punctuation or emoji, too short, too long: the address is at fault (not a
    GeocoderError, which says the service is down), and nothing is sent."""
    with pytest.raises(AddressRefused, match=reason):
        client.search(address)
    assert query_problem(address).startswith("adresse")
    assert ban_server.requests == []


@pytest.mark.parametrize("address", ["abc", "a😀😀", "1 rue", "Éze", "  - 20 av. X", "2" * 200])
def test_what_the_ban_accepts_is_geocodable(address):
    assert query_problem(address) is None
    assert _valid_query(clean_query(address))  # the fake BAN's own rule agrees


def test_a_query_the_ban_refuses_is_the_address_s_fault_not_the_service_s(client, ban_server):
    ban_server.fail_next(1, status=400)
    with pytest.raises(AddressRefused, match="refusée par la Base Adresse Nationale"):
        client.search("Pelleautier")
    assert len(ban_server.requests) == 1


def test_leading_punctuation_is_dropped(client, ban_server):
    assert client.search("- 20 avenue de Ségur 75007 Paris").label == SEGUR.label
    assert ban_server.requests[0].query["q"] == ["20 avenue de Ségur 75007 Paris"]


def batch_rows():
    """20 rows: known addresses (in pieces), unknown ones, an empty one, in mixed order."""
    known = [("20 avenue de Ségur", "75007", "Paris"), ("8 bd du port", "", ""),
             ("Avenue de Saint-Just", "13013", "Marseille"), ("", "05000", "Pelleautier"),
             ("Le Chazelet", "", "La Grave"), ("39 Quai André Citroën", "75015", "Paris")]
    rows = []
    for i in range(20):
        if i % 3 == 0:
            street, postcode, city = known[(i // 3) % len(known)]
        elif i == 10:
            street, postcode, city = "", "", ""
        else:
            street, postcode, city = f"{i} rue inconnue", "99999", "Nulle-Part"
        rows.append({"id": f"r{i}", "voie": street, "cp": postcode, "ville": city})
    return rows


def test_csv_batch_keeps_the_order_in_one_request(client, ban_server):
    rows = batch_rows()

    results = client.search_csv(rows, ["voie", "cp", "ville"])

    assert len(results) == 20
    for i, (row, result) in enumerate(zip(rows, results, strict=True)):
        if i % 3:
            assert result is None, row
            continue
        query = " ".join(v for v in (row["voie"], row["cp"], row["ville"]) if v)
        single = client.search(query)
        assert single is not None and result == replace(single, query=query)
    (post,) = [r for r in ban_server.requests if r.method == "POST"]
    assert post.path == "/search/csv/" and post.rows == 20
    assert len(post.form["columns"]) == 3 and "latitude" in post.form["result_columns"]


def test_csv_batch_is_chunked(ban_server):
    rows = batch_rows()
    with BanClient(ban_server.url, csv_chunk_rows=7) as client:
        results = client.search_csv(rows, ["voie", "cp", "ville"])
    posts = [r for r in ban_server.requests if r.method == "POST"]
    assert [r.rows for r in posts] == [7, 7, 6]
    assert [r is None for r in results] == [bool(i % 3) for i in range(20)]


def test_csv_filter_columns(client, ban_server):
    rows = [{"adresse": "20 avenue de Ségur", "insee": "75107"},
            {"adresse": "20 avenue de Ségur", "insee": "13213"},
            {"adresse": "Pelleautier", "insee": ""}]
    results = client.search_csv(rows, ["adresse"], citycode_column="insee")
    assert [r and r.citycode for r in results] == ["75107", None, "05100"]
    assert ban_server.requests[0].form["citycode"] == ["citycode"]


def test_csv_edge_cases(client, ban_server):
    assert client.search_csv([], ["adresse"]) == []
    with pytest.raises(GeocoderError, match="colonne"):
        client.search_csv([{"adresse": "Pelleautier"}], [])
    assert ban_server.requests == []


def test_429_is_retried_after_the_retry_after_delay(client, ban_server):
    ban_server.fail_next(2, status=429, retry_after=1)

    result = client.search("Pelleautier")

    assert result is not None and result.citycode == "05100"
    statuses = [r.status for r in ban_server.requests]
    assert statuses == [429, 429, 200]
    times = [r.at for r in ban_server.requests]
    assert times[1] - times[0] >= 0.9 and times[2] - times[1] >= 0.9


def test_persistent_500_gives_up_after_max_retries(ban_server):
    ban_server.fail_next(100, status=500)
    with BanClient(ban_server.url, max_retries=2, backoff=0.01) as client:
        with pytest.raises(GeocoderError, match="ne répond pas") as error:
            client.search("Pelleautier")
    assert "HTTP 500" in str(error.value) and "3 tentatives" in str(error.value)
    assert len(ban_server.requests) == 3


def test_an_outage_is_told_to_the_log_once_then_its_end(ban_server, caplog):
    """The operator saw nothing while every address fell back to its commune: the outage's
    start and end are logged, not each failed request (a batch makes thousands)."""
    log = logging.getLogger("fabriques-test-geocoder")
    ban_server.fail_next(3, status=503)
    with BanClient(ban_server.url, max_retries=0, log=log) as client, \
            caplog.at_level(logging.WARNING, logger=log.name):
        for address in ("Pelleautier", "Chazelet", "Saint-Just"):
            with pytest.raises(GeocoderError):
                client.search(address)
        with pytest.raises(AddressRefused):  # the query's fault: the outage goes on
            client.search("!!")
        assert [r.getMessage() for r in caplog.records] == [
            f"Base Adresse Nationale ({ban_server.url}) : la Base Adresse Nationale ne répond "
            "pas (erreur du service (HTTP 503), 1 tentative) ; réessayez plus tard ; les "
            "adresses ne sont plus géocodées (lieux au centre de leur commune ou « à "
            "vérifier ») jusqu'à son retour"]
        assert client.search("Pelleautier").citycode == "05100"
        client.search("Chazelet")
    assert [r.getMessage() for r in caplog.records][1:] == [
        f"Base Adresse Nationale ({ban_server.url}) répond de nouveau (panne de moins d'une "
        "minute, 3 requêtes en échec)"]


def test_a_refused_connection_is_an_outage_too(caplog):
    log = logging.getLogger("fabriques-test-geocoder")
    with socket.socket() as holder:  # a port nothing listens on, held so none takes it
        holder.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{holder.getsockname()[1]}"
        with BanClient(url, max_retries=0, log=log) as client, \
                caplog.at_level(logging.WARNING, logger=log.name):
            for _ in range(2):
                with pytest.raises(GeocoderError):
                    client.search("Pelleautier")
    assert len(caplog.records) == 1 and "connexion impossible" in caplog.records[0].getMessage()

@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_csv_upload_is_retried(client, ban_server, status):
    ban_server.fail_next(1, status=status)

    results = client.search_csv([{"adresse": "Pelleautier"}], ["adresse"])

    assert results[0] is not None and results[0].citycode == "05100"
    posts = [r for r in ban_server.requests if r.method == "POST"]
    assert [r.status for r in posts] == [status, 200]
    assert posts[0].data == posts[1].data and posts[1].rows == 1


def test_persistent_csv_failure_gives_up_after_max_retries(client, ban_server):
    ban_server.fail_next(100, status=503)
    with pytest.raises(GeocoderError, match="HTTP 503.*4 tentatives"):
        client.search_csv([{"adresse": "Pelleautier"}], ["adresse"])
    assert [r.method for r in ban_server.requests] == ["POST"] * 4


def test_retries_wait_for_the_limiter_the_client_shares(ban_server):
    ban_server.fail_next(1, status=500)
    with BanClient(ban_server.url, backoff=0.01) as client:
        client.limiter = RateLimiter(rate=2)  # as the batch worker shares one pace
        assert client.search("Pelleautier") is not None
    first, retry = ban_server.requests
    assert (first.status, retry.status) == (500, 200)
    assert retry.at - first.at >= 0.5  # the swapped limiter's interval, not the backoff


def test_other_server_errors_are_not_retried(client, ban_server):
    ban_server.fail_next(1, status=501)
    with pytest.raises(GeocoderError, match=r"ne répond pas .*HTTP 501.*1 tentative\)"):
        client.search("Pelleautier")
    assert len(ban_server.requests) == 1


def test_an_unreadable_retry_after_is_a_geocoder_error(client, ban_server):
    ban_server.fail_next(1, status=429, retry_after=0.5)  # urllib3 wants whole seconds
    with pytest.raises(GeocoderError, match="illisible"):
        client.search("Pelleautier")
    assert len(ban_server.requests) == 1


def test_client_errors_are_not_retried(client, ban_server):
    ban_server.fail_next(1, status=404)  # a wrong FABRIQUES_GEOCODER_URL: the service's fault
    with pytest.raises(GeocoderError, match=r"refuse la requête \(HTTP 404\)"):
        client.search("Pelleautier")
    assert len(ban_server.requests) == 1


def test_a_csv_file_the_ban_refuses_is_a_geocoder_error(client, ban_server):
    ban_server.fail_next(1, status=400)
    with pytest.raises(GeocoderError, match=r"refuse la requête \(HTTP 400\)"):
        client.search_csv([{"adresse": "Pelleautier"}], ["adresse"])
    assert len(ban_server.requests) == 1


def test_timeout_gives_up_after_max_retries(ban_server):
    ban_server.delay = 1.5
    with BanClient(ban_server.url, timeout=0.2, max_retries=1, backoff=0.01) as client:
        with pytest.raises(GeocoderError, match="délai de réponse dépassé"):
            client.search("Pelleautier")
    assert len(ban_server.requests) == 2


def test_connection_refused_gives_up():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with BanClient(f"http://127.0.0.1:{port}", max_retries=1, backoff=0.01) as client:
        with pytest.raises(GeocoderError, match="connexion impossible"):
            client.search("Pelleautier")


def test_the_same_query_hits_the_server_once(client, ban_server):
    first = client.search("20 avenue de Ségur 75007 Paris")
    again = client.search("  20 AVENUE de ségur   75007 paris ")
    assert again == replace(first, query="20 AVENUE de ségur 75007 paris")
    assert client.search("adresse inconnue") is None
    assert client.search("Adresse inconnue") is None
    assert len(ban_server.requests) == 2
    client.search("20 avenue de Ségur 75007 Paris", citycode="75107")  # another key
    assert len(ban_server.requests) == 3


def test_the_cache_forgets_the_least_recently_used(ban_server):
    with BanClient(ban_server.url, cache_size=2) as client:
        for address in ("Pelleautier", "8 bd du port", "Pelleautier", "Le Chazelet La Grave",
                        "Pelleautier", "8 bd du port"):
            client.search(address)
    assert [r.query["q"][0] for r in ban_server.requests] == [
        "Pelleautier", "8 bd du port", "Le Chazelet La Grave", "8 bd du port"]


def test_no_second_holds_more_requests_than_the_rate(ban_server):
    """The limiter's schedule, not the server's arrival times: those measured how fast a
    busy machine woke eight threads (55 arrivals in a second when the tests ran beside
    others), which no client can promise."""
    with BanClient(ban_server.url, rate_per_second=50) as client:
        scheduled, acquire = [], client.limiter.acquire

        def recorded() -> float:
            start = acquire()
            scheduled.append(start)
            return start

        client.limiter.acquire = recorded
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(client.search, [f"{i} rue inconnue" for i in range(60)]))
    assert results == [None] * 60 and len(ban_server.requests) == 60
    times = sorted(scheduled)
    assert len(times) == 60
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= \
        client.limiter.interval - 1e-9
    busiest = max(sum(1 for t in times[i:] if t - start < 1.0) for i, start in enumerate(times))
    assert busiest <= 50


@settings(max_examples=2000, deadline=None, derandomize=True)
@given(st.text(st.sampled_from(" \t\n\x1c\x85\u3000!-_.«😀aé1Œ٣²"), max_size=8)
       | st.text(max_size=12) | st.text(min_size=195, max_size=205))
def test_the_published_pattern_is_the_rule(address):
    """The OpenAPI document publishes GEOCODABLE and a maximum length: together they accept
    exactly what ``query_problem`` accepts."""
    published = re.search(GEOCODABLE, address) is not None and len(address) <= MAX_QUERY_CHARS
    assert published == (query_problem(address) is None)
