"""A measure of ``bench/http.py``: the service whose single check costs nothing.

The whole application (extensions, hooks, security headers, the API's parsing and JSON), but
``GET /api/v1/eligibility`` answers every point with one verdict computed at start, so that
the load measures what the service costs around its check: the gap between it and the bare
Flask endpoint is the framework's share, the gap between it and the service is the check's.
A measure only, never served: its answers are wrong for every other point.
"""

from __future__ import annotations

import app.api.views as views
from app import create_app
from app.db import get_engine

application = create_app()
with application.app_context():
    _VERDICT = views.check_point(get_engine(), "current", 5.40340, 43.33050)  # Marseille


def _precomputed(engine, policy_name, lon, lat, precision="point", commune_code=None):
    return _VERDICT


views.check_point = _precomputed
