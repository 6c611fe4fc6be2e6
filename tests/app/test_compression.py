"""Compression in a coding the client accepts (``app.compression``): a coding weighted 0 is
refused (RFC 9110 § 12.5.3), with or without spaces around « ; » and « = »; Flask-Compress
used gzip for « gzip;q=0 » alone."""

from __future__ import annotations

import pytest

from app.compression import accepted_codings


@pytest.mark.parametrize(("header", "kept"), [
    ("gzip", "gzip"),
    ("gzip;q=0", ""),
    ("gzip; q=0", ""),
    ("gzip ; q = 0.0", ""),
    ("br;q=0, gzip", "gzip"),
    ("gzip;q=0.5, identity", "gzip;q=0.5, identity"),
    ("gzip;q=abc", ""),
    ("*;q=0", ""),
])
def test_the_codings_a_client_refuses_are_left_out(header, kept):
    assert accepted_codings(header) == kept


@pytest.mark.parametrize(("header", "coding"), [
    ("gzip;q=0", None), ("gzip; q=0", None), ("gzip, br;q=0", "gzip"),
    ("gzip;q=0.5", "gzip"), ("identity", None)])
def test_a_page_is_sent_in_a_coding_the_client_accepts(client, header, coding):
    answer = client.get("/api/v1/openapi.json", headers={"Accept-Encoding": header})
    assert answer.status_code == 200
    assert answer.headers.get("Content-Encoding") == coding
    if coding is None:
        assert answer.json["openapi"].startswith("3.")  # the document as is
