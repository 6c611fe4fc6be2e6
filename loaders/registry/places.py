"""Sources of places: the Fabriques de Territoire laureates, tiers-lieux and public sites.

The field names the stagers understand (``loaders.laureates``, ``loaders.places``) are the keys
of ``fields``; ``attributes.<key>`` columns are kept as given in the place's ``attributes``
under ``<key>``. ``options["kind"]`` is the places' kind (unique per source), and
``options["precision"]`` says how precise the points are: ``"commune"`` (commune centroids),
``"address"``, or ``"geocoder"`` (read from the geocoding score and label of each row, see
``loaders.places``). ``options["notes"]`` names known errors of the source, kept as given and
reported whenever the row is loaded.

``minimum_rows`` is the fewest records (loaded or skipped) a whole file of the source can
hold (``loaders.claims``): about nine tenths of the shared file's own count (SOURCES.md),
rounded down, so that a later list with a few closures loads while a cut file is refused.
"""

from loaders.registry.source import COUNTRY, GITHUB, LICENCE_OUVERTE, NOWHERE, Source

__all__ = ["PLACE_SOURCES"]

SUPERPOSEUR_ANCT = GITHUB + "anct-carto/superposeur-anct/blob/" \
    "949f7e581185229a3bef1962d8f81f5608757f0c/data/geom/geojsonV2/"

PLACE_SOURCES = (
    # --- Fabriques de Territoire ------------------------------------------------------
    Source(
        name="laureates",
        dataset="laureates",
        title="Fabriques de Territoire lauréates, toutes vagues (ANCT, janvier 2024)",
        vintage="2024-01",
        licence=f"{LICENCE_OUVERTE} (ANCT, dépôt anct-carto/superposeur-anct)",
        # one row per Fabrique, derived from ANCT's commune layer of the laureates
        url=SUPERPOSEUR_ANCT + "fabt_geom.geojson",
        path="laureates/fabriques_territoire_anct_202401_list.csv",
        sha256="a1d8be6849d44411610edb51ea51bd5b289fe450035ccee1a557467d34814d78",
        fields={"id": "id_fabt", "name": "lib_projet", "commune_code": "insee_com",
                "commune_name": "lib_com", "lon": "com_lon", "lat": "com_lat"},
        complete_for=COUNTRY,  # the national list of every laureate as of January 2024
        crs="EPSG:4326",
        options={"precision": "commune"},  # generalised commune centroids, not addresses
        minimum_rows=340,  # 382 laureates in the shared list (SOURCES.md: 382 rows)
    ),
    # --- tiers-lieux -------------------------------------------------------------------
    Source(
        name="tierslieux-cget-2019",
        dataset="places",
        title="Tiers-lieux recensés par la mission Coworking du CGET (2019)",
        vintage="2019",
        licence=f"{LICENCE_OUVERTE} (CGET, dépôt anct-carto/mission_coworking)",
        url=GITHUB + "anct-carto/mission_coworking/blob/"
        "f228a034e88183f315ece63d2f4a90decbdfd017/CGET_TiersLieux_2019.csv",
        path="tierslieux/cget_tierslieux_2019.csv",
        sha256="27beb2eb01a6bdd51351b303d9c551a3e9e22bf6f7b6554a64b44837b47b6b13",
        fields={"external_id": "ID", "name": "NOM_TL", "address": "ADRESSE", "postcode": "CP",
                "commune_code": "INSEECOM", "commune_name": "NOMCOM", "lon": "LONG",
                "lat": "LAT", "geocoder_score": "PRECISION", "geocoder_label": "GEOCOD",
                "attributes.typo": "TYPO", "attributes.web": "WEB",
                "attributes.precision": "PRECISION", "attributes.geocod": "GEOCOD",
                "attributes.metro": "METRO", "attributes.nommetro": "NOMMETRO"},
        complete_for=NOWHERE,  # a merge of network lists, not a census
        crs="EPSG:4326",
        options={
            "kind": "tiers-lieu-cget-2019",
            "precision": "geocoder",
            # 81 rows carry an integer instead of a 0-1 score, with a geocoded address
            # ending in ", France": the accuracy scale of the Google geocoder, which their
            # GEOCOD strings bear out (4: "48500 Le Massegros, France"; 6: a street without
            # number; 8 and 9: full addresses).
            "geocoder_codes": {"4": "commune", "6": "street", "8": "address", "9": "address"},
            # 19 points placed by hand on the map: how precisely is not known.
            "geocoder_labels": {"PLACE A LA MAIN": "unknown"},
        },
        minimum_rows=1_350,  # 1,512 places in the shared list (SOURCES.md: 1,512 rows)
    ),
    Source(
        name="manufactures-proximite",
        dataset="places",
        title="Manufactures de proximité lauréates, vagues 1 et 2 (ANCT, janvier 2022)",
        vintage="2022-01",
        licence=f"{LICENCE_OUVERTE} (ANCT, dépôt anct-carto/superposeur-anct)",
        # one row per Manufacture, derived from ANCT's commune layer of the laureates
        url=SUPERPOSEUR_ANCT + "manuprox_geom.geojson",
        path="tierslieux/manufactures_proximite_anct_202201_list.csv",
        sha256="08e0fba4cdb072d894673f4a21162d60beb0f1036fda1b0f7bc1bd52cbf60d64",
        fields={"external_id": "id_manuprox", "name": "lib_projet",
                "commune_code": "insee_com", "commune_name": "lib_com", "lon": "com_lon",
                "lat": "com_lat", "attributes.vague": "vague"},
        complete_for=COUNTRY,  # ANCT's national list of the laureates of waves 1 and 2
        crs="EPSG:4326",
        options={
            "kind": "manufacture-proximite",
            "precision": "commune",
            "notes": {
                "manuprox-2-103": "manuprox-2-103 (projet de Marie-Galante) : l'ANCT le place "
                "à Saint-Louis de La Réunion (97414) au lieu de Saint-Louis de Guadeloupe "
                "(97126) ; chargé tel que publié",
            },
        },
        minimum_rows=100,  # 111 Manufactures in the shared list (SOURCES.md: 111 rows)
    ),
    Source(
        name="france-tiers-lieux-extrait",
        dataset="places",
        title="Tiers-lieux France Tiers-Lieux offrant de la médiation numérique, PACA et "
        "Charente (extrait, 2023)",
        vintage="2023",
        licence=f"{LICENCE_OUVERTE} (dépôt anct-cartographie-nationale/client-application)",
        # 71 PACA rows come from this file; the 6 Charente rows from
        # src/assets/data/20230711-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine.json
        # at commit 926d8162a4a9416206bd3e5f91cdd40070f6419d of the same repository.
        url=GITHUB + "anct-cartographie-nationale/client-application/blob/"
        "8b2dea590c4f0d08a45f6c569184e8463864a63c/src/assets/data/"
        "20230517-hub-du-sud-lieux-de-mediation-numeriques-provence-alpes-cote-d-azur.json",
        path="tierslieux/france_tiers_lieux_mednum_extract_paca_charente_2023.csv",
        sha256="9c2876d630b3ffba338d1440dab4b7ce2a02207ee6e3df104cc2bb24c6e6a0a0",
        # ftl_id is the place's own id in the France Tiers-Lieux base, steadier than the
        # id the médiation numérique export built around it
        fields={"external_id": "ftl_id", "name": "nom", "address": "adresse",
                "postcode": "code_postal", "commune_code": "code_insee",
                "commune_name": "commune", "lon": "longitude", "lat": "latitude",
                "attributes.typologie": "typologie", "attributes.services": "services",
                "attributes.site_web": "site_web", "attributes.date_maj": "date_maj"},
        complete_for=NOWHERE,  # a sample: two areas, only places with digital mediation
        crs="EPSG:4326",
        options={
            "kind": "tiers-lieu-france-tiers-lieux",
            "precision": "address",
            "notes": {
                "6018f95a69086482678b4757": "CoCowork (Cognac) : longitude +0.3331 telle que "
                "publiée, sans doute une erreur de signe (Cognac est vers −0.33) ; point "
                "chargé tel quel",
            },
        },
        minimum_rows=70,  # 77 places in the shared extract (SOURCES.md: 77 rows)
    ),
    # --- public sites ------------------------------------------------------------------
    Source(
        name="france-services",
        dataset="places",
        title="Structures France services (ANCT, 1er août 2024)",
        vintage="2024-08-01",
        licence=f"{LICENCE_OUVERTE} (ANCT, dépôt anct-carto/france_services)",
        url=GITHUB + "anct-carto/france_services/blob/"
        "77f42baab04eae687d5eef1acdc79ee395f9562b/data/liste-fs-20240801.csv",
        path="places/france_services_20240801.csv",
        sha256="6eabcb0792c8681af513e65560a7dea08e15d3e72b070a14ca1fed032164efad",
        # the structures' contact mail and phone are left out on purpose
        fields={"external_id": "id_fs", "name": "lib_fs", "address": "adresse",
                "postcode": "code_postal", "commune_code": "insee_com",
                "commune_name": "lib_com", "lon": "longitude", "lat": "latitude",
                "attributes.type_fs": "type_fs", "attributes.format_fs": "format_fs"},
        complete_for=COUNTRY,  # the national list of labelled structures on that date
        crs="EPSG:4326",
        options={"kind": "france-services", "precision": "address"},
        minimum_rows=2_500,  # 2,845 structures in the shared list (SOURCES.md: 2,845)
    ),
    Source(
        name="conseillers-numeriques",
        dataset="places",
        title="Structures d'accueil des conseillers numériques France Services validées en "
        "comité (2021)",
        vintage="2021",
        licence=f"{LICENCE_OUVERTE} (ANCT, dépôt anct-carto/conseillers-numeriques)",
        url=GITHUB + "anct-carto/conseillers-numeriques/blob/"
        "146bea3cb15c13114e6c7451efcf3bf2f634d1bd/data/cnfs.json",
        path="places/conseillers_numeriques_structures_2021.json",
        sha256="9c4e704cfc7c3527ef78f2d5d56e83d45a1b2f50ec27d488e76919da03e8668d",
        # The SIRET is not a key: 16 values come back (a structure has one record per
        # committee decision; 5 records say "null"). The record number `id` (1..1450) is.
        fields={"external_id": "id", "name": "raison_sociale", "address": "adresse",
                "commune_code": "insee_com", "commune_name": "commune_insee",
                "lon": "longitude", "lat": "latitude", "geocoder_score": "result_score",
                "geocoder_label": "result_label", "geocoded_commune": "result_citycode",
                "address_missing": "adresse_absente", "siret": "siret",
                "attributes.nb_cnfs": "nb_cnfs", "attributes.type": "type",
                "attributes.zrr": "zrr",
                # "oui" or absent: a commune-level or self-declared flag (it agrees with
                # "the commune has a QPV" far more than chance), not a point-in-QPV fact
                "attributes.qpv": "qpv",
                "attributes.result_score": "result_score",
                "attributes.geocodage_manuel": "geocodage_manuel"},
        # whether the file holds every structure validated in 2021 is not established
        complete_for=NOWHERE,
        crs="EPSG:4326",
        options={"kind": "conseiller-numerique", "precision": "geocoder"},
        minimum_rows=1_300,  # 1,450 records in the shared file (SOURCES.md: 1,450)
    ),
)
