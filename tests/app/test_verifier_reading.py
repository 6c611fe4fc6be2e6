"""The verdict as a project holder reads it on /verifier: the nearest QPV by its name: on
the real layers."""

from __future__ import annotations

import html
import re

import pytest

from tests.app.test_api import api_app, client  # noqa: F401 - real layers + local BAN
from tests.ban_server import ban_server_fixture  # noqa: F401

pytestmark = pytest.mark.shared_data

NEAR = "/verifier?lon=5.4034&lat=43.3305&policy=current"  # 81.8 m from QN01352M
FAR = "/verifier?lon=5.37&lat=43.29&policy=current"  # Marseille, 500.8 m from QN01330M


def verdict_box(page: str) -> str:
    """The verdict's alert, as markup."""
    return re.search(r'<div id="verdict" class="fr-alert.*?</div>', page, re.S).group(0)


def said(markup: str) -> str:
    """Markup as read: tags out, spaces folded, no-break spaces as spaces."""
    text = html.unescape(" ".join(re.sub(r"<[^>]+>", " ", markup).split()))
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def test_the_nearest_qpv_is_named(client):  # noqa: F811
    """The summary named the nearest QPV by its code only (« QN01330M »), its name being in
    the explanation further down; the API's keys are unchanged."""
    far = said(verdict_box(client.get(FAR).text))
    assert "(le plus proche, QN01330M « Centre Ville 1er et 2e Arrondissements », est à " \
        "500,8 m)" in far
    near = said(verdict_box(client.get(NEAR).text))
    assert "Le lieu est à 81,8 m du QPV QN01352M « Grand Saint Barthélémy », à 300 m ou " \
        "moins" in near
    answer = client.get("/api/v1/eligibility?lon=5.37&lat=43.29").json
    assert "nearest_qpv_name" not in answer and answer["nearest_qpv_code"] == "QN01330M"
