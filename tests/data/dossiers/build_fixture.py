"""Write ``ami2019_vague.csv``: a small, hand-made Démarches Simplifiées export of one wave of
the AMI « Fabriques de Territoire » 2019, made of real organisations of the shared data folder.

    .venv/bin/python tests/data/dossiers/build_fixture.py

The shared folder is ``$FABRIQUES_DATA_DIR``, else ``../shared/data`` beside the repository.
Names, SIRET, addresses and coordinates come from its files; dates, states, amounts, e-mails
and most legal forms are written below by hand (``tests/data/README.md`` says which is which).
Nothing is random: two runs write the same bytes.
"""

from __future__ import annotations

import csv
import json
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[3]
DATA = Path(os.environ.get("FABRIQUES_DATA_DIR") or REPO.parent / "shared" / "data")
OUT = Path(__file__).with_name("ami2019_vague.csv")
PARIS = ZoneInfo("Europe/Paris")
FIRST_ID = 1234501

HEADERS = [
    "ID", "Email", "État du dossier", "Déposé le", "Passé en instruction le", "Traité le",
    "Motivation de la décision", "Instructeurs", "Établissement SIRET",
    "Entreprise raison sociale", "Entreprise forme juridique", "Entreprise forme juridique code",
    "Nom du projet", "Type de Fabrique", "Lieu existant", "Adresse du lieu", "Longitude",
    "Latitude", "Montant demandé 1re année", "Montant demandé 2e année",
    "Montant demandé 3e année",
]
FT, FNT = "Fabrique de Territoire", "Fabrique Numérique de Territoire"
EPCI_CODES = {"CC": "7346", "CA": "7348", "CU": "7343", "METRO": "7344", "MET69": "7344"}
AMOUNT_STYLES = ("{:,} €", "{}", "{:,}")  # "50 000 €", "50000", "45 000" (row by row)
INSTRUCTOR = "instructeur-1@exemple.fr"

# The good dossiers, in filing order. Where a row's organisation is found:
#   fabt   laureates/fabriques_territoire_anct_202401_list.csv (id_fabt)
#   siret  places/conseillers_numeriques_structures_2021.json (siret)
#   tl     tierslieux/cget_tierslieux_2019.csv (ID)
#   ftl    tierslieux/france_tiers_lieux_mednum_extract_paca_charente_2023.csv (ftl_id)
# code: the legal form chosen from the name (the SIREN of an EPCI or a commune gives it
# instead; "" = left empty on purpose). xy: "source" (default), "none" (left for the
# geocoder) or "comma" (decimal comma, as typed by a person). Dates are Paris local time.
GOOD = [
    dict(fabt="fabt-38", siret="20007053000015", kind=FNT, filed="2019-09-12 10:14:03",
         state="accepte", instruit="2019-10-21 09:02:11", traite="2019-11-14 17:05:42",
         motivation="Lauréat de la vague 1 (Fabriques Numériques de Territoire).",
         years=(50000, 50000, 50000)),
    dict(fabt="fabt-33", siret="32215073100022", code="9260", kind=FNT,
         filed="2019-10-02 16:47:55", state="en_instruction", instruit="2019-10-22 11:20:37",
         years=(40000, 35000, 30000)),
    dict(fabt="fabt-85", siret="81834687600019", code="9220", kind=FNT,
         filed="2019-10-15 22:03:18", years=(30000, 25000, 20000)),
    dict(fabt="fabt-61", code="", kind=FNT, filed="2019-10-16 18:59:40",
         years=(45000, 45000, 45000)),
    dict(fabt="fabt-117", tl="1179", code="9220", filed="2019-10-24 11:05:12",
         state="en_instruction", instruit="2020-01-08 10:00:00", xy="comma",
         years=(50000, 50000, 50000)),
    dict(fabt="fabt-80", siret="20007198300015", filed="2019-10-29 09:41:27",
         years=(50000, 40000, 30000)),
    dict(fabt="fabt-303", siret="20006663700014", tl="1293", filed="2019-11-05 14:22:09",
         state="en_instruction", instruit="2020-01-08 10:04:51", years=(35000, 30000, 25000)),
    dict(tl="247", code="1000", filed="2019-11-08 08:55:30", years=(25000, 25000, 25000)),
    dict(fabt="fabt-51", tl="1348", code="5560", filed="2019-11-13 15:30:47",
         state="en_instruction", instruit="2020-01-09 14:12:03", years=(50000, 50000, 50000)),
    dict(fabt="fabt-36", siret="53312587800033", code="9220", filed="2019-11-19 12:01:44",
         years=(60000, 45000, 40000)),
    dict(fabt="fabt-199", siret="21430200200016", filed="2019-11-22 17:36:21",
         state="en_instruction", instruit="2020-01-10 09:45:00", xy="comma",
         years=(30000, 30000, 30000)),
    dict(fabt="fabt-07", siret="45355983300026", code="9220", filed="2019-11-27 10:10:10",
         xy="none", years=(45000, 40000, 35000)),
    dict(fabt="fabt-168", tl="255", code="5460", filed="2019-12-02 19:24:58",
         years=(40000, 30000, 20000)),
    dict(fabt="fabt-71", code="5560", filed="2019-12-04 11:47:05", xy="none",
         years=(50000, 50000, 45000)),
    dict(ftl="645bacd4fce1277c0c14ad3a", code="9220", filed="2019-12-06 16:02:33",
         state="en_instruction", instruit="2020-01-13 11:30:15", years=(50000, 45000, 40000)),
    dict(fabt="fabt-29", siret="82516835400025", code="9220", filed="2019-12-09 09:18:40",
         state="refuse", instruit="2020-01-13 11:42:09", traite="2020-01-20 15:00:12",
         motivation="Montant demandé sur trois ans (60 000 €) inférieur au minimum de 75 000 €.",
         years=(20000, 20000, 20000)),
    dict(fabt="fabt-189", siret="24150108900015", filed="2019-12-11 14:44:19",
         years=(50000, 30000, 20000)),
    dict(fabt="fabt-326", tl="943", code="2900", filed="2019-12-13 10:27:36", xy="none",
         years=(35000, 25000, 20000)),
    dict(fabt="fabt-163", siret="81902366400025", tl="1336", code="5458",
         filed="2019-12-16 18:08:52", state="en_instruction", instruit="2020-01-14 10:20:44",
         years=(45000, 45000, 45000)),
    dict(fabt="fabt-72", siret="20007111600012", filed="2019-12-17 11:55:03",
         years=(50000, 50000, 25000)),
    dict(fabt="fabt-69", siret="43012172300026", tl="954", code="9220",
         filed="2019-12-18 14:32:10", state="sans_suite", traite="2020-01-15 09:12:37",
         motivation="Candidature retirée par le porteur.", years=(40000, 40000, 40000)),
    dict(fabt="fabt-287", org="BIGOUDEN MAKERS", code="5710", filed="2019-12-19 21:40:26",
         xy="none", years=(30000, 25000, 25000)),
    dict(fabt="fabt-105", siret="44966614800035", code="9220", filed="2019-12-20 09:03:58",
         xy="none", years=(50000, 45000, 40000)),
    dict(fabt="fabt-132", tl="442", code="9220", filed="2019-12-20 16:51:14",
         years=(25000, 25000, 25000)),
]

# The deliberately bad dossiers, one defect each: (reason, dossier, columns overwritten).
BAD = [
    ("montant qui n'est pas un nombre",
     dict(fabt="fabt-68", siret="53848226600029", tl="166", code="9220",
          filed="2019-12-23 10:15:00", years=(50000, 50000, 40000)),
     {"Montant demandé 2e année": "beaucoup"}),
    ("longitude sans latitude",
     dict(fabt="fabt-13", tl="1452", code="9220", filed="2019-12-26 11:02:45",
          years=(40000, 35000, 30000)),
     {"Latitude": ""}),
    ("latitude hors limites",
     dict(fabt="fabt-58", tl="1022", code="9220", filed="2019-12-27 15:33:20",
          years=(30000, 30000, 30000)),
     {"Latitude": "95"}),
    ("type de Fabrique inconnu",
     dict(fabt="fabt-138", tl="738", code="9220", filed="2019-12-30 09:47:12",
          years=(50000, 40000, 30000)),
     {"Type de Fabrique": "Tiers-lieu"}),
    ("ID déjà pris par le premier dossier",
     dict(fabt="fabt-116", siret="77722426200017", code="9220", filed="2019-12-30 17:20:05",
          years=(45000, 40000, 35000)),
     {"ID": str(FIRST_ID)}),
    ("ID vide",
     dict(fabt="fabt-101", siret="32433429100014", code="9220", filed="2019-12-31 10:08:31",
          years=(35000, 30000, 25000)),
     {"ID": ""}),
    ("date de dépôt illisible",
     dict(fabt="fabt-362", siret="78029616600017", code="9220", filed="2019-12-31 23:48:02",
          years=(40000, 30000, 30000)),
     {"Déposé le": "hier"}),
]


def read_sources(data: Path) -> dict:
    """The shared files, each as a dict keyed by the ids used above."""
    def rows(name: str, key: str) -> dict:
        with open(data / name, encoding="utf-8-sig", newline="") as handle:
            return {row[key]: row for row in csv.DictReader(handle)}

    def records(name: str) -> list:
        return json.loads((data / name).read_text(encoding="utf-8"))

    communes = [c for c in records("communes/communes_cog2026_decoupage_administratif.json")
                if c["type"] == "commune-actuelle"]
    return {
        "fabt": rows("laureates/fabriques_territoire_anct_202401_list.csv", "id_fabt"),
        "tl": rows("tierslieux/cget_tierslieux_2019.csv", "ID"),
        "ftl": rows("tierslieux/france_tiers_lieux_mednum_extract_paca_charente_2023.csv",
                    "ftl_id"),
        "siret": {r["siret"]: r for r in
                  records("places/conseillers_numeriques_structures_2021.json")},
        "epci": {e["code"]: e["type"] for e in
                 records("communes/epci_cog2026_decoupage_administratif.json")},
        "commune_sirens": {c["siren"] for c in communes if c.get("siren")},
        "communes": {c["code"]: c for c in communes},
        "labels": {r["code"]: r["libelle"] for r in
                   rows("reference/categories_juridiques_insee.csv", "code").values()
                   if r["niveau"] == "3"},
    }


def legal_form(spec: dict, siren: str, src: dict) -> str:
    """The level-3 code: from the SIREN for an EPCI or a commune, else the one chosen."""
    if siren in src["epci"]:
        derived = EPCI_CODES[src["epci"][siren]]
    elif siren in src["commune_sirens"]:
        derived = "7210"
    else:
        return spec["code"]
    assert "code" not in spec, f"{siren}: the SIREN already gives the legal form"
    return derived


def place(spec: dict, src: dict) -> tuple[str, str, str, str]:
    """(name, address, longitude, latitude) of the place, from the first list that has it."""
    if "tl" in spec:
        t = src["tl"][spec["tl"]]
        postcode = t["CP"] if t["CP"] != "0" else postcode_of(t["INSEECOM"], src)
        street = t["ADRESSE"].strip().rstrip(" .")
        return t["NOM_TL"], f"{street} {postcode} {t['NOMCOM']}", t["LONG"], t["LAT"]
    if "ftl" in spec:
        f = src["ftl"][spec["ftl"]]
        address = f"{f['adresse']} {f['code_postal']} {f['commune']}"
        return f["nom"], address, f["longitude"], f["latitude"]
    if "siret" in spec:
        s = src["siret"][spec["siret"]]
        address = " ".join(line.strip() for line in s["adresse"].splitlines())
        return "", address, str(s["longitude"]), str(s["latitude"])
    insee = src["fabt"][spec["fabt"]]["insee_com"]
    commune = src["communes"][insee]["nom"]
    return "", f"{commune} {postcode_of(insee, src)}", "", ""


def postcode_of(insee: str, src: dict) -> str:
    """The commune's postcode, when it has a single one."""
    (postcode,) = src["communes"][insee]["codesPostaux"]
    return postcode


def stamp(local: str) -> str:
    """``2019-12-18 14:32:10`` (Paris) as DS writes it: ``2019-12-18 14:32:10 +0100``."""
    moment = datetime.strptime(local, "%Y-%m-%d %H:%M:%S").replace(tzinfo=PARIS)
    return moment.strftime("%Y-%m-%d %H:%M:%S %z")


def dossier(number: int, spec: dict, src: dict) -> dict:
    """One line of the export."""
    laureate = src["fabt"].get(spec.get("fabt"), {})
    siret = spec.get("siret", "")
    place_name, address, lon, lat = place(spec, src)
    project = laureate.get("lib_projet") or place_name
    if siret:
        org = src["siret"][siret]["raison_sociale"]
    else:
        org = spec.get("org", project)
    code = legal_form(spec, siret[:9], src)
    xy = spec.get("xy", "source")
    if xy == "none":
        lon = lat = ""
    elif xy == "comma":
        lon, lat = lon.replace(".", ","), lat.replace(".", ",")
    style = AMOUNT_STYLES[number % len(AMOUNT_STYLES)]
    amounts = [style.format(year).replace(",", " ") for year in spec["years"]]
    treated = "traite" in spec
    return dict(zip(HEADERS, [
        str(FIRST_ID + number), f"porteur-{number + 1:02d}@exemple.fr",
        spec.get("state", "en_construction"), stamp(spec["filed"]),
        stamp(spec["instruit"]) if "instruit" in spec else "",
        stamp(spec["traite"]) if treated else "", spec.get("motivation", ""),
        INSTRUCTOR if treated else "", siret, org, src["labels"].get(code, ""), code,
        project, spec.get("kind", FT), "Oui" if place_name or siret else "Non", address,
        lon, lat, *amounts,
    ], strict=True))


def build(data: Path = DATA) -> list[dict]:
    """The good dossiers, then the bad ones."""
    src = read_sources(data)
    lines = [dossier(n, spec, src) for n, spec in enumerate(GOOD)]
    for n, (_reason, spec, broken) in enumerate(BAD, start=len(GOOD)):
        lines.append({**dossier(n, spec, src), **broken})
    return lines


def write(lines: list[dict], out: Path = OUT) -> None:
    with open(out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADERS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(lines)


def summary(lines: list[dict]) -> str:
    good = lines[: len(GOOD)]
    kinds = {kind: sum(line["Type de Fabrique"] == kind for line in good) for kind in (FT, FNT)}
    bare = sum(not line["Longitude"] and not line["Latitude"] for line in good)
    return (f"{OUT.name}: {len(lines)} dossiers ({len(good)} bons, {len(BAD)} mauvais) ; "
            f"bons par type : {kinds} ; bons sans coordonnées : {bare}")


if __name__ == "__main__":
    built = build()
    write(built)
    print(summary(built))
