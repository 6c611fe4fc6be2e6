"""Where a login leads when it starts from the public home page (the header's « Se
connecter » asks to come back to ``/``): the role's own page, never the home page."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from app.access import create_user
from tests.app.conftest import PASSWORD
from tests.app.test_auth import engine_of, post_login


@pytest.mark.parametrize(("role", "landing"), [
    ("prefecture", "/instruction/dossiers"), ("ministry", "/tableau-de-bord")])
def test_a_login_from_the_home_page_leads_to_the_role_s_work(app, client, role, landing):
    """The header's « Se connecter » on the home page asks ``next=/``: a prefecture landed
    back on the public home page, its dossiers four cards down."""
    create_user(engine_of(app), "agent@exemple.gouv.fr", PASSWORD, role,
                **({"departements": ["13"]} if role == "prefecture" else {}))
    link = re.search(r'href="(/connexion[^"]*)">Se connecter', client.get("/").text).group(1)
    target = parse_qs(urlsplit(html.unescape(link)).query).get("next", [None])[0]
    answer = post_login(client, "agent@exemple.gouv.fr", PASSWORD, next=target)
    assert answer.status_code == 302 and answer.headers["Location"] == landing
