# ruff: noqa: F811 - the fixture « loaded » of test_history, imported, is named as an argument
"""The history's filters (wave, category, author, days in Paris, a part of the dossier
reference) in the repository and on the page, whose CSV export follows them; on both
backends (``engine`` and ``loaded`` are parametrised over SQLite and PostGIS)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from app.access import create_user
from geodata.checks import check_point
from geodata.storage.history import CheckFilter, authors, count_checks, list_checks, record_check
from geodata.storage.models import CheckRecord
from loaders.pipeline import load_source
from tests.app.conftest import PASSWORD
from tests.app.test_history import HISTORY, LAT, LON, engine_of, keep, loaded  # noqa: F401

pytestmark = pytest.mark.shared_data

PARIS = ZoneInfo("Europe/Paris")  # summer time from 30 March 2025: UTC+2


def recorded(engine, data_dir) -> dict:
    """Five checks by two accounts, at known times, in two waves and two categories."""
    load_source(engine, "qpv2024-paca", data_dir=data_dir, progress=False)
    ana = create_user(engine, "ana@anct.gouv.fr", PASSWORD, "instructor", name="Ana Ferré")
    bob = create_user(engine, "bob@anct.gouv.fr", PASSWORD, "instructor", name="Bob Martin")
    check = check_point(engine, "current", LON, LAT)
    ids = {}
    for key, owner, dossier, at, category in (
        ("ana-1", ana, {"dossier_ref": "FT-2025-0001", "wave": "5"}, (3, 30, 21, 59), None),
        ("ana-2", ana, {"dossier_ref": "ft-2025-0002", "wave": "5"}, (3, 30, 22, 0), "a-verifier"),
        ("bob-1", bob, {"dossier_ref": "FNT-2025-0100", "wave": "6"}, (3, 31, 21, 59), None),
        ("bob-2", bob, {"dossier_ref": "FT_100%", "wave": "6"}, (3, 31, 22, 0), None),
        ("bob-3", bob, {"wave": "5"}, (4, 1, 9, 0), "non-eligible"),
    ):
        ids[key] = record_check(engine, owner.id, check, "current", "q", dossier)
        changes = {"checked_at": datetime(2025, *at, tzinfo=UTC)}
        if category:
            changes["category"] = category
        with engine.begin() as connection:
            connection.execute(update(CheckRecord).where(CheckRecord.id == ids[key])
                               .values(**changes))
    return {"ids": ids, "ana": ana, "bob": bob, "category": check.verdict.row["category"]}


def test_the_repository_filters_on_both_backends(engine, data_dir):
    made = recorded(engine, data_dir)
    names = {number: key for key, number in made["ids"].items()}
    ana, bob = made["ana"], made["bob"]

    def found(selection: CheckFilter, user_id=None) -> list[str]:
        return sorted(names[entry.record.id]
                      for entry in list_checks(engine, user_id, None, 0, selection))

    assert found(CheckFilter(wave="5")) == ["ana-1", "ana-2", "bob-3"]
    assert found(CheckFilter(category="a-verifier")) == ["ana-2"]
    assert found(CheckFilter(author=bob.id)) == ["bob-1", "bob-2", "bob-3"]
    # 31 March in Paris: from 30 March 22:00 UTC to 31 March 22:00 UTC (excluded)
    day = CheckFilter(since=datetime(2025, 3, 31, tzinfo=PARIS),
                      until=datetime(2025, 4, 1, tzinfo=PARIS))
    assert found(day) == ["ana-2", "bob-1"]
    assert found(CheckFilter(dossier="FT-2025")) == ["ana-1", "ana-2"]  # any case
    assert found(CheckFilter(dossier="0100")) == ["bob-1"]
    assert found(CheckFilter(dossier="_100%")) == ["bob-2"]  # no wildcard
    assert found(CheckFilter(wave="5", author=ana.id, category=made["category"])) == [
        "ana-1"]
    assert found(CheckFilter(wave="6"), user_id=ana.id) == []  # scope and filter
    assert count_checks(engine, None, CheckFilter(wave="6")) == 2
    assert count_checks(engine, bob.id, CheckFilter(dossier="ft")) == 1  # not « FNT »
    assert authors(engine) == [(ana.id, "Ana Ferré", ana.email), (bob.id, "Bob Martin",
                                                                   bob.email)]


def rows(answer) -> list[dict]:
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(answer.data.decode("utf-8-sig")), delimiter=";"))


def test_the_page_and_its_export_follow_the_filters(loaded, login):
    ministry, ana, bob = (loaded.test_client() for _ in range(3))
    login(ministry, "ministry")
    login(ana, email="ana@exemple.gouv.fr")
    login(bob, email="bob@exemple.gouv.fr")
    keep(ana, dossier_ref="FT-2025-0001", wave="5")
    keep(ana, dossier_ref="FT-2025-0002", wave="6")
    keep(bob, dossier_ref="FNT-2025-0100", wave="5")
    today = datetime.now(PARIS).date().isoformat()

    page = ministry.get(HISTORY).text
    assert 'id="historique-filtres"' in page and '<label class="fr-label" for="auteur">' in page
    assert '<label class="fr-label" for="dossier">Référence du dossier</label>' in page
    filtered = ministry.get(f"{HISTORY}?vague=5&dossier=ft-2025").text
    assert "FT-2025-0001" in filtered and "FT-2025-0002" not in filtered
    assert "FNT-2025-0100" not in filtered and "1 avec ces filtres" in filtered
    assert f'href="{HISTORY}.csv?vague=5&amp;dossier=ft-2025"' in filtered
    export = rows(ministry.get(f"{HISTORY}.csv?vague=5&dossier=ft-2025"))
    assert [row["dossier"] for row in export] == ["FT-2025-0001"]
    bob_id = int(re.search(r'<option value="(\d+)"[^>]*>[^<]*bob@exemple', page).group(1))
    by_bob = rows(ministry.get(f"{HISTORY}.csv?auteur={bob_id}&du={today}&au={today}"))
    assert [row["dossier"] for row in by_bob] == ["FNT-2025-0100"]
    assert rows(ministry.get(f"{HISTORY}.csv?au=2000-01-01")) == []

    mine = ana.get(f"{HISTORY}?auteur={bob_id}").text  # an instructor: their own, always
    assert 'for="auteur"' not in mine and "FNT-2025-0100" not in mine
    assert "FT-2025-0001" in mine and "FT-2025-0002" in mine
    refused = ministry.get(f"{HISTORY}?du=31/03/2025").text
    assert "Filtre refusé" in refused and "FNT-2025-0100" in refused
    for far in ("du=0001-01-01", "au=9999-12-31"):  # an OverflowError, a 500
        page = ministry.get(f"{HISTORY}?{far}")
        assert page.status_code == 200 and "Filtre refusé" in page.text
        assert "une date du 01/01/2000 au 31/12/2100" in page.text
        assert ministry.get(f"{HISTORY}.csv?{far}").status_code < 500
    assert ".. Toutes" not in ministry.get(f"{HISTORY}?page=zz").text  # WTForms' own period
    empty = ministry.get(f"{HISTORY}?dossier=rien").text
    assert "Aucune vérification ne correspond à ces filtres." in empty
