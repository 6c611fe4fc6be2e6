"""What a batch file lacks, said plainly: the required columns it has not, each with its
role, a column of the file that may be it, and the file's columns as typed.

« colonne obligatoire absente : id — ou une colonne adresse (colonnes trouvées : identifiant,
lon, lat) » read as if either would do, and named ``longitude`` ``lon``: now « il manque la
colonne id (l'identifiant de chaque ligne) ; la colonne « identifiant » est-elle id ?
renommez-la id ; les colonnes du fichier : identifiant, longitude, latitude ».
"""

from __future__ import annotations

import difflib

__all__ = ["ROLES", "missing_message"]

ROLES = {"id": "l'identifiant de chaque ligne", "lon": "la longitude, en degrés décimaux",
         "lat": "la latitude, en degrés décimaux"}
"""Each required column and what it holds."""
LOOKALIKES = {
    "id": ("identifiant", "identifier", "ident", "ref", "reference", "numero", "num", "no",
           "n°", "code", "dossier", "numero_dossier"),
    "lon": ("lng", "long", "x"),
    "lat": ("y",),
    "adresse": ("adresses", "addresse", "adress", "adresse_postale", "rue", "voie"),
}
"""Names a file may give a required column (as ``reading.column_name`` writes them)."""
SHOWN = 12


def _listed(items: list[str]) -> str:
    """« a », « a et b », « a, b et c »."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} et {items[-1]}"


def _lookalike(column: str, names: list[str], columns: list[str]) -> str | None:
    """The file's column (as typed) that may be ``column`` under another name."""
    for name, normal in zip(names, columns, strict=True):
        if normal in LOOKALIKES.get(column, ()):
            return name
    close = difflib.get_close_matches(column, [c for c in columns if c], n=1, cutoff=0.75)
    return names[columns.index(close[0])] if close else None


def missing_message(names: list[str], columns: list[str], required: tuple[str, ...],
                    address_instead: bool = False) -> str | None:
    """Why a file with these columns (``names`` as typed, ``columns`` normalised) cannot
    be read, None when it has every ``required`` column. ``address_instead``: an address
    column would do in place of lon and lat."""
    missing = [c for c in required if c not in columns]
    if not missing:
        return None
    said = [f"{c} ({ROLES.get(c, 'obligatoire')})" for c in missing]
    message = (f"il manque la colonne {said[0]}" if len(said) == 1
               else f"il manque les colonnes {_listed(said)}")
    if address_instead and {"lon", "lat"} & set(missing):
        message += " ; pour des adresses, une colonne adresse remplace lon et lat"
    for column in missing + (["adresse"] if address_instead and len(missing) > 1 else []):
        name = _lookalike(column, names, columns)
        if name:
            message += f" ; la colonne « {name} » est-elle {column} ? renommez-la {column}"
    shown = [n[:40] for n in names if n.strip()]
    more = f" (et {len(shown) - SHOWN} autres)" if len(shown) > SHOWN else ""
    return (f"{message} ; les colonnes du fichier : {', '.join(shown[:SHOWN]) or 'aucune'}"
            f"{more}")
