"""FABRIQUES_RATELIMIT: per-client limit, per route, with the API's error shape; "off" disables
it; a setting that cannot be read stops the start; behind FABRIQUES_TRUSTED_PROXIES proxies,
the client is the one the proxies name."""

from __future__ import annotations

import pytest

from app import create_app
from app.db import EXTENSION


@pytest.fixture
def make_client(tmp_path):
    apps = []

    def make(limit: str):
        app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / limit.replace("/", "-")),
                          "RATELIMIT": limit})
        app.test_cli_runner().invoke(args=["db", "upgrade"])
        apps.append(app)
        return app.test_client()

    yield make
    for app in apps:
        app.extensions[EXTENSION].dispose()


def test_limit_per_client_answers_429_in_the_one_shape(make_client):
    client = make_client("3/minute")
    statuses = [client.get("/api/v1/policies").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/policies")
    assert limited.json["error"]["status"] == 429 and limited.headers.get("Retry-After")
    other = client.get("/api/v1/policies", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 200  # another client has its own count


def test_each_route_counts_its_own_requests(make_client):
    """As the settings' documentation says: the limit is per client and per route."""
    client = make_client("2/minute")
    assert [client.get("/api/v1/policies").status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/api/v1/datasets").status_code == 200


@pytest.mark.parametrize(("setting", "words"), [
    ({"RATELIMIT": "cinquante par seconde"}, "RATELIMIT illisible : 'cinquante par seconde'"),
    ({"RATELIMIT_STORAGE_URI": "nulle-part://"}, "RATELIMIT_STORAGE_URI inutilisable"),
])
def test_a_bad_setting_stops_the_start_with_the_reason(tmp_path, setting, words):
    with pytest.raises(ValueError, match=words):
        create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "RATELIMIT": "5/second",
                    **setting})


def test_static_files_are_not_limited(make_client):
    client = make_client("2/minute")
    for _ in range(4):
        with client.get("/static/fabriques.css") as response:
            assert response.status_code == 200


def test_off_disables_the_limit(make_client):
    client = make_client("off")
    assert {client.get("/api/v1/policies").status_code for _ in range(60)} == {200}


@pytest.fixture
def proxied_client(tmp_path):
    apps = []

    def make(proxies: int):
        app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / f"p{proxies}"),
                          "RATELIMIT": "3/minute", "TRUSTED_PROXIES": proxies})
        apps.append(app)
        return app.test_client()

    yield make
    for app in apps:
        app.extensions[EXTENSION].dispose()


def behind_proxy(client, client_address: str):
    """A request relayed by a proxy at 10.0.0.1 for ``client_address``."""
    return client.get("/api/v1/policies", environ_base={"REMOTE_ADDR": "10.0.0.1"},
                      headers={"X-Forwarded-For": client_address})


def test_behind_a_trusted_proxy_each_real_client_has_its_count(proxied_client):
    client = proxied_client(1)
    statuses = [behind_proxy(client, "203.0.113.7").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert behind_proxy(client, "203.0.113.8").status_code == 200  # another person
    # a client's own X-Forwarded-For is not believed: only the proxy's last value counts
    spoofed = client.get("/api/v1/policies", environ_base={"REMOTE_ADDR": "10.0.0.1"},
                         headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7"})
    assert spoofed.status_code == 429


def test_without_trusted_proxy_forwarded_addresses_are_ignored(proxied_client):
    client = proxied_client(0)
    statuses = [behind_proxy(client, f"203.0.113.{n}").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]
