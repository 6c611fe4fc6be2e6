"""Sources of QPV outlines (2015 and 2024 lists) and of the communes of each QPV.

The completeness an outline source claims is proven at load time (``loaders.qpv_proof``)
against the official list of the communes of each QPV, which is therefore listed (and loaded
by ``fabriques load demo``) before the outlines, and, for the 2015 list, which has no such
list here, against the official counts of ``QPV_COUNTS``.
"""

from loaders.registry.source import (
    COUNTRY,
    GITHUB,
    LICENCE_OUVERTE,
    Completeness,
    OfficialCount,
    Source,
)

__all__ = ["QPV_COUNTS", "QPV_SOURCES"]

DROM = ("971", "972", "973", "974", "976")
"""The five overseas départements, as the QPV 2024 codes write them (``QN974…``)."""

QPV_COUNTS: dict[tuple[str, str, str], tuple[int, str]] = {
    # (vintage, scope, code): (official number of QPV there, where it is published).
    # The shared data hold no list of the 2015 QPV per commune: the INSEE count is the
    # strongest fact independent of the outline file (the Hackaviz statistics table names
    # the same 105 codes, but comes from the same repository as the outlines).
    ("2015", "regions", "76"): (105, "Insee Dossier Occitanie n° 7, juillet 2018"),
}
"""Official counts of QPV per territory, for vintages without an official list loaded."""

QPV_SOURCES = (
    # --- the official list of the communes of each QPV: the fact outlines are proven by
    Source(
        name="qpv2024-communes",
        dataset="qpv-communes",
        title="QPV 2024 : communes de chaque quartier (ANCT)",
        vintage="2024",
        licence=f"{LICENCE_OUVERTE} (liste ANCT des QPV, data.gouv.fr)",
        url=GITHUB + "anct-carto/superposeur-V2/blob/"
        "3f2b0c0b87604a13831a9f214988878b6a4cb67e/data/admin/centroide-4326_qpv.geojson",
        path="qpv/qpv2024_commune_membership_anct.csv",
        sha256="1e226cc87c8be5ba946aa08085d97db4644a346b990f76bfba3fb15ec75498d4",
        fields={"qpv_code": "code_qp", "qpv_name": "lib_qp", "commune_code": "insee_com",
                "commune_name": "lib_com"},
        complete_for=COUNTRY,
        # One row per QPV and commune: 1,684 in the list read and checked (SOURCES.md: each
        # row's commune matches its QPV's in the ANCT file), for 1,493 QPV (1,362
        # metropolitan, the count of the decree of December 2023, and 131 overseas). No
        # authority counts the pairs: the codes' counts below let through a list cut to one
        # row per QPV (1,493 rows: 73 communes lost every QPV they host, and the engine said
        # « no QPV near » in Gonesse) or keeping one row of La Réunion's 59. A later edition
        # may add pairs; one with fewer than the list checked is cut.
        minimum_rows=1_684,
        # The engine says « no QPV here » where no commune of this list is near: a list cut
        # by a département (its 1,629 rows still passed the count of rows) made it say so
        # in Vaulx-en-Velin. The metropolitan codes are the decree's exact count; overseas,
        # whose list changed on 1 January 2025 and has no count here, each DROM has QPV.
        official_counts=(
            OfficialCount("codes de QPV en métropole", 1_362,
                          "le décret n° 2023-1314 du 28 décembre 2023 (repris par le décret "
                          "n° 2024-806 du 13 juillet 2024)", "qpv_communes",
                          distinct="qpv_code", keep=lambda row: row["qpv_code"][2:4] != "97"),
            OfficialCount("départements d'outre-mer ayant des QPV", 5,
                          "la géographie prioritaire d'outre-mer (décrets n° 2024-1211 et "
                          "2024-1212 : des QPV dans chacun des cinq)", "qpv_communes",
                          distinct=lambda row: row["qpv_code"][2:5],
                          keep=lambda row: row["qpv_code"][2:5] in DROM),
        ),
    ),
    # --- QPV outlines -------------------------------------------------------------
    Source(
        name="qpv2015-occitanie",
        dataset="qpv",
        title="QPV 2015, région Occitanie (Hackaviz 2021)",
        vintage="2015",
        licence=f"{LICENCE_OUVERTE} (contours ANCT, data.gouv.fr)",
        url=GITHUB + "ToulouseDataViz/Hackaviz2021/blob/"
        "a054acb49307aba725aee67405c5b4f3860bb16d/data/qp.geojson",
        path="qpv/qpv2015_occitanie_hackaviz2021.geojson",
        sha256="1e5f7099bf51310f0b4559afced973093d322fd86151b91343c48fe7ae5fecda",
        fields={"code": "code_qp", "name": "nom_qp", "commune_codes": "code_commune",
                "commune_names": "nom_commune", "departement": "code_departement"},
        complete_for=Completeness("regions", ("76",)),
    ),
    Source(
        name="qpv2015-ile-de-france-extrait",
        dataset="qpv",
        title="QPV 2015, trois quartiers d'Île-de-France (fixture les-emplois)",
        vintage="2015",
        licence=f"{LICENCE_OUVERTE} (contours ANCT/sig.ville)",
        url=GITHUB + "gip-inclusion/les-emplois/blob/"
        "543eae8d2d547947d3e3ead6dbb2e9668c16db44/tests/geo/factories.py",
        path="qpv/qpv2015_three_polygons_les_emplois_fixture.geojson",
        sha256="12de4c0d9c3cf89dd6d7c9493a23b04811b2755a3255a8ad5ccd2ad4445b6b73",
        fields={"code": "code_qp", "name": "nom_qp", "commune_names": "communes_info"},
    ),
    Source(
        name="qpv2015-ille-et-vilaine",
        dataset="qpv",
        title="QPV 2015, Rennes et Saint-Malo (resovilles)",
        vintage="2015",
        licence=f"{LICENCE_OUVERTE} (contours ANCT/sig.ville)",
        url=GITHUB + "esigat/resovilles/blob/"
        "d2a658bd8894cc20f9154371bdc3d22bb3872d0e/QPV.geojson",
        path="qpv/qpv2015_ille_et_vilaine_resovilles.geojson",
        sha256="ef2430016ddd6f93122b9559708b68b2976647beb4f723251c3b54115bb1dadd",
        fields={"code": "CODE_QP", "name": "NOM_QP", "commune_names": "COMMUNE_QP"},
    ),
    Source(
        name="qpv2024-paca",
        dataset="qpv",
        title="QPV 2024, région Provence-Alpes-Côte d'Azur (Carto-Santé PACA)",
        vintage="2024",
        licence=f"{LICENCE_OUVERTE} (export ANCT QP2024_France_Hexagonale_Outre_Mer)",
        url=GITHUB + "SKHTay/Carto-Sante-PACA-T-l-med/blob/"
        "3e5804189808e6305b6c9b2a25fadc9e22bcc909/qpv-paca.geojson",
        path="qpv/qpv2024_paca_carto_sante.geojson",
        sha256="1a1fd043bf2a043c2f12c671dd7c8368dc32fb011deb345b8439ddc9770a0bd9",
        fields={"code": "q", "name": "n", "commune_codes": "com", "departement": "d"},
        complete_for=Completeness("regions", ("93",)),
    ),
)
