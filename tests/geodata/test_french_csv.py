"""The batch page's French result file (headers, oui/non, labels) and its pages read back
from disk: real layers, the same rows as the contract's CSV, one page at a time, in bounded
memory whatever the file's size."""

from __future__ import annotations

import csv
import io
import tracemalloc

import pytest

from geodata.eligibility.batch import write_csv
from geodata.eligibility.french_csv import (
    ERRORS,
    FRENCH_HEADERS,
    TO_CHECK,
    ResultPageError,
    read_page,
)
from geodata.eligibility.reading import read_locations
from geodata.policy import CATEGORIES, load_policy
from geodata.storage.reference import reference_index
from tests.geodata.test_batch import sample_csv

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def files(reference_engine, tmp_path_factory):
    """The same 301 rows as the contract's CSV and as the French spreadsheet file."""
    policy = load_policy("current")
    index = reference_index(reference_engine, policy.qpv_vintage)
    data = sample_csv(seed=5, count=300)
    contract, french = io.BytesIO(), tmp_path_factory.mktemp("lot") / "resultat.csv"
    write_csv(index, policy, read_locations(data), contract)
    with open(french, "wb") as target:
        write_csv(index, policy, read_locations(data), target, spreadsheet=True)
    return list(csv.DictReader(io.StringIO(contract.getvalue().decode()))), french


def test_the_french_file_says_the_contract_in_french(files):
    contract, french = files
    rows = list(csv.DictReader(io.StringIO(french.read_text("utf-8-sig")), delimiter=";"))
    assert list(rows[0]) == list(FRENCH_HEADERS.values())[:len(rows[0])]
    assert "category" not in rows[0] and "catégorie" in rows[0] and "longitude" in rows[0]
    for ours, theirs in zip(rows, contract, strict=True):
        assert ours["id"] == theirs["id"]
        assert ours["catégorie"] == CATEGORIES.get(theirs["category"], "")
        assert ours["en QPV"] == {"true": "oui", "false": "non", "": ""}[theirs["in_qpv"]]
        assert ours["distance au QPV (m)"] == theirs["distance_to_qpv_m"].replace(".", ",")
        assert ours["explication"] == theirs["explanation"] and ours["erreur"] == theirs["error"]


@pytest.mark.parametrize("show", ["", *CATEGORIES, TO_CHECK, ERRORS])
def test_pages_hold_the_matching_rows_in_order(files, show):
    contract, french = files
    keep = {"": lambda r: True, ERRORS: lambda r: bool(r["error"]),
            TO_CHECK: lambda r: r["category"] == "a-verifier"}.get(
        show, lambda r: r["category"] == show)
    expected = [row["id"] for row in contract if keep(row)]
    first = read_page(french, show, 1, per_page=40)
    assert first.matching == len(expected) and first.pages == max(1, -(-len(expected) // 40))
    seen = []
    for page in range(1, first.pages + 1):
        found = read_page(french, show, page, per_page=40)
        assert found.page == page and len(found.rows) <= 40
        seen += [row["id"] for row in found.rows]
    assert seen == expected
    beyond = read_page(french, show, first.pages + 5, per_page=40)  # past the end: the last
    assert beyond.page == first.pages and [r["id"] for r in beyond.rows] == expected[
        (first.pages - 1) * 40:]


def test_rows_carry_their_place_and_category_code(files):
    _contract, french = files
    page = read_page(french, ERRORS, 1, per_page=1000)
    assert page.rows and all(row["error"] and row["category_code"] is None for row in page.rows)
    assert page.rows[-1]["position"] == 300  # the "nord" row, last of the file
    qpv = read_page(french, "qpv", 1).rows
    assert qpv and {row["category_code"] for row in qpv} == {"qpv"}


def test_an_unknown_filter_is_refused(files):
    with pytest.raises(ResultPageError):
        read_page(files[1], "tout", 1)


def test_a_page_of_a_100000_row_file_is_read_in_bounded_memory(files, tmp_path):
    """Streamed: a page of a 100,000-row file (tens of megabytes) keeps its 50 rows only."""
    _contract, french = files
    header, *body = french.read_text("utf-8-sig").splitlines(keepends=True)
    big = tmp_path / "grand.csv"
    with open(big, "w", encoding="utf-8-sig") as file:
        file.write(header)
        for repeat in range(100_000 // len(body) + 1):
            file.writelines(body[: max(0, min(len(body), 100_000 - repeat * len(body)))])
    assert big.stat().st_size > 30_000_000
    tracemalloc.start()
    try:
        page = read_page(big, "", 1000, per_page=50)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert page.matching == 100_000 and page.pages == 2000 and len(page.rows) == 50
    assert peak < 3_000_000, peak  # a few rows' worth, never the file
