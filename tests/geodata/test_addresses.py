"""Address batches: geocoded through the BAN's CSV endpoint (a local server speaking its
formats), classified on the real reference layers, every row kept; and the CSV reading
every batch shares (encodings, delimiters, spreadsheet output)."""

from __future__ import annotations

import csv
import io

import pytest

from geodata.checks import LOW_SCORE, check_point
from geodata.eligibility import COLUMNS
from geodata.eligibility.addresses import (
    GEOCODING_COLUMNS,
    LOW_SCORE_WARNING,
    AddressLocations,
    Geocoding,
    batch_rows,
    read_batch,
    write_batch,
)
from geodata.eligibility.batch import classify_csv, format_value
from geodata.eligibility.reading import BatchError
from geodata.geocoder import BanClient, GeocoderError
from geodata.policy import CATEGORIES, load_policy
from geodata.storage.reference import reference_index
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server

pytestmark = pytest.mark.shared_data

ADDRESSES = """id;adresse;code_postal
seg;20 avenue de Ségur;75007
sj;Avenue de Saint-Just 13013 Marseille;
ami;8 bd du port;
pel;Pelleautier;5000
cha;le Chazelet La Grave;
nul;rue qui n'existe pas;
vide;;
"""


@pytest.fixture
def client(ban_server):
    with BanClient(ban_server.url, backoff=0.01, max_retries=1) as client:
        yield client


@pytest.fixture(params=["current", "ami-2019"])
def policy(request):
    return load_policy(request.param)


def run(reference_engine, policy, data, client, **options):
    index = reference_index(reference_engine, policy.qpv_vintage)
    out = io.BytesIO()
    report = write_batch(index, policy, read_batch(data), out,
                         geocoding=Geocoding(client, LOW_SCORE), **options)
    return report, list(csv.reader(io.StringIO(out.getvalue().decode())))


def test_addresses_are_geocoded_and_classified_like_single_checks(reference_engine, policy,
                                                                  client):
    report, (header, *rows) = run(reference_engine, policy, ADDRESSES, client)

    assert header == [*COLUMNS, *GEOCODING_COLUMNS]
    written = [dict(zip(header, row, strict=True)) for row in rows]
    assert [row["id"] for row in written] == ["seg", "sj", "ami", "pel", "cha", "nul", "vide"]
    for row, query, postcode in [(written[0], "20 avenue de Ségur", "75007"),
                                 (written[1], "Avenue de Saint-Just 13013 Marseille", None),
                                 (written[2], "8 bd du port", None),
                                 (written[3], "Pelleautier", "05000"),
                                 (written[4], "le Chazelet La Grave", None)]:
        found = client.search(query, postcode=postcode)  # the single-address path
        single = check_point(reference_engine, policy.name, found.lon, found.lat,
                             found.precision, found.citycode).verdict.row
        single["id"] = row["id"]
        assert {c: row[c] for c in COLUMNS} == {c: format_value(single[c]) for c in COLUMNS}
        assert row["geocoded_label"] == found.label
        assert float(row["geocoding_score"]) == found.score
        assert row["geocoding_type"] == found.result_type
        low = found.score < LOW_SCORE
        assert row["geocoding_warning"] == (LOW_SCORE_WARNING if low else "")
    assert written[2]["geocoding_warning"] == LOW_SCORE_WARNING and not written[2]["error"]
    assert written[3]["precision"] == "commune" and written[3]["commune_code"] == "05100"
    assert written[4]["precision"] == "locality"
    assert written[5]["error"].startswith("ligne 7 : adresse introuvable dans la Base Adresse")
    assert written[5]["category"] == "" and written[5]["lon"] == ""
    assert written[5]["policy"] == policy.name
    assert written[6]["error"] == "ligne 8 : adresse vide"
    assert [line for line, _ in report.errors] == [7, 8]
    assert [line for line, _ in report.warnings] == [4]
    assert report.rows == 7 and report.geocoded == 5 and report.classified == 5
    assert sum(report.categories.values()) == 5


def test_only_the_address_columns_leave_the_service(reference_engine, client, ban_server):
    data = ("id;adresse;ville;code_insee;remarque\n"
            "dossier-4471;20 avenue de Ségur;Paris;75107;subvention confidentielle\n")
    run(reference_engine, load_policy("current"), data, client)

    (post,) = [r for r in ban_server.requests if r.method == "POST"]
    header = post.data.splitlines()[0].split(",")
    assert header == ["rang", "q0", "q1", "citycode"]
    assert "dossier-4471" not in post.data and "confidentielle" not in post.data
    assert "20 avenue de Ségur" in post.data and post.form["citycode"] == ["citycode"]


def test_mixed_files_geocode_only_rows_without_coordinates(reference_engine, client,
                                                           ban_server):
    policy = load_policy("current")
    data = ("id,lon,lat,adresse\n"
            "c1,5.4034,43.3305,\n"
            "a1,,,20 avenue de Ségur Paris\n"
            "x,,,\n"
            "b,abc,43,Pelleautier\n")
    report, (header, *rows) = run(reference_engine, policy, data, client)

    written = [dict(zip(header, row, strict=True)) for row in rows]
    only_points = io.BytesIO()
    classify_csv(reference_index(reference_engine, policy.qpv_vintage), policy,
                 "id,lon,lat\nc1,5.4034,43.3305\n", only_points)
    expected = next(csv.DictReader(io.StringIO(only_points.getvalue().decode())))
    assert {c: written[0][c] for c in COLUMNS} == expected
    assert written[0]["geocoding_type"] == "" and written[1]["geocoding_type"] == "housenumber"
    assert written[2]["error"] == "ligne 4 : ni coordonnées (lon, lat) ni adresse"
    assert written[3]["error"] == "ligne 5 : lon non numérique : 'abc'"
    assert [r.rows for r in ban_server.requests if r.method == "POST"] == [1]
    assert report.geocoded == 1 and len(report.errors) == 2


def test_an_address_the_ban_would_refuse_is_its_row_s_error_and_is_not_sent(
        reference_engine, client, ban_server):
    """Only punctuation or emoji, too short once cleaned: the row's own error, the others
    geocoded; never a whole-batch failure."""
    data = ("id;adresse;ville\n"
            "pon;!!!;\n"
            "emo;😀😀😀;\n"
            "seg;20 avenue de Ségur;Paris\n"
            "court;!! ab;\n"
            "vil;!!!;Pelleautier\n")
    report, (header, *rows) = run(reference_engine, load_policy("current"), data, client)

    written = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    invalid = "adresse invalide : ni lettre ni chiffre"
    assert written["pon"]["error"].startswith(f"ligne 2 : {invalid}")
    assert written["emo"]["error"].startswith(f"ligne 3 : {invalid}")
    assert written["court"]["error"] == \
        "ligne 5 : adresse trop courte : « ab » (3 caractères au moins)"
    assert not written["seg"]["error"] and written["seg"]["geocoding_type"] == "housenumber"
    assert not written["vil"]["error"] and written["vil"]["precision"] == "commune"
    assert [line for line, _ in report.errors] == [2, 3, 5]
    (post,) = [r for r in ban_server.requests if r.method == "POST"]
    assert post.rows == 2 and "!!!" not in post.data and "😀" not in post.data


def test_an_address_cut_by_an_unquoted_separator_is_its_row_s_error_and_is_not_sent(
        reference_engine, client, ban_server):
    """« 20, avenue de Ségur » unquoted in a comma-separated file: four cells for three
    columns. Its cells are shifted (« 20 » in Paris' place...): the row's error, never a
    geocoding of the wrong text; the same address quoted is read whole."""
    data = ("id,adresse,ville\n"
            "coupee,20, avenue de Ségur,Paris\n"
            'entiere,"20, avenue de Ségur",Paris\n'
            "vide,20 avenue de Ségur,Paris,,\n")  # blank cells past the last column: no harm
    report, (header, *rows) = run(reference_engine, load_policy("current"), data, client)

    written = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert written["coupee"]["error"] == (
        "ligne 2 : 4 cellules pour 3 colonnes : une valeur contient sans doute le séparateur "
        "sans être entre guillemets")
    assert not written["entiere"]["error"] and written["entiere"]["commune_code"] == "75056"
    assert not written["vide"]["error"]
    (post,) = [r for r in ban_server.requests if r.method == "POST"]
    assert post.rows == 2 and "coupee" not in post.data


def test_chunks_report_progress_and_send_only_rows_to_geocode(reference_engine, client,
                                                             ban_server):
    data = "id,adresse,lon,lat\n" + "".join(
        f"{i},Pelleautier,,\n" if i != 2 else "2,,6.0,44.5\n" for i in range(6))
    steps = []
    report, rows = run(reference_engine, load_policy("current"), data, client,
                       progress=steps.append, chunk=2)

    assert steps == [2, 2, 2] and len(rows) == 7
    assert [r.rows for r in ban_server.requests if r.method == "POST"] == [2, 1, 2]
    assert report.geocoded == 5 and report.classified == 6


def test_filters_restrict_the_search_and_malformed_ones_are_flagged(reference_engine, client,
                                                                    ban_server):
    data = ("id;address;postcode;citycode\n"
            "a;20 avenue de Ségur;;13213\n"
            "b;20 avenue de Ségur;ABC;\n"
            "c;20 avenue de Ségur;75 007;75107\n")
    report, (header, *rows) = run(reference_engine, load_policy("current"), data, client)

    written = [dict(zip(header, row, strict=True)) for row in rows]
    assert written[0]["error"].endswith("(filtre : code INSEE 13213)")
    assert written[1]["geocoding_warning"] == "code postal 'ABC' ignoré (format inconnu)"
    assert written[1]["geocoding_type"] == "housenumber" and not written[1]["error"]
    assert written[2]["geocoding_warning"] == "" and written[2]["commune_code"] == "75056"
    assert [line for line, _ in report.warnings] == [3]
    posted = ban_server.requests[-1].data.splitlines()
    assert posted[0] == "rang,q0,citycode,postcode"
    assert posted[1:] == ["0,20 avenue de Ségur,13213,", "1,20 avenue de Ségur,,",
                          "2,20 avenue de Ségur,75107,75007"]


def test_an_arrondissement_code_becomes_its_commune(reference_engine, client):
    # A synthetic parent mapping, so that its use shows on a commune-precision match.
    policy = load_policy("current")
    index = reference_index(reference_engine, policy.qpv_vintage)
    locations = read_batch("id,adresse\np,Pelleautier\n")
    rows, _ = batch_rows(index, policy, locations,
                         geocoding=Geocoding(client, LOW_SCORE, {"05100": "05061"}))
    assert rows[0]["precision"] == "commune" and rows[0]["commune_code"] == "05061"


def test_json_rows_carry_python_values(reference_engine, client):
    policy = load_policy("current")
    index = reference_index(reference_engine, policy.qpv_vintage)
    rows, report = batch_rows(index, policy, read_batch(ADDRESSES),
                              geocoding=Geocoding(client, LOW_SCORE))
    assert list(rows[0]) == [*COLUMNS, *GEOCODING_COLUMNS]
    assert isinstance(rows[1]["near_qpv"], bool) and isinstance(rows[1]["lon"], float)
    assert rows[2]["geocoding_warning"] == LOW_SCORE_WARNING
    assert rows[5]["lon"] is None and rows[5]["category"] is None
    assert rows[5]["error"].startswith("ligne 7 : adresse introuvable")
    assert len(rows) == report.rows == 7


def test_geocoder_down_stops_the_batch(reference_engine, client, ban_server):
    ban_server.fail_next(10, status=503)
    with pytest.raises(GeocoderError, match="ne répond pas"):
        run(reference_engine, load_policy("current"), ADDRESSES, client)


def test_addresses_need_a_geocoder(reference_engine):
    policy = load_policy("current")
    index = reference_index(reference_engine, policy.qpv_vintage)
    with pytest.raises(BatchError, match="Base Adresse Nationale est nécessaire"):
        write_batch(index, policy, read_batch(ADDRESSES), io.BytesIO())


@pytest.mark.parametrize(("data", "message"), [
    ("id;adresse\n".encode("utf-16"), "UTF-16"),
    (b"PK\x03\x04\x14\x00\x06\x00", "classeur"),
    (b'[{"id": 1, "adresse": "20 avenue de S\xc3\xa9gur"}]', "est du JSON"),
    (b"id\tadresse\n1\t20 avenue de S\xc3\xa9gur\n", "séparateur non reconnu"),
    (b"adresse,ville\n20 avenue de S\xc3\xa9gur,Paris\n", "colonne id (l'identifiant"),
    (b"id,nom\n1,x\n", "pour des adresses, une colonne adresse remplace lon et lat"),
    (b"", "fichier vide"),
    (b"id,lon,lat\n" + b"a,5.4034,43.3305\n" * 4000 + b"b\x00,5.4,43.3\n",
     "ligne 4002 : caractère nul"),  # past the first 64 KiB: it went into an id
])
def test_unusable_files_are_refused_whole_with_a_reason(data, message):
    with pytest.raises(BatchError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_batch(data)


def test_french_spreadsheet_exports_are_read():
    # Windows-1252 (œ, ’), a "Code postal" header, blank lines left by the spreadsheet.
    data = "Id;Adresse;Code postal\n1;3 rue de l’Œuvre;13001\n;;\n2;Pelleautier;5000\n;;\n"
    locations = read_batch(data.encode("cp1252"))
    assert isinstance(locations, AddressLocations)
    assert locations.ids == ["1", "2"] and locations.lines == [2, 4]
    assert locations.queries[0] == {"adresse": "3 rue de l’Œuvre", "ville": "",
                                    "code_postal": "13001"}
    assert locations.queries[1]["code_postal"] == "05000"


def test_spreadsheet_output_opens_in_french_excel_and_reads_back(reference_engine, client):
    data = "id;adresse\n=1+1;20 avenue de Ségur\n-3;Pelleautier\nnul;rue qui n'existe pas\n"
    report, _ = run(reference_engine, load_policy("current"), data, client)
    out = io.BytesIO()
    policy = load_policy("current")
    write_batch(reference_index(reference_engine, policy.qpv_vintage), policy,
                read_batch(data), out, geocoding=Geocoding(client, LOW_SCORE),
                spreadsheet=True)

    assert out.getvalue().startswith("\ufeff".encode())  # a byte order mark for Excel
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig")), delimiter=";"))
    assert rows[0]["id"] == "'=1+1" and rows[1]["id"] == "-3"
    assert "," in rows[0]["longitude"] and "." not in rows[0]["longitude"]
    assert "," in rows[0]["score du géocodage"]
    assert rows[0]["catégorie"] in CATEGORIES.values()  # French headers and values
    assert {rows[0]["en QPV"], rows[1]["en QPV"]} <= {"oui", "non", ""}
    assert rows[2]["erreur"].startswith("ligne 4 : adresse introuvable")
    again = read_batch(out.getvalue())  # French headers, decimal commas, semicolons read back
    assert not isinstance(again, AddressLocations)
    assert again.lon[1] == pytest.approx(float(rows[1]["longitude"].replace(",", ".")))
    assert sorted(again.errors) == [2] and report.geocoded == 2
