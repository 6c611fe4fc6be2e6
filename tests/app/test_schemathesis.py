"""Schemathesis over ``/api/v1/openapi.json``: every documented operation, fed generated
requests (valid and invalid, with schemathesis' default checks), answers as its document
says: never a 5xx, a valid request accepted, an invalid one refused, the documented shapes.

In process (WSGI) on the real reference layers and the local BAN; nothing leaves 127.0.0.1.
Deterministic: a fixed seed, Hypothesis derandomized, the examples bounded, so CI sees the
same requests every run. The CSV files sent to the batch route are synthetic (a strategy
below): the property is about reading requests, not about places.
"""

from __future__ import annotations

import ipaddress
import json
import socket

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from app.api.openapi import document
from tests.ban_server import GAZETTEER, FakeBan
from tests.support import close_app, make_app

pytestmark = pytest.mark.shared_data

MAX_EXAMPLES = 25
"""Generated requests per operation in the fuzzing phase (the examples and coverage phases
add theirs)."""
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
"""What a request the document allows may get (schemathesis' defaults, and 422: well formed
but without an answer, a point outside every territory or an address the BAN does not
find). A 5xx is caught by the ``not_a_server_error`` check."""
CROSS_FIELD = [*ACCEPTED, "400"]
"""The same, and 400, for the routes with rules no JSON Schema can hold: an emprise whose
minimum is below its maximum and that fits the zoom, a zoom a layer needs (``/couches``), a
région or département code of the loaded data (``/fabriques``), a kind of place loaded and a
Fabrique's commune in an EPCI (``/reseaux/fabriques/{fabrique}``). Their documents say so."""
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "414", "415", "422", "428", "429",
            "5xx"]
"""How a request the document forbids may be refused: schemathesis' defaults, and 414, which
every route documents (a URL over 4,000 characters: a generated query of many long values)."""
CONFIG = {
    "seed": 20240101,
    # No NUL in generated text: the document says a parameter holding one is refused (400),
    # which no JSON Schema of a string can say (tests/app/test_nul_characters.py).
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none",
                   "allow-x00": False},
    "checks": {
        "positive_data_acceptance": {"expected-statuses": ACCEPTED},
        "negative_data_rejection": {"expected-statuses": REJECTED},
    },
    "operations": [
        {"include-path": path, "checks": {"positive_data_acceptance": {
            "expected-statuses": CROSS_FIELD}}}
        for path in ("/couches/{layer}", "/fabriques", "/reseaux/fabriques/{fabrique}")
    ],
}
ADDRESSES = [place.label for place in GAZETTEER] + ["1 rue qui n'existe pas", "!!!"]


@st.composite
def csv_files(draw) -> bytes:
    """A CSV of coordinates or addresses as the batch route reads them, with some bad rows
    (they get their row's error, never a refusal of the file)."""
    delimiter = draw(st.sampled_from([",", ";"]))
    addresses = draw(st.booleans())
    lines = [delimiter.join(["id", "adresse"] if addresses else ["id", "lon", "lat"])]
    for number in range(draw(st.integers(0, 8))):
        if addresses:
            cells = [draw(st.sampled_from(ADDRESSES)).replace(delimiter, " ")]
        else:
            cells = [f"{draw(st.floats(-10, 10, allow_nan=False)):.5f}",
                     f"{draw(st.floats(41, 52, allow_nan=False)):.5f}"]
            if draw(st.integers(0, 5)) == 0:
                cells[0] = draw(st.sampled_from(["", "abc", "200", "1e400"]))
        lines.append(delimiter.join([f"r{number}", *cells]))
    return ("\n".join(lines) + "\n").encode(draw(st.sampled_from(["utf-8", "cp1252"])))


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@pytest.fixture(scope="module")
def no_network():
    """Refuse any connection (and name lookup) outside 127.0.0.1 while the module runs."""
    patch = pytest.MonkeyPatch()
    connect, getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def guarded_connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            raise ConnectionRefusedError(f"réseau fermé pendant le test : {address!r}")
        return connect(sock, address)

    def guarded_getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and not _loopback(name):
            raise socket.gaierror(f"réseau fermé pendant le test : {host!r}")
        return getaddrinfo(host, *args, **kwargs)

    patch.setattr(socket.socket, "connect", guarded_connect)
    patch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    yield
    patch.undo()


@pytest.fixture(scope="module")
def api(no_network, reference_engine, tmp_path_factory, data_dir):
    """The service on the real layers and the local BAN, no rate limit."""
    ban = FakeBan().start()
    app = make_app(reference_engine.url.render_as_string(hide_password=False),
                   tmp_path_factory.mktemp("schemathesis") / "instance", data_dir,
                   GEOCODER_URL=ban.url, RATELIMIT="off", BATCH_MAX_ROWS=50)
    yield app
    close_app(app)
    ban.stop()


schemathesis.openapi.media_type("text/csv", csv_files())
schema = schemathesis.openapi.from_dict(document(), config=schemathesis.Config.from_dict(CONFIG))
"""The document ``/api/v1/openapi.json`` serves (checked below), loaded at collection with
no app, so that each operation is a test of its own."""


def test_the_document_is_the_one_served(api):
    served = api.test_client().get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert served.json == json.loads(json.dumps(document()))


def test_the_network_is_closed(no_network):
    with pytest.raises(OSError, match="réseau fermé"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)  # TEST-NET-1: never routed


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_answers_as_its_document_says(case, api):
    # Flask-Compress would compress what a real client decompresses; the WSGI client does not.
    case.call_and_validate(app=api, headers={"Accept-Encoding": "identity"})
