"""The layers of the plain shapely baselines (``bench/shapely_baseline.py`` for a file,
``bench/bare/plain_shapely.py`` over HTTP): metropolitan France only, projected to Lambert-93
(EPSG:2154) and put in an STRtree, as a plain classifier would, without the engine's
territories, grids or completeness."""

from __future__ import annotations

import numpy as np
import shapely

from geodata.eligibility.layers import projector

METROPOLE = "metropole"
TO_LAMBERT93 = projector(2154)


def metropolitan_tree(codes: np.ndarray, territories: np.ndarray,
                      geometries: np.ndarray) -> tuple[shapely.STRtree, np.ndarray]:
    """An STRtree of the metropolitan geometries in Lambert-93, and their codes in its order."""
    rows = np.flatnonzero(territories == METROPOLE)
    projected = shapely.transform(geometries[rows], lambda xy: np.column_stack(
        TO_LAMBERT93.transform(xy[:, 0], xy[:, 1])))
    return shapely.STRtree(projected), codes[rows]
