"""Dossiers whose wave the calendar cannot tell are listed under « sans vague », on both
backends (a one-row export filed after the last published deadline: synthetic, on purpose,
since no real dossier of the shared data is late)."""

from __future__ import annotations

import html

import pytest

from app.db import EXTENSION
from geodata.storage.dossiers import NO_WAVE, list_dossiers
from tests.app.test_dossiers_pages import upload

pytestmark = pytest.mark.shared_data

LATE = ("ID,Déposé le,Nom du projet,Longitude,Latitude\n"
        "7654321,2026-01-15 10:00:00 +0100,Un projet tardif,5.38391,43.295313\n")


def test_a_dossier_without_wave_is_listed_under_sans_vague(app, client, login):
    login(client)
    assert upload(client, LATE.encode(), "tardif.csv").status_code == 200
    (dossier,) = list_dossiers(app.extensions[EXTENSION], NO_WAVE)
    assert dossier.wave is None and "vague" in dossier.checks
    page = html.unescape(client.get("/instruction/dossiers").text)
    assert "<h1>Dossiers sans vague</h1>" in page
    assert '<tr data-numero="7654321">' in page
    assert '<option value="sans-vague" selected>sans vague</option>' in page
    assert list_dossiers(app.extensions[EXTENSION], "2") == []
