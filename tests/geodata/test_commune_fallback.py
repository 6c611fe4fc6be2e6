"""The checker's fallback when the address service cannot be reached: a commune found in
what a person typed (names, INSEE codes, postal codes), its point, on both backends; and the
QPV sources a verdict cites (only those complete where the location lies)."""

from __future__ import annotations

import pytest
import shapely

from geodata.checks import CommuneChoice, CommuneUnknown, check_address, datasets_used
from geodata.commune_lookup import CommuneDirectory, CommuneEntry, names_surely, normalise
from geodata.eligibility.layers import QpvLayer
from geodata.eligibility.provenance import ProvenanceError, covers, qpv_sources_at
from geodata.geocoder import BanClient
from geodata.storage.communes import commune_directory, commune_point
from loaders.pipeline import load_source
from tests.support import contours_of

pytestmark = pytest.mark.shared_data


def test_names_are_compared_as_people_type_them():
    assert normalise("ST-AFFRIQUE") == normalise("Saint Affrique") == ["saint", "affrique"]
    assert normalise("L'Haÿ-les-Roses") == ["l", "hay", "les", "roses"]
    assert normalise("Ste-Œuvre") == ["sainte", "oeuvre"]


def test_directory_finds_the_commune_closing_an_address():
    directory = CommuneDirectory([
        CommuneEntry("80021", "Amiens", "80"), CommuneEntry("80688", "Rue", "80"),
        CommuneEntry("93066", "Saint-Denis", "93"), CommuneEntry("97411", "Saint-Denis", "974"),
        CommuneEntry("2A004", "Ajaccio", "2A")])
    assert [c.code for c in directory.find("8 rue du Port 80000 Amiens")] == ["80021"]
    assert [c.code for c in directory.find("2a004")] == ["2A004"]
    assert [c.code for c in directory.find("st denis")] == ["93066", "97411"]
    assert [c.code for c in directory.find("Saint-Denis 97400")] == ["97411"]
    assert directory.find("Nulle-part-sur-Mer") == []
    assert directory.find("rue imaginaire de nulle part") == []  # Rue (80) is not taken
    assert [c.code for c in directory.find("Amiens 80000 CEDEX")] == ["80021"]


def test_a_postal_code_beside_words_is_never_an_insee_code():
    """« 13013 MARSEILLE 13E ARRONDISSEMENT » was read as Belcodène, whose INSEE code is
    13013: a dossier's point in Marseille was said to lie outside its address's commune, and
    the checker's fallback would have checked Belcodène."""
    directory = CommuneDirectory([
        CommuneEntry("13013", "Belcodène", "13"), CommuneEntry("13055", "Marseille", "13"),
        CommuneEntry("75056", "Paris", "75"), CommuneEntry("80829", "Y", "80"),
        CommuneEntry("69123", "Lyon", "69")])
    address = "35 avenue de la croix rouge Bât 29 13013 MARSEILLE 13E ARRONDISSEMENT"
    assert [c.code for c in directory.find(address)] == ["13055"]
    assert directory.find("12 rue du Port 13013") == []  # a postal code, no name: unknown
    assert [c.code for c in directory.find("13013")] == ["13013"]  # no table: INSEE code
    assert [c.code for c in directory.find("3 rue Y 75013 PARIS 13")] == ["75056"]
    assert directory.find("3 rue Y 75013") == []  # Y (Somme) is a word of the street
    assert [c.code for c in directory.find("Lyon 1er arrondissement")] == ["69123"]


def test_a_code_typed_alone_is_read_as_a_postal_code_and_as_an_insee_code():
    """« 13013 » typed alone gave Belcodène's verdict (its INSEE code) to a person in
    Marseille's 13th arrondissement (its postal code): with the postal codes, both are
    listed; a code that is only one of them gives its communes."""
    directory = CommuneDirectory([
        CommuneEntry("13013", "Belcodène", "13"), CommuneEntry("13055", "Marseille", "13"),
        CommuneEntry("05100", "Pelleautier", "05"), CommuneEntry("05061", "Gap", "05")])
    postcodes = {"13013": ("13055",), "05000": ("05061", "05100"), "05100": ()}
    assert [c.code for c in directory.find("13013", postcodes)] == ["13013", "13055"]
    assert [c.code for c in directory.find("05000", postcodes)] == ["05061", "05100"]
    assert [c.code for c in directory.find("05100", postcodes)] == ["05100"]
    assert directory.find("99999", postcodes) == []
    assert not names_surely("13013", directory.find("13013", postcodes))
    assert [c.code for c in directory.find("13013 Marseille", postcodes)] == ["13055"]

def test_a_commune_named_before_its_departement_is_found_there():
    """« Saint-Denis La Réunion » offered only La Réunion (47222), a commune of
    Lot-et-Garonne; « Saint-Denis 974 » and « Sainte-Marie Martinique » found nothing."""
    directory = CommuneDirectory([
        CommuneEntry("93066", "Saint-Denis", "93", "Seine-Saint-Denis"),
        CommuneEntry("97411", "Saint-Denis", "974", "La Réunion"),
        CommuneEntry("47222", "La Réunion", "47", "Lot-et-Garonne"),
        CommuneEntry("97228", "Sainte-Marie", "972", "Martinique"),
        CommuneEntry("97418", "Sainte-Marie", "974", "La Réunion"),
        CommuneEntry("75056", "Paris", "75", "Paris")])
    for text, codes in (("Saint-Denis La Réunion", ["97411"]), ("Saint-Denis (974)", ["97411"]),
                        ("Sainte-Marie Martinique", ["97228"]),
                        ("St Denis Seine-Saint-Denis", ["93066"]),
                        ("La Réunion", ["47222"]), ("12 rue de Paris", ["75056"])):
        found = directory.find(text)
        assert [c.code for c in found] == codes, text
        assert names_surely(text, found) == (text != "12 rue de Paris"), text

def test_a_commune_closing_a_street_is_not_sure_without_a_code():
    """« 8 bd du port » closes with Port (Ain): taken without a word of the person, the
    single checker placed a Marseille address in the Ain."""
    port = [CommuneEntry("01307", "Port", "01")]
    assert not names_surely("8 bd du port", port)
    assert names_surely("8 bd du port 01460", port)  # a postal code
    assert names_surely("Port", port) and names_surely("PORT", port)  # its whole name
    assert names_surely("01307", port)  # its INSEE code
    assert not names_surely("Port", port * 2)  # homonyms: never sure
    assert names_surely("Marseille 13e arrondissement", [CommuneEntry("13055", "Marseille",
                                                                      "13")])


def test_coverage_scopes():
    assert covers("country", (), None, None)
    assert covers("regions", ("76",), "76", "12") and not covers("regions", ("93",), "76", "12")
    assert covers("departements", ("35",), "53", "35")
    assert not covers("none", (), "76", "12")
    with pytest.raises(ProvenanceError):
        covers("planet", (), "76", "12")


def test_a_source_complete_elsewhere_is_not_cited_unless_it_holds_the_qpv_found():
    import numpy as np

    layer = QpvLayer("2024", np.array(["QN01352M"], dtype=object), np.array(["x"], dtype=object),
                     np.array(["metro"], dtype=object), np.array([None], dtype=object),
                     complete_for=(("regions", ("93",)),), sources=("qpv2024-paca",),
                     source_ids=(12,), row_sources=np.array([0]))
    names = {"76": "Occitanie"}
    assert qpv_sources_at(layer, "76", "12", names, (-1, -1)) == (
        [], "les contours des QPV 2024 ne sont pas tous chargés pour Occitanie (région 76)")
    assert qpv_sources_at(layer, "76", "30", names, (-1, 0))[0] == [0]
    assert qpv_sources_at(layer, "93", "13", names, (-1, -1)) == ([0], None)


@pytest.fixture
def aveyron(engine, data_dir, tmp_path):
    """The official list, the régions and départements, and the real outlines of Aveyron
    (12) and Seine-Saint-Denis (93), on each backend."""
    subset = contours_of(data_dir, ["12", "93"], tmp_path / "contours.geojson")
    for name in ("regions", "departements", "communes"):
        load_source(engine, name, data_dir=data_dir, progress=False)
    load_source(engine, "commune-contours", str(subset), progress=False)
    return engine


def test_directory_and_point_on_both_backends(aveyron, data_dir):
    directory = commune_directory(aveyron)
    assert len(directory) > 34_000  # every current commune of the official list
    rodez = directory.find("12 rue Béteille 12000 RODEZ")
    assert [(c.code, c.departement_name) for c in rodez] == [("12202", "Aveyron")]
    homonyms = directory.find("Saint-Denis")
    assert {"93066", "97411", "11339"} <= {c.code for c in homonyms}
    lon, lat = commune_point(aveyron, "12202")
    import json

    outline = next(f for f in json.loads(
        (data_dir / "communes/communes_contours_datafrance.geojson").read_text("utf-8"))
        ["features"] if f["properties"]["code"] == "12202")
    assert shapely.geometry.shape(outline["geometry"]).contains(shapely.Point(lon, lat))
    assert commune_point(aveyron, "13055") is None  # no outline loaded for Marseille here


@pytest.fixture
def unreachable_ban():
    """A BAN client aimed at a closed port: the real client fails to connect."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with BanClient(f"http://127.0.0.1:{port}", timeout=1, max_retries=0) as client:
        yield client


def test_unreachable_ban_falls_back_on_the_commune(aveyron, unreachable_ban):
    check = check_address(aveyron, unreachable_ban, "current", "2 place d'Armes 12000 Rodez",
                          commune_fallback=True)
    row = check.verdict.row
    assert row["commune_code"] == "12202" and row["precision"] == "commune"
    assert check.fallback == ("Base Adresse Nationale injoignable : lieu pris au centre de la "
                              "commune Rodez (12202), précision commune")
    assert row["category"] == "a-verifier"
    assert check_address(aveyron, unreachable_ban, "current", "rodez",
                         commune_fallback=True).verdict.row["commune_code"] == "12202"
    with pytest.raises(CommuneChoice) as unsure:  # the street's last word: asked, not taken
        check_address(aveyron, unreachable_ban, "current", "8 avenue de Rodez",
                      commune_fallback=True)
    assert [c.code for c in unsure.value.choices] == ["12202"]
    assert "sans code postal, « Rodez » peut être le dernier mot de la rue" in str(unsure.value)
    with pytest.raises(CommuneChoice) as choice:
        check_address(aveyron, unreachable_ban, "current", "Saint-Denis", commune_fallback=True)
    assert {"93066", "97411"} <= {c.code for c in choice.value.choices}
    with pytest.raises(CommuneUnknown):
        check_address(aveyron, unreachable_ban, "current", "rue imaginaire",
                      commune_fallback=True)


def test_without_fallback_the_failure_stays_a_geocoder_error(aveyron, unreachable_ban):
    from geodata.geocoder import GeocoderError

    with pytest.raises(GeocoderError, match="ne répond pas"):
        check_address(aveyron, unreachable_ban, "current", "2 place d'Armes 12000 Rodez")


def test_datasets_used_leave_out_outlines_complete_elsewhere(reference_engine):
    from geodata.checks import check_point

    rodez = check_point(reference_engine, "current", 2.5734, 44.3506)
    used = {v.source for v in datasets_used(reference_engine, rodez)}
    assert "qpv2024-paca" not in used and "qpv2024-communes" in used
    assert {"communes", "commune-contours", "densite"} <= used
    assert rodez.provenance.qpv_missing == \
        "les contours des QPV 2024 ne sont pas tous chargés pour Occitanie (région 76)"
    marseille = check_point(reference_engine, "current", 5.4034, 43.3305)
    used = {v.source for v in datasets_used(reference_engine, marseille)}
    assert "qpv2024-paca" in used and "qpv2024-communes" not in used
    assert marseille.verdict.component("near_qpv").source.startswith(
        "QPV 2024, région Provence-Alpes-Côte d'Azur (Carto-Santé PACA) (complète pour")
