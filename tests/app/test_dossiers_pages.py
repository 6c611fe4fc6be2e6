"""The instructors' pages of a wave's dossiers, on both backends: the table agrees with the
domain's selection, every role gets what it may, bad filters are French 400s.

The wave is the hand-made one of ``tests/data/dossiers`` (real organisations), imported with
the outlines of the communes of two départements only (13 and 67, so that those dossiers
have a commune and a département; the others stay "à vérifier") and the local fake BAN.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest
from sqlalchemy import text

from app.access import create_user
from app.db import EXTENSION
from geodata.dossiers.calendar import load_calendar
from geodata.dossiers.selection import DossierFilter
from geodata.geocoder import BanClient
from geodata.policy import load_policy
from geodata.storage.dossiers import (
    list_dossiers,
)
from loaders.dossiers import import_dossiers
from loaders.pipeline import load_source
from tests.app.conftest import PASSWORD, csrf_token
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server
from tests.loaders.test_dossiers_import import WAVE
from tests.support import close_app, contours_of, make_app

pytestmark = pytest.mark.shared_data

ROWS = re.compile(r'<tr data-numero="(\d+)">')
PAGES = ("/instruction/dossiers?vague=2", "/instruction/dossiers.csv?vague=2",
         "/instruction/dossiers/1234503")


@pytest.fixture(scope="module", name="two_departements")
def two_departements_fixture(tmp_path_factory, data_dir):
    return contours_of(data_dir, ["13", "67"],
                       tmp_path_factory.mktemp("contours") / "contours_13_67.geojson")


@pytest.fixture(name="wave")
def wave_fixture(app, data_dir, ban_server, two_departements):
    engine = app.extensions[EXTENSION]
    load_source(engine, "commune-contours", str(two_departements), progress=False)
    with BanClient(ban_server.url, max_retries=0) as ban:
        import_dossiers(engine, ban, WAVE, data_dir=data_dir, actor="test")
    return engine


@pytest.mark.parametrize(("role", "status"), [(None, 302), ("instructor", 200),
                                              ("ministry", 200), ("admin", 200)])
def test_who_sees_the_dossiers(wave, client, login, role, status):
    if role:
        login(client, role)
    for path in PAGES:
        answer = client.get(path)
        assert answer.status_code == status, path
        if status == 302:
            assert answer.headers["Location"].startswith("/connexion")


@pytest.mark.parametrize("query, kept", [
    ("vague=2", DossierFilter()),
    ("vague=2&type=FT&verification=financement", DossierFilter(kind="FT",
                                                               failing="financement")),
    ("vague=1&verification=forme_juridique", DossierFilter(failing="forme_juridique")),
    ("vague=2&departement=13", DossierFilter(departement="13")),
    ("vague=2&etat=recevable", DossierFilter(state="recevable")),
])
def test_the_table_shows_the_dossiers_the_filters_keep(wave, client, login, query, kept):
    login(client)
    page = client.get(f"/instruction/dossiers?{query}")
    wave_number = query.split("&")[0].removeprefix("vague=")
    expected = [d.number for d in kept.apply(list_dossiers(wave, wave_number))]
    assert [int(n) for n in ROWS.findall(page.text)] == expected
    everything = len(list_dossiers(wave, wave_number))
    assert f"{everything} dossier{'s' if everything > 1 else ''} dans la vague" in page.text
    exported = client.get(f"/instruction/dossiers.csv?{query}")
    rows = list(csv.reader(io.StringIO(exported.text.removeprefix("\ufeff")), delimiter=";"))
    assert [int(row[0]) for row in rows[1:]] == expected


@pytest.mark.parametrize(("words", "found"), [
    ("fabulerie", [1234505]),                 # the holder's name, any case
    ("efficience, solidaire", [1234516]),     # the project's name as written
    ("CREATIVE", [1234516]),                  # « Créative »: no accents
    ("1234516", [1234516]),                   # the number
    ("n'existe nulle part", []),
])
def test_the_table_finds_a_dossier_by_number_or_name(wave, client, login, words, found):
    """250 dossiers made three pages to scan for one name."""
    login(client)
    page = client.get("/instruction/dossiers", query_string={"vague": "2", "recherche": words})
    assert [int(n) for n in ROWS.findall(page.text)] == found
    assert f'value="{words}"' in html.unescape(page.text)  # kept in the field


def test_the_table_sorts(wave, client, login):
    login(client)
    page = client.get("/instruction/dossiers?vague=2&tri=raison_sociale")
    numbers = [int(n) for n in ROWS.findall(page.text)]
    by_name = sorted(list_dossiers(wave, "2"),
                     key=lambda d: ((d.company_name or "").casefold(), d.number))
    assert numbers == [d.number for d in by_name] and numbers != sorted(numbers)


@pytest.mark.parametrize(("query", "said"), [
    ("etat=gagne", "État inconnu(e)"),
    ("tri=taille", "Tri inconnu(e)"),
    ("departement=PACA", "Département\u00a0: un code"),
    ("page=0", "Page\u00a0: un nombre entier positif"),
    ("vague=" + "x" * 40, "Vague\u00a0: 16 lettres"),
])
def test_a_bad_filter_is_a_french_400(wave, client, login, query, said):
    login(client)
    answer = client.get(f"/instruction/dossiers?{query}")
    assert answer.status_code == 400 and said in html.unescape(answer.text)


def test_the_dossier_page_shows_its_checks_and_history(wave, client, login):
    login(client)
    page = html.unescape(client.get("/instruction/dossiers/1234503").text)
    assert "Dossier 1234503\u00a0: Espace Numérique Sud Charente" in page
    assert "9220 «\u00a0Association déclarée\u00a0»\u00a0: admise" in page
    assert "Fabrique Numérique de Territoire" in page and "importé" in page
    missing = client.get("/instruction/dossiers/99")  # a 404 leading back to the dossiers
    assert missing.status_code == 404 and 'href="/instruction/dossiers">Retour aux' in missing.text
    marseille = next(d for d in list_dossiers(wave) if d.commune_code == "13055")
    shown = client.get(f"/instruction/dossiers/{marseille.number}").text
    features = json.loads(html.unescape(re.search(
        r'<script type="application/json" id="carte-donnees">(.*?)</script>', shown,
        re.DOTALL).group(1)))
    kinds = {f["properties"]["kind"] for f in features["features"]}
    assert {"commune"} <= kinds and any(f["geometry"]["type"] == "Point"
                                        for f in features["features"])
    assert "/verifier/attestation?" in shown
    unplaced = next(d for d in list_dossiers(wave) if d.lon is None)
    assert 'id="carte"' not in client.get(f"/instruction/dossiers/{unplaced.number}").text


def test_the_map_caption_names_only_what_is_drawn(wave, client, login):
    """The caption named « le QPV le plus proche (bleu) et la bande … (tirets) » on every
    dossier's map, drawn or not (no QPV known near a place where outlines are missing)."""
    login(client)
    seen = set()
    for dossier in (d for d in list_dossiers(wave) if d.lon is not None):
        shown = client.get(f"/instruction/dossiers/{dossier.number}").text
        features = json.loads(html.unescape(re.search(
            r'<script type="application/json" id="carte-donnees">(.*?)</script>', shown,
            re.DOTALL).group(1)))
        drawn = any(f["properties"]["kind"] == "qpv" for f in features["features"])
        caption = shown[shown.index("<figcaption"):shown.index("</figcaption>")]
        assert ("(bleu)" in caption) == drawn and ("aucun QPV n'est dessiné" in caption) != drawn
        seen.add(drawn)
    assert False in seen  # maps with no QPV are in the wave (no outline of their rules)


def test_the_dossier_page_names_its_rules_for_a_person(wave, client, login):
    """The rules the checks ran under: the policy's name, then its title for a person; a
    policy the service no longer ships is said so, the page still opens."""
    login(client)
    number = list_dossiers(wave)[0].number
    policy = load_policy(list_dossiers(wave)[0].policy)
    page = " ".join(html.unescape(client.get(f"/instruction/dossiers/{number}").text).split())
    assert f"Règles appliquées : {policy.title}." in page  # by title, not its code
    with wave.begin() as connection:
        connection.execute(text("UPDATE dossiers SET policy = 'ami-2015' WHERE number = :n"),
                           {"n": number})
    page = " ".join(html.unescape(client.get(f"/instruction/dossiers/{number}").text).split())
    assert "Règles appliquées : « ami-2015 », qui ne sont plus proposées par le service." \
        in page


def test_the_import_page_offers_the_rules_the_dossiers_were_checked_under(wave, client,
                                                                         login):
    """The page always offered « Règles actuelles »: importing an AMI 2019 wave again
    switched its rules unseen (synthetic: the stored dossiers' rules changed in SQL)."""
    login(client)
    assert re.search(r'<option value="current" selected>', client.get(IMPORT).text)
    assert "Celles des dossiers déjà importés" in html.unescape(client.get(IMPORT).text)
    with wave.begin() as connection:
        connection.execute(text("UPDATE dossiers SET policy = 'ami-2019'"))
    page = client.get(IMPORT).text
    assert re.search(r'<option value="ami-2019" selected>', page)
    assert "Celles des dossiers déjà importés" in html.unescape(page)


def test_without_dossiers_the_import_page_offers_the_rules_of_each_wave(client, login):
    """A first import was checked under today's rules, a 2019 export's included (the
    waves of 2019 to 2022 were instructed under the AMI 2019's)."""
    login(client)
    page = html.unescape(client.get(IMPORT).text)
    assert re.search(r'<option value="selon-la-vague" selected>Celles de la vague de chaque '
                     r'dossier</option>', page)
    assert "Celles des dossiers déjà importés" not in page


def test_a_first_import_by_wave_checks_a_2019_wave_under_the_ami_2019_rules(ban_app, login):
    client = ban_app.test_client()
    login(client)
    page = html.unescape(upload(client, WAVE.read_bytes(), "export-ds.csv",
                                policy="selon-la-vague").text)
    assert "règles de la ou des vagues du fichier\u00a0: «\u00a0AMI 2019" in page
    engine = ban_app.extensions[EXTENSION]
    assert {d.policy for d in list_dossiers(engine)} == {"ami-2019"}
    wrong = upload(client, WAVE.read_bytes(), "export-ds.csv", policy="ami-2099")
    assert wrong.status_code == 400 and "ami-2099" in html.unescape(wrong.text)


def test_without_dossiers_the_page_says_how_to_import(client, login):
    login(client)
    page = html.unescape(client.get("/instruction/dossiers").text)
    assert "Aucun dossier importé" in page and "fabriques dossiers importer" in page


# --- prefectures (their avis: test_dossiers_avis.py) ----------------------------------

def prefecture(client, login, *departements) -> str:
    email = f"pref-{'-'.join(departements)}@exemple.gouv.fr"
    create_user(client.application.extensions[EXTENSION], email, PASSWORD, "prefecture",
                departements=list(departements))
    token = csrf_token(client)
    client.post("/connexion", data={"email": email, "password": PASSWORD,
                                    "csrf_token": token})
    return email


# --- upload --------------------------------------------------------------------------------

IMPORT = "/instruction/dossiers/import"


def upload(client, content: bytes, filename: str, **fields):
    token = csrf_token(client, IMPORT)
    return client.post(IMPORT, data={"csrf_token": token, "fichier": (io.BytesIO(content),
                                                                       filename), **fields},
                       content_type="multipart/form-data")


@pytest.fixture
def ban_app(database_url, tmp_path, data_dir, ban_server):
    """The app whose geocoder is the local fake BAN."""
    app = make_app(database_url, tmp_path / "instance", data_dir, GEOCODER_URL=ban_server.url)
    yield app
    close_app(app)


def test_an_instructor_imports_a_wave_from_the_page(ban_app, login):
    client = ban_app.test_client()
    login(client)
    engine = ban_app.extensions[EXTENSION]
    answer = upload(client, WAVE.read_bytes(), "export-ds.csv")
    page = html.unescape(answer.text)
    assert answer.status_code == 200
    assert "export-ds.csv\u00a0: 24 dossiers lus, 7 lignes écartées" in page
    assert "24 créés" in page and page.count("<tr><td>") >= 7
    # lines set aside: a warning, not a success, from its title on the first screen
    assert re.search(r'class="fr-alert fr-alert--warning[^"]*" role="status" id="bilan"', page)
    assert "réponse inconnue « Tiers-lieu »" in page
    assert len(list_dossiers(engine)) == 24
    again = " ".join(html.unescape(upload(client, WAVE.read_bytes(), "export-ds.csv",
                                          vague="2").text).split())
    assert "4 mis à jour, 20 inchangés" in again  # the FNT of wave 1 move to wave 2
    assert {d.wave for d in list_dossiers(engine)} == {"2"}


def test_an_import_says_which_dossiers_have_no_wave_and_leads_to_them(ban_app, login):
    """Dossiers filed after the last published deadline were counted « créés » and found
    nowhere: no link led to them."""
    client = ban_app.test_client()
    login(client)
    late = WAVE.read_text(encoding="utf-8").replace(
        "1234505,porteur-05@exemple.fr,en_instruction,2019-10-24 11:05:12 +0200",
        "1234505,porteur-05@exemple.fr,en_instruction,2020-03-02 11:05:12 +0100")
    assert late != WAVE.read_text(encoding="utf-8")
    page = html.unescape(upload(client, late.encode(), "export-ds.csv").text)
    assert re.search(r'id="sans-vague">1 dossier sans vague\u00a0: sa date de dépôt', page)
    link = re.search(r'<a href="([^"]+)">Voir les dossiers sans vague</a>', page).group(1)
    listed = client.get(link.replace("&amp;", "&")).text
    assert 'data-numero="1234505"' in listed
    assert re.search(r'id="synthese">1 dossier sans vague', listed)  # « dans la vague »


@pytest.mark.parametrize(("content", "filename", "said"), [
    (b"ID;Nom\n1;x\n", "export.txt", "un export .xlsx, .ods ou .csv est attendu"),
    (b"Numero,Email\n1,a@b.fr\n", "export.csv", "colonnes obligatoires absentes\u00a0: ID"),
    (b"PK\x03\x04 pas un classeur", "export.xlsx", "classeur illisible\u00a0: le fichier n'est pas "
     "un classeur .xlsx valide"),  # was pandas' English, « Excel file format cannot be … »
])
def test_a_bad_upload_says_why_and_imports_nothing(app, client, login, content, filename,
                                                   said):
    login(client)
    answer = upload(client, content, filename)
    page = html.unescape(answer.text)
    assert answer.status_code == 400 and said in page
    assert "/tmp" not in page  # the server's temporary path is not shown
    assert "Excel file" not in page and "Error" not in page
    assert list_dossiers(app.extensions[EXTENSION]) == []


def test_the_wave_is_chosen_among_the_calendars_and_kept_after_an_error(app, client, login):
    """A typed wave (« deux ») was refused after the upload; it is chosen in a list of the
    calendar's waves, kept when the page comes back with an error, which says the file must
    be chosen again (no browser keeps it)."""
    login(client)
    page = client.get(IMPORT).text
    select = page.split('id="vague"')[1].split("</select>")[0]
    offered = re.findall(r'<option value="([^"]*)"', select)
    assert offered[0] == "" and offered[1:] == [w.number for w in load_calendar(None).waves]
    refused = html.unescape(upload(client, b"ID;Nom\n1;x\n", "export.csv", vague="2").text)
    assert re.search(r'<option value="2" selected>Vague 2', refused)
    assert "Choisissez de nouveau le fichier" in refused
    forged = html.unescape(upload(client, WAVE.read_bytes(), "export.csv", vague="deux").text)
    assert "vague inconnue du calendrier" in forged and "Aucun dossier importé" in forged
    assert list_dossiers(app.extensions[EXTENSION]) == []
    # a first import offers the current rules: the page says which rules the first waves had
    assert "Les vagues 2019 à 2022 ont été instruites selon « AMI 2019 : QPV 2015 et hors " \
        "des 22 métropoles »." in " ".join(html.unescape(page).split())


@pytest.mark.parametrize("role", ["ministry", "prefecture"])
def test_only_instructors_import(app, client, login, role):
    if role == "prefecture":
        prefecture(client, login, "13")
    else:
        login(client, role)
    assert client.get(IMPORT).status_code == 403



def test_a_dossier_refused_or_withdrawn_on_demarches_simplifiees_says_so(wave, client, login):
    """The export's state was stored and shown nowhere: instructors worked on dossiers DS
    had refused or closed without follow-up."""
    login(client)
    listed = client.get("/instruction/dossiers?vague=2").text
    rows = dict(re.findall(r'<tr data-numero="(\d+)">(.*?)</tr>', listed, re.S))
    assert "refusé sur DS" in rows["1234516"] and "sur DS" not in rows["1234505"]
    withdrawn = html.unescape(client.get("/instruction/dossiers/1234521").text)
    assert re.search(r'id="etat-ds">\s*<p>Sur Démarches Simplifiées, ce dossier est «\u00a0classé '
                     r'sans suite\u00a0»', withdrawn)
    ongoing = html.unescape(client.get("/instruction/dossiers/1234505").text)
    assert 'id="etat-ds"' not in ongoing
    assert 'id="etat-demarche">en instruction<' in ongoing


def test_the_history_says_what_an_import_changed_from_and_to(wave, client, login, data_dir,
                                                              ban_server, tmp_path):
    """« mis à jour par un import : montant 1re année, … » without the values: whether an
    avis came before the new amount could not be read. Synthetic: La Fabulerie asks
    40 000 € the first year in a later export."""
    changed = tmp_path / "vague.csv"
    changed.write_text(WAVE.read_text(encoding="utf-8").replace(
        '"43,295313",50000,50000,50000', '"43,295313",40000,50000,50000'), encoding="utf-8")
    with BanClient(ban_server.url, max_retries=0) as ban:
        import_dossiers(wave, ban, changed, data_dir=data_dir, actor="test")
    login(client)
    page = " ".join(html.unescape(client.get("/instruction/dossiers/1234505").text).split())
    assert "mis à jour par un import : montant 1re année : « 50 000 » → « 40 000 » ; " \
        "vérifications ; autres colonnes de l'export (non affichées)" in page  # named only


def test_the_history_words_the_codes_as_the_pages_do(wave, client, login, data_dir,
                                                     ban_server):
    """« catégorie : « qpv » → « a-verifier » ; règles appliquées : « current » →
    « ami-2019 » »: the history showed stored codes the pages never show."""
    with BanClient(ban_server.url, max_retries=0) as ban:
        import_dossiers(wave, ban, WAVE, data_dir=data_dir, actor="test",
                        policy_name="ami-2019")
    login(client)
    page = " ".join(html.unescape(client.get("/instruction/dossiers/1234505").text).split())
    assert "règles appliquées : « Règles actuelles : QPV 2024 et grille communale de " \
        "densité » → « AMI 2019 : QPV 2015 et hors des 22 métropoles »" in page
    assert "« current »" not in page and "« a-verifier »" not in page


def test_an_unknown_wave_is_not_an_empty_list(wave, client, login):
    """« ?vague=99 » was an empty list saying « Par état : . Par catégorie : . », where the
    jury's page answers 404."""
    login(client)
    answer = client.get("/instruction/dossiers?vague=99")
    assert answer.status_code == 404
    said = " ".join(html.unescape(answer.text).split())
    assert "Vague inconnue" in said
    assert "Aucun dossier dans la vague « 99 » (vagues des dossiers : 1, 2)." in said
    assert client.get("/instruction/dossiers?vague=2").status_code == 200
    export = client.get("/instruction/dossiers.csv?vague=99")  # not a file of headers alone
    assert export.status_code == 404 and "vagues des dossiers\u00a0: 1, 2" in export.text
    jury = client.get("/instruction/jury?vague=99")  # the same words
    assert jury.status_code == 404 and "vagues des dossiers\u00a0: 1, 2" in html.unescape(jury.text)
    unwaved = client.get("/instruction/jury?vague=sans-vague")  # the list's « sans vague »
    assert unwaved.status_code == 404
    assert "Les dossiers sans vague n'ont pas de jury" in html.unescape(unwaved.text)
