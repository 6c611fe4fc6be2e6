"""``fabriques check``, ``classify`` and ``quotas`` on the real reference layers."""

from __future__ import annotations

import csv
import io
import json

import pytest

from app import create_app
from app.db import EXTENSION
from geodata.eligibility import COLUMNS
from geodata.storage import reference as reader
from geodata.storage.index_files import keep_indexes_in
from geodata.storage.reference import reference_index

pytestmark = pytest.mark.shared_data


@pytest.fixture
def runner(reference_engine, tmp_path, data_dir):
    app = create_app({
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": reference_engine.url.render_as_string(hide_password=False),
        "DATA_DIR": str(data_dir),
    })
    yield app.test_cli_runner()
    app.extensions[EXTENSION].dispose()


def test_check_json_has_the_contract_keys(runner):
    result = runner.invoke(args=["check", "--lon", "5.4034", "--lat", "43.3305", "--json"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)
    assert tuple(row) == COLUMNS
    assert row["commune_code"] == "13055" and row["policy"] == "current"
    assert row["near_qpv"] is True and row["category"] == "qpv"
    assert isinstance(row["distance_to_qpv_m"], float)
    assert row["distance_to_qpv_m"] == round(row["distance_to_qpv_m"], 1)


def test_check_prints_the_explanation_for_the_chosen_policy(runner):
    result = runner.invoke(args=["check", "--lon", "1.4205", "--lat", "43.5825",
                                 "--policy", "ami-2019"])
    assert result.exit_code == 0
    assert "liste 2015" in result.output and "Toulouse" in result.output
    assert "(politique « AMI 2019 : QPV 2015 et hors des 22 métropoles »)." in result.output


def test_check_refuses_an_unknown_policy_and_bad_coordinates(runner):
    unknown = runner.invoke(args=["check", "--lon", "2", "--lat", "46", "--policy", "2030"])
    assert unknown.exit_code == 2 and "politique inconnue" in unknown.output
    assert "ami-2019" in unknown.output
    bad = runner.invoke(args=["check", "--lon", "200", "--lat", "46"])
    assert bad.exit_code == 2 and "hors limites" in bad.output
    nowhere = runner.invoke(args=["check", "--lon", "-30", "--lat", "40", "--json"])
    assert nowhere.exit_code == 1
    assert "aucun territoire" in json.loads(nowhere.output)["error"]


def test_check_reads_coordinates_as_the_pages_do(runner):
    """A decimal comma, as a French user types it, gives the same verdict as a point."""
    point = runner.invoke(args=["check", "--lon", "5.4034", "--lat", "43.3305", "--json"])
    comma = runner.invoke(args=["check", "--lon", "5,4034", "--lat", "43,3305", "--json"])
    assert point.exit_code == comma.exit_code == 0
    assert json.loads(comma.output) == json.loads(point.output)
    assert json.loads(comma.output)["lon"] == 5.4034


def test_check_reads_the_index_a_previous_run_kept(reference_engine, tmp_path, data_dir,
                                                   monkeypatch):
    """A second ``fabriques check`` (a new process: nothing in memory) reads the index the
    first one kept in INDEX_FILES instead of the database's layers, with the same answer."""
    app = create_app({
        "TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": reference_engine.url.render_as_string(hide_password=False),
        "DATA_DIR": str(data_dir), "INDEX_FILES": str(tmp_path / "index"),
    })
    args = ["check", "--lon", "5.4034", "--lat", "43.3305", "--policy", "ami-2019", "--json"]
    try:
        reference_index.cache.clear()
        first = app.test_cli_runner().invoke(args=args)
        assert first.exit_code == 0, first.output
        assert len(list((tmp_path / "index").glob("reference-*.pickle"))) == 1

        reference_index.cache.clear()
        monkeypatch.setattr(reader, "read_commune_layer", lambda connection: 1 / 0)
        second = app.test_cli_runner().invoke(args=args)
        assert second.exit_code == 0, second.output
        assert json.loads(second.output) == json.loads(first.output)
    finally:
        keep_indexes_in(None)
        app.extensions[EXTENSION].dispose()


def read(path):
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_classify_keeps_every_row_and_reports_bad_ones(runner, tmp_path):
    source = tmp_path / "projets.csv"
    source.write_text(
        "id,lon,lat\n"
        "p1,5.4034,43.3305\n"
        "p2,abc,43.3\n"
        "p3,,\n"
        "p4,-30,40\n"
        "p5,3.0,46.0\n", encoding="utf-8")
    output = tmp_path / "verdicts.csv"

    result = runner.invoke(args=["classify", str(source), "-o", str(output), "--quiet"])

    assert result.exit_code == 0, result.output
    rows = read(output)
    assert [r["id"] for r in rows] == ["p1", "p2", "p3", "p4", "p5"]
    assert list(rows[0]) == list(COLUMNS)
    assert rows[0]["category"] == "qpv" and rows[0]["near_qpv"] == "true"
    assert rows[1]["error"] == "ligne 3 : lon non numérique : 'abc'" and rows[1]["lon"] == "abc"
    assert rows[2]["error"] == "ligne 4 : lon vide"
    assert "aucun territoire" in rows[3]["error"]
    assert rows[4]["category"] == "hors-grands-centres-urbains" and rows[4]["error"] == ""
    assert rows[4]["in_qpv"] == "false" and rows[0]["in_qpv"] == "false"
    assert "5 lignes lues, 2 classées, 3 en erreur" in result.output
    assert "erreur ligne 3" in result.output


def test_classify_reads_french_spreadsheets(runner, tmp_path):
    source = tmp_path / "tableur.csv"
    source.write_bytes("id;lon;lat;precision\nCréteil;5,4034;43,3305;point\n"
                       "Pelleautier;6,0;44,5;commune\n".encode("latin-1"))
    output = tmp_path / "out.csv"

    result = runner.invoke(args=["classify", str(source), "-o", str(output), "--quiet"])

    assert result.exit_code == 0, result.output
    rows = read(output)
    assert rows[0]["id"] == "Créteil" and rows[0]["lon"] == "5.4034"
    assert rows[1]["precision"] == "commune" and rows[1]["near_qpv"] == "false"


def test_classify_refuses_a_file_without_coordinates_and_writes_nothing(runner, tmp_path):
    source = tmp_path / "lieux.csv"  # neither coordinates nor an address column
    source.write_text("id,nom\n1,Tiers-lieu de Ségur\n", encoding="utf-8")
    output = tmp_path / "out.csv"

    result = runner.invoke(args=["classify", str(source), "-o", str(output), "--quiet"])

    assert result.exit_code == 1
    assert "il manque les colonnes lon (la longitude, en degrés décimaux) et lat" in result.output
    assert not output.exists() and not list(tmp_path.glob("*.partiel"))


def test_quotas_count_every_laureate(runner):
    result = runner.invoke(args=["quotas", "--json"])
    assert result.exit_code == 0, result.output
    table = json.loads(result.output)
    lines = {line["category"]: line for line in table["lines"]}
    assert lines["total"]["min"] == lines["total"]["max"] == 382
    undetermined = lines["a-verifier"]["min"]
    assert undetermined > 0  # the published list places Fabriques at commune centroids
    possible = {kind: lines[kind]["max"] - lines[kind]["min"]
                for kind in ("qpv", "hors-grands-centres-urbains", "non-eligible")}
    assert all(0 <= count <= undetermined for count in possible.values())
    # the density grid rules some out: Paris's « à vérifier » are never outside them
    assert possible["hors-grands-centres-urbains"] < undetermined
    assert possible["hors-grands-centres-urbains"] + possible["non-eligible"] >= undetermined
    text = runner.invoke(args=["quotas", "--policy", "ami-2019"]).output
    assert "« ami-2019 »" in text and "382" in text and "Min" in text and "Max" in text


def test_quotas_by_region_name_the_regions(runner):
    result = runner.invoke(args=["quotas", "--by", "region", "--json"])
    assert result.exit_code == 0, result.output
    lines = json.loads(result.output)["lines"]
    paca = [line for line in lines if line["group"] == "93"]
    assert {line["group_name"] for line in paca} == {"Provence-Alpes-Côte d'Azur"}
    text = runner.invoke(args=["quotas", "--by", "departement"]).output
    assert "Bouches-du-Rhône" in text
    assert not any(row.startswith("13 ") for row in text.splitlines())  # names, not codes


def test_quotas_csv_to_a_file_and_to_stdout(runner, tmp_path):
    target = tmp_path / "quotas.csv"
    result = runner.invoke(args=["quotas", "--by", "wave", "--csv", str(target)])
    assert result.exit_code == 0, result.output
    data = target.read_bytes()
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    totals = [row for row in rows if row["catégorie"] == "total"]
    assert sum(int(row["minimum"]) for row in totals) == 382
    assert all(row["minimum"] == row["maximum"] for row in totals)
    assert "vague inconnue" in {row["nom du groupe"] for row in rows}
    shown = runner.invoke(args=["quotas", "--csv", "-"])
    assert shown.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(shown.output.removeprefix("\ufeff")),
                               delimiter=";"))
    qpv = next(row for row in rows if row["catégorie"] == "qpv")
    assert int(qpv["maximum"]) > int(qpv["minimum"])
    both = runner.invoke(args=["quotas", "--csv", "-", "--json"])
    assert both.exit_code == 2 and "s'excluent" in both.output


CATEGORIES_FILE = (
    "id,lon,lat,precision\n"
    "dans,5.393534,43.330305,point\n"  # inside QN01352M (Marseille)
    "proche,5.4034,43.3305,point\n"  # 81,8 m from it
    "hors,3.0,46.0,point\n"  # a village of the Puy-de-Dôme
    "non,5.327005,43.355476,point\n"  # Marseille, 456,3 m from the nearest QPV
    "toulouse,1.4205,43.5825,point\n"  # no 2024 outline loaded for Occitanie
    "commune,5.4034,43.3305,commune\n"  # known only to the commune
    "nulle-part,-30,40,point\n"
)


def test_classify_writes_short_explanations_by_default(runner, tmp_path):
    source = tmp_path / "lieux.csv"
    source.write_text(CATEGORIES_FILE, encoding="utf-8")
    output = tmp_path / "verdicts.csv"

    result = runner.invoke(args=["classify", str(source), "-o", str(output), "--quiet"])

    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in read(output)}
    said = {name: row["explanation"] for name, row in rows.items()}
    assert said["dans"] == "dans le QPV QN01352M : en QPV ou à sa proximité"
    assert said["proche"] == "QPV QN01352M à 81,8\u00a0m ≤ 300\u00a0m : en QPV ou à sa proximité"
    assert said["hors"] == (
        "aucune commune à QPV à moins de 550\u00a0m (liste officielle) ; "  # 300 + 250
        "Charbonnières-les-Vieilles (63093) hors grand centre urbain (densité 6) : "
        "hors des grands centres urbains")
    assert said["non"] == ("QPV le plus proche QN01303I à 456,3\u00a0m > 300\u00a0m ; "
                           "Marseille (13055) en grand centre urbain (densité 1) : non éligible")
    assert said["toulouse"] == ("QPV indéterminé (les contours des QPV 2024 ne sont pas tous "
                                "chargés pour Occitanie (région 76)) : à vérifier")
    assert said["commune"] == ("lieu connu seulement à la commune, QPV à vérifier avec "
                               "l'adresse précise : à vérifier")
    assert said["nulle-part"] == rows["nulle-part"]["error"]
    assert "aucun territoire" in said["nulle-part"]
    assert [rows[name]["category"] for name in ("dans", "proche", "hors", "non", "toulouse")] \
        == ["qpv", "qpv", "hors-grands-centres-urbains", "non-eligible", "a-verifier"]
    assert all(len(text.encode()) <= 200 for text in said.values())


def test_classify_writes_the_full_paragraph_on_request(runner, tmp_path):
    source = tmp_path / "lieux.csv"
    source.write_text(CATEGORIES_FILE, encoding="utf-8")
    output = tmp_path / "verdicts.csv"

    result = runner.invoke(args=["classify", str(source), "-o", str(output), "--quiet",
                                 "--explications", "completes"])

    assert result.exit_code == 0, result.output
    checked = runner.invoke(args=["check", "--lon", "5.4034", "--lat", "43.3305"])
    rows = {row["id"]: row for row in read(output)}
    assert rows["proche"]["explanation"] == checked.output.strip()
    assert rows["proche"]["explanation"].startswith("Lieu (5,40340 ; 43,33050), ")


def test_classify_refuses_bad_options_in_french(runner, tmp_path):
    source = tmp_path / "lieux.csv"
    source.write_text(CATEGORIES_FILE, encoding="utf-8")
    output = tmp_path / "verdicts.csv"
    for option, value, message in (
            ("--explications", "longues",
             "'longues' n'est pas l'une des valeurs 'courtes', 'completes'"),
            ("--workers", "0", "il faut un nombre entre 1 et 32, pas 0"),
            ("--workers", "deux", "'deux' n'est pas un entier valide")):
        result = runner.invoke(args=["classify", str(source), "-o", str(output), option, value])
        assert result.exit_code == 2, result.output
        assert f"valeur invalide pour '{option}' : {message}" in result.output
    assert not output.exists()


def test_classify_with_workers_writes_the_same_file_in_input_order(runner, tmp_path,
                                                                    monkeypatch):
    """Chunks of 4 rows (instead of 50 000): with two processes, the file is the one a
    single process writes, byte for byte, its rows in input order, a bad row with its line."""
    monkeypatch.setattr("geodata.eligibility.addresses.CHUNK", 4)
    lines = ["id,lon,lat"]
    for i in range(30):
        lines.append(f"p{i},{5.30 + i * 0.004:.4f},{43.30 + (i % 7) * 0.01:.4f}")
    lines.insert(12, "mauvaise,nord,43.3")  # line 13
    source = tmp_path / "lieux.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outputs = {}
    for workers in ("1", "2"):
        outputs[workers] = tmp_path / f"verdicts-{workers}.csv"
        result = runner.invoke(args=["classify", str(source), "-o", str(outputs[workers]),
                                     "--quiet", "--workers", workers])
        assert result.exit_code == 0, result.output
        assert "31 lignes lues, 30 classées, 1 en erreur" in result.output
        assert "erreur ligne 13 : lon non numérique : 'nord'" in result.output
    assert outputs["2"].read_bytes() == outputs["1"].read_bytes()
    rows = read(outputs["2"])
    assert [row["id"] for row in rows] == [line.split(",")[0] for line in lines[1:]]
    assert rows[11]["error"] == "ligne 13 : lon non numérique : 'nord'"
    assert not list(tmp_path.glob("*.partiel"))
