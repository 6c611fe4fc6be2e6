"""The ministry's dashboard grouped by wave gives a wave's quota of laureates when the
instance's calendar (``vagues.toml``) sets one: the quota its jury counts against."""

from __future__ import annotations

import html
import re
from pathlib import Path

from sqlalchemy import update

from geodata.storage.models import Laureate
from tests.app.test_dashboard import DASHBOARD, engine_of
from tests.geodata.test_laureate_records import add_jury_laureates


def test_by_wave_the_table_gives_a_wave_s_quota_from_the_calendar(app, data_dir, login):
    """An instance's calendar giving a wave a quota (the jury counts against it): the page
    by wave said « il n'y en a pas par vague » and showed none."""
    add_jury_laureates(engine_of(app), data_dir)  # the jury's laureates are of wave 2025-1
    client = app.test_client()
    login(client, "ministry")
    before = html.unescape(client.get(f"{DASHBOARD}?by=wave").text)
    assert "Quota de la vague" not in before
    (Path(app.instance_path) / "vagues.toml").write_text(
        '[[vague]]\nnumero = "2025-1"\ntype = "toutes"\nquota = 12\n'
        'politique = "current"\n', encoding="utf-8")
    page = html.unescape(client.get(f"{DASHBOARD}?by=wave").text)
    assert '<th scope="col">Quota de la vague</th>' in page
    row = re.search(r'<tr data-group="2025-1">(.*?)</tr>', page, re.S).group(1)
    assert '<td class="quota-vague">12</td>' in row
    unknown = re.search(r'<tr data-group="">(.*?)</tr>', page, re.S).group(1)
    assert '<td class="quota-vague">—</td>' in unknown
    assert "Quota de la vague" not in html.unescape(client.get(f"{DASHBOARD}?by=region").text)


def test_waves_are_in_the_calendar_s_order_on_the_dashboard_and_the_map(app, data_dir, login):
    """With a wave 10, the dashboard by wave and the map's « Vague » filter listed 1, 10, 2
    (sorted as text) while the dossiers' and the jury's lists gave 1, 2, 10."""
    engine = engine_of(app)
    add_jury_laureates(engine, data_dir)
    with engine.begin() as connection:
        for dossier, wave in ((1001, "10"), (1002, "2"), (1003, "1")):
            connection.execute(update(Laureate).where(Laureate.dossier_number == dossier)
                               .values(wave=wave))
    client = app.test_client()
    login(client, "ministry")
    page = client.get(f"{DASHBOARD}?by=wave").text
    assert re.findall(r'<tr data-group="([^"]*)">', page) == ["1", "2", "10", ""]
    carte = client.get("/carte").text
    select_ = re.search(r'<select[^>]*name="vague".*?</select>', carte, re.S).group(0)
    numbered = [v for v in re.findall(r'<option value="([^"]+)"', select_) if v.isdigit()]
    assert numbered[-2:] == ["2", "10"]  # (the possible match, wave 1, is not on the map)
