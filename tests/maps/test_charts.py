"""The quota charts (maps.charts) on synthetic quota tables.

The records are synthetic (built here, every count known in advance): the chart builder is
pure, and what matters is that each chart says exactly what its table says. Targets come
from the shipped ``current`` policy. Each SVG is parsed as XML and read back: one bar per
category (and per series), one dashed target line per target, the numbers in text, the
title and description tied to ``role="img"``, colours with enough contrast.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from geodata.policy import (
    CATEGORY_NOT_ELIGIBLE,
    CATEGORY_OUTSIDE,
    CATEGORY_QPV,
    CATEGORY_UNDETERMINED,
    load_policy,
)
from geodata.quotas import FNT, LINE_KINDS, TOTAL, FabriqueRecord, quota_table, what_if
from maps.charts import (
    AFTER,
    BEFORE,
    CHART_LABELS,
    COLOURS,
    LABEL_WIDTH,
    PLOT_WIDTH,
    SVG_NS,
    ChartError,
    Row,
    bar_chart,
    comparison_chart,
    quota_chart,
)

NS = {"svg": SVG_NS}
POLICY = load_policy("current")


def records(qpv=3, fnt=1, outside=160, not_eligible=2, undetermined=5, prefix="f", **extra):
    """Synthetic Fabriques: ``qpv`` in QPV (the first ``fnt`` of them FNT), and so on."""
    made = []
    for category, count in ((CATEGORY_QPV, qpv), (CATEGORY_OUTSIDE, outside),
                            (CATEGORY_NOT_ELIGIBLE, not_eligible),
                            (CATEGORY_UNDETERMINED, undetermined)):
        for number in range(count):
            is_fnt = category == CATEGORY_QPV and number < fnt
            made.append(FabriqueRecord(id=f"{prefix}-{category}-{number}", category=category,
                                       fnt=is_fnt, **extra))
    return made


def parse(chart) -> ET.Element:
    return ET.fromstring(chart.to_svg())


def bars(svg: ET.Element) -> list[ET.Element]:
    return svg.findall(".//svg:rect[@class='bar']", NS)


def targets(svg: ET.Element) -> list[ET.Element]:
    return svg.findall(".//svg:line[@class='target']", NS)


def row_of(svg: ET.Element, kind: str) -> ET.Element:
    (row,) = svg.findall(f".//svg:g[@class='row'][@data-category='{kind}']", NS)
    return row


def test_overall_chart_has_a_bar_per_category_and_a_line_per_target():
    table = quota_table(records(), POLICY)
    chart = quota_chart(table, chart_id="essai")
    svg = parse(chart)

    assert svg.tag == f"{{{SVG_NS}}}svg" and svg.get("role") == "img"
    title, desc = svg.find("svg:title", NS), svg.find("svg:desc", NS)
    assert svg.get("aria-labelledby") == title.get("id") == "essai-titre"
    assert svg.get("aria-describedby") == desc.get("id") == "essai-desc"
    assert title.text == chart.title == f"Fabriques par catégorie face aux cibles, {POLICY.title}"
    assert "current" not in title.text  # a screen reader read the policy's code

    assert [bar.get("data-value") for bar in bars(svg)] == [
        str(table.line(kind).min) for kind in LINE_KINDS]
    assert [bar.get("data-max") for bar in bars(svg)] == [
        str(table.line(kind).max) for kind in LINE_KINDS]
    assert [row.get("data-category") for row in svg.findall(".//svg:g[@class='row']", NS)] \
        == list(LINE_KINDS)
    with_target = [kind for kind in LINE_KINDS if table.line(kind).target is not None]
    assert sorted(with_target) == sorted([CATEGORY_QPV, FNT, CATEGORY_OUTSIDE, TOTAL])
    assert {line.get("data-target") for line in targets(svg)} == {
        str(table.line(kind).target) for kind in with_target}
    for kind in LINE_KINDS:
        line = table.line(kind)
        row = row_of(svg, kind)
        label = row.find("svg:text[@class='row-label']", NS).text
        value = row.find("svg:text[@class='value']", NS).text
        assert label == CHART_LABELS[kind]
        assert value.startswith(str(line.min))
        assert (f"cible {line.target}" in value) == (line.target is not None)
        assert len(row.findall("svg:line[@class='target']", NS)) == (line.target is not None)
        shown = str(line.min) if line.exact else f"de {line.min} à {line.max}"
        assert f"{CHART_LABELS[kind]} : {shown}" in desc.text
    assert all(line.get("stroke-dasharray") for line in targets(svg))


def test_an_overshoot_is_spelled_out_in_the_label_and_the_description():
    table = quota_table(records(outside=160, undetermined=0), POLICY)  # target 150
    svg = parse(quota_chart(table))
    value = row_of(svg, CATEGORY_OUTSIDE).find("svg:text[@class='value']", NS).text
    assert value == "160 / cible 150 (dépassée de 10)"
    assert "hors grands centres urbains : 160 pour une cible de 150 (dépassée de 10)" in \
        svg.find("svg:desc", NS).text
    qpv_value = row_of(svg, CATEGORY_QPV).find("svg:text[@class='value']", NS).text
    assert qpv_value == "3 / cible 150" and "(reste 147)" in svg.find("svg:desc", NS).text


def test_bars_and_targets_share_one_scale():
    table = quota_table(records(qpv=40, outside=150, undetermined=0), POLICY)
    svg = parse(quota_chart(table))
    for kind in (CATEGORY_QPV, CATEGORY_OUTSIDE, TOTAL):
        row = row_of(svg, kind)
        bar = row.find("svg:rect[@class='bar']", NS)
        end = float(bar.get("x")) + float(bar.get("width"))
        target_x = float(row.find("svg:line[@class='target']", NS).get("x1"))
        line = table.line(kind)
        assert (end < target_x) == (line.min < line.target)
        assert end == pytest.approx(LABEL_WIDTH + (target_x - LABEL_WIDTH) * line.min
                                    / line.target, abs=0.1)
    assert row_of(svg, CATEGORY_OUTSIDE).find("svg:text[@class='value']", NS).text \
        == "150 / cible 150"  # exactly on target: neither remaining nor overshoot


def test_group_charts_have_no_target_and_say_why():
    table = quota_table(records(region="93") + records(qpv=1, prefix="g", region="76"),
                        POLICY, by="region")
    chart = quota_chart(table, "76", chart_id="region-76")
    svg = parse(chart)
    assert targets(svg) == []
    assert [bar.get("data-value") for bar in bars(svg)] == [
        str(table.line(kind, "76").min) for kind in LINE_KINDS]
    assert "région 76" in chart.title
    assert "pas de cible par groupe" in svg.find("svg:desc", NS).text
    with pytest.raises(ChartError, match="aucune ligne"):
        quota_chart(table, "11")


def test_group_charts_can_share_a_scale():
    table = quota_table(records(region="93") + records(qpv=1, outside=2, prefix="g",
                                                       region="76"), POLICY, by="region")
    small = parse(quota_chart(table, "76"))
    shared = parse(quota_chart(table, "76", scale_max=table.line(TOTAL, "93").max))
    width = {name: float(row_of(svg, TOTAL).find("svg:rect[@class='bar']", NS).get("width"))
             for name, svg in (("small", small), ("shared", shared))}
    assert width["shared"] < width["small"]
    big = parse(quota_chart(table, "93"))
    assert float(row_of(big, TOTAL).find("svg:rect[@class='bar']", NS).get("width")) \
        == pytest.approx(width["shared"] * table.line(TOTAL, "93").max
                         / table.line(TOTAL, "76").max, abs=0.2)


def test_comparison_chart_shows_before_and_after_for_every_category():
    current = records(undetermined=0)
    candidates = records(qpv=2, fnt=2, outside=0, not_eligible=1, undetermined=0, prefix="c")
    before = quota_table(current, POLICY)
    after = what_if(current, candidates, POLICY)
    chart = comparison_chart(before, after, chart_id="simulation")
    svg = parse(chart)
    assert chart.series == (BEFORE, AFTER)
    for kind in LINE_KINDS:
        row = row_of(svg, kind)
        values = {bar.get("data-series"): int(bar.get("data-value"))
                  for bar in row.findall("svg:rect[@class='bar']", NS)}
        assert values == {BEFORE: before.line(kind).min, AFTER: after.line(kind).min}
        texts = [t.text for t in row.findall("svg:text[@class='value']", NS)]
        assert texts[0] == f"avant : {before.line(kind).min}"
        assert texts[1].startswith(f"après : {after.line(kind).min}")
    assert after.line(CATEGORY_QPV).min - before.line(CATEGORY_QPV).min == 2
    hatched = [bar for bar in bars(svg) if bar.get("data-series") == BEFORE]
    assert {bar.get("fill") for bar in hatched} == {"url(#simulation-hachures)"}
    assert svg.find(".//svg:pattern[@id='simulation-hachures']", NS) is not None
    legend = [t.text for t in svg.findall(".//svg:g[@class='legend']/svg:text", NS)]
    assert legend == [BEFORE, AFTER, "cible du programme"]
    assert f"{len(candidates)} candidatures" in chart.title
    assert chart.title.endswith(f", {POLICY.title}") and "« current »" not in chart.title
    desc = svg.find("svg:desc", NS).text
    assert "QPV ou proximité : avant 3, après 5 pour une cible de 150 (reste 145)" in desc


def test_a_range_is_drawn_solid_then_dotted_never_as_a_bare_zero():
    table = quota_table(records(qpv=0, fnt=0, outside=10, undetermined=227), POLICY)
    svg = parse(quota_chart(table, chart_id="fourchette"))
    row = row_of(svg, CATEGORY_QPV)
    solid = row.find("svg:rect[@class='bar']", NS)
    (possible,) = row.findall("svg:rect[@class='bar-possible']", NS)
    assert (solid.get("data-value"), float(solid.get("width"))) == ("0", 0)
    assert (possible.get("data-min"), possible.get("data-max")) == ("0", "227")
    assert float(possible.get("width")) > 0 and possible.get("fill") == "url(#fourchette-possible)"
    assert row.find("svg:text[@class='value']", NS).text == "0 à 227 / cible 150"
    desc = svg.find("svg:desc", NS).text
    assert "QPV ou proximité : de 0 à 227 pour une cible de 150 (reste 0 à 150)" in desc
    assert "à vérifier : 227 ;" in desc  # an exact line stays one number
    assert row_of(svg, TOTAL).findall("svg:rect[@class='bar-possible']", NS) == []
    legend = [t.text for t in svg.findall(".//svg:g[@class='legend']/svg:text", NS)]
    assert legend == ["décidées", "possibles (à vérifier)", "cible du programme"]
    undetermined = row_of(svg, CATEGORY_UNDETERMINED).find("svg:rect[@class='bar']", NS)
    assert undetermined.get("fill") == "url(#fourchette-possible)"  # dotted, as its legend
    outside = row_of(svg, CATEGORY_OUTSIDE).find("svg:rect[@class='bar-possible']", NS)
    assert float(outside.get("x")) > LABEL_WIDTH  # it starts where the decided part ends
    with pytest.raises(ChartError, match="maximum"):
        bar_chart([Row("a", "a", (3,), maxima=(2,))], "titre")


def test_comparison_needs_the_same_policy_and_grouping():
    current = records()
    with pytest.raises(ChartError, match="même politique"):
        comparison_chart(quota_table(current, POLICY),
                         quota_table(current, load_policy("ami-2019")))
    with pytest.raises(ChartError, match="même politique"):
        comparison_chart(quota_table(current, POLICY), quota_table(current, POLICY, "wave"))


def luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_colours_have_enough_contrast_and_text_uses_them():
    white = COLOURS["background"]
    for shape in ("bar", "bar_before", "target"):
        assert contrast(COLOURS[shape], white) >= 3, shape  # WCAG 1.4.11, graphics
    for text in ("text", "muted"):
        assert contrast(COLOURS[text], white) >= 4.5, text  # WCAG 1.4.3, small text
    svg = parse(comparison_chart(quota_table(records(), POLICY),
                                 what_if(records(), [], POLICY)))
    fills = {text.get("fill") for text in svg.iter(f"{{{SVG_NS}}}text")}
    assert fills <= {COLOURS["text"], COLOURS["muted"]}


def test_titles_are_escaped_and_ids_unique():
    rows = [Row("a", "A & <b>", (3,), 5)]
    chart = bar_chart(rows, "Titre <script>alert(1)</script> & co")
    svg = parse(chart)  # still well-formed XML
    assert svg.find("svg:title", NS).text == "Titre <script>alert(1)</script> & co"
    assert "<script>" not in chart.to_svg()
    other = bar_chart(rows, "Titre <script>alert(1)</script> & co bis")
    assert chart.chart_id != other.chart_id and chart.chart_id.startswith("graphique-")
    assert str(escape(chart)) == chart.to_svg()  # Jinja inserts it as markup


@pytest.mark.parametrize(("rows", "series", "message"), [
    ([], ("",), "aucune ligne"),
    ([Row("a", "A", (-1,))], ("",), "valeur négative"),
    ([Row("a", "A", (1,), -3)], ("",), "valeur négative"),
    ([Row("a", "A", (1, 2))], ("",), "2 valeur"),
    ([Row("a", "A", ())], (), "au moins une série"),
])
def test_rows_that_cannot_be_drawn_are_refused(rows, series, message):
    with pytest.raises(ChartError, match=message):
        bar_chart(rows, "Titre", series=series)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5000), st.one_of(st.none(), st.integers(0, 5000))),
                min_size=1, max_size=8))
def test_every_bar_fits_the_plot_and_is_proportional(values):
    rows = [Row(f"r{n}", f"ligne {n}", (value,), target)
            for n, (value, target) in enumerate(values)]
    svg = parse(bar_chart(rows, "Propriété"))
    widths = [float(bar.get("width")) for bar in bars(svg)]
    assert len(widths) == len(rows)
    assert all(0 <= width <= PLOT_WIDTH + 0.05 for width in widths)
    largest = max(value for value, _ in values)
    for width, (value, _) in zip(widths, values, strict=True):
        if largest:
            assert width / max(widths) == pytest.approx(value / largest, abs=0.01)
    assert len(targets(svg)) == sum(target is not None for _, target in values)


def test_the_builder_does_not_import_flask():
    code = "import sys, maps.charts; print('flask' in sys.modules, 'sqlalchemy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False False"
