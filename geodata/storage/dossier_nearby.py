"""A dossier's « lieux les plus proches » as its page says them: the sentence stored at the
import, unless the dossier is a published Fabrique (``published_match_of``) or a laureate
of its own, whose place the nearest Fabrique may then be; that Fabrique is then named as the
dossier's own and the nearest other one measured with today's Fabriques
(``geodata.dossiers.nearby``)."""

from __future__ import annotations

from sqlalchemy import Engine, select

from geodata.dossiers.nearby import nearby_sentence
from geodata.nearest import NearestError, nearest_fabriques
from geodata.storage.dossier_models import Dossier
from geodata.storage.jury_laureates import published_match_of
from geodata.storage.laureates import fabriques_once
from geodata.storage.models import Laureate

__all__ = ["nearby_said"]


def nearby_said(engine: Engine, dossier: Dossier) -> str | None:
    """The sentence of the dossier's nearest places (None: none stored), its own published
    Fabrique never given as another place."""
    facts = (dossier.checks or {}).get("non_pourvu")
    if not facts or "fabrique" not in facts or dossier.lon is None:
        return facts.get("reason") if facts else None
    own_id = published_match_of(engine, dossier)
    own_ids = {f"ds-{dossier.number}", own_id} - {None}
    stored = facts.get("fabrique")
    if own_id is None and (stored is None or stored["id"] not in own_ids):
        return facts["reason"]
    rows = [{"id": row["id"], "name": row["name"], "lon": row["geom"].x, "lat": row["geom"].y,
             "commune_code": row["commune_code"], "commune_name": row["commune_name"]}
            for row in fabriques_once(engine) if row["geom"] is not None]
    with engine.connect() as connection:  # its place as published, not the dossier's
        published = connection.execute(select(
            Laureate.name, Laureate.commune_name, Laureate.geom).where(
            Laureate.id == own_id)).first() if own_id else None
    try:
        others = nearest_fabriques([r for r in rows if r["id"] not in own_ids],
                                   dossier.lon, dossier.lat, n=1)
        placed = nearest_fabriques([{"id": own_id, "name": published.name,
                                     "lon": published.geom.x, "lat": published.geom.y}],
                                   dossier.lon, dossier.lat, n=1) \
            if published is not None and published.geom is not None else []
    except NearestError:
        return facts["reason"]
    own = None if published is None else {
        "id": own_id, "name": " ".join(published.name.split()),
        "commune": published.commune_name,
        "distance_m": placed[0].distance_m if placed else None}
    nearest = {"name": others[0].full_name, "distance_m": others[0].distance_m} \
        if others else None
    return nearby_sentence({**facts, "fabrique": nearest}, own)
