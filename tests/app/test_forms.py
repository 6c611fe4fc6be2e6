"""The forms' shared base (``app.forms``): French messages, the query-string flavour, the
policy field, the first error in the order a page reports them."""

from __future__ import annotations

import pytest
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired

from app import create_app
from app.forms import QueryForm, first_error, policy_field
from app.instruction.forms import DossierForm
from app.verifier.forms import LocationForm


class Example(QueryForm):
    count = IntegerField(validators=[InputRequired()])
    name = StringField()
    policy = policy_field()


@pytest.fixture
def app(tmp_path):
    return create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"),
                       "SECRET_KEY": "une clé de test de plus de 32 caractères"})


def test_messages_of_wtforms_itself_are_in_french(app):
    with app.test_request_context("/?count=douze"):
        form = Example()
        assert not form.validate()
    assert form.errors["count"] == ["N'est pas un entier valide."]
    with app.test_request_context("/"):
        form = Example()
        assert not form.validate()
    assert form.errors["count"] == ["Ce champ est requis."]


def test_policy_field_defaults_to_the_default_policy_and_names_the_ones_shipped(app):
    with app.test_request_context("/?count=1&policy=+"):
        form = Example()
        assert form.validate() and form.policy.data == "current"
    with app.test_request_context("/?count=1&policy=ami-2020"):
        form = Example()
        assert not form.validate()
    assert form.errors["policy"] == [
        "politique inconnue : « ami-2020 » (disponibles : ami-2019, current)"]


def test_first_error_follows_the_order_asked_then_the_declaration(app):
    with app.test_request_context("/?policy=inconnue"):
        form = Example()
        form.validate()
    assert first_error(form)[0] == "count"
    assert first_error(form, ["policy"])[0] == "policy"


@pytest.mark.parametrize(("query", "expected"), [
    ("lon=5,4034&lat=43.3305", {"lon": 5.4034, "lat": 43.3305}),
    ("address=+20+avenue+de+S%C3%A9gur+&lon=abc", {"address": "20 avenue de Ségur"}),
])
def test_a_location_is_an_address_or_two_coordinates(app, query, expected):
    with app.test_request_context(f"/verifier?{query}"):
        form = LocationForm()
        assert form.location_given() and form.validate()
        assert form.location() == expected


def test_a_coordinate_that_is_not_a_number_is_refused_in_french(app):
    with app.test_request_context("/verifier?lon=5.4&lat=nord"):
        form = LocationForm()
        assert not form.validate()
    assert first_error(form) == (
        "lat", "La latitude doit être un nombre de degrés décimaux, par exemple 43,3305 "
        "(reçu « nord »)")


def test_a_dossier_reports_its_own_fields_before_the_location(app):
    app.config["WTF_CSRF_ENABLED"] = False
    with app.test_request_context("/", method="POST", data={
            "lon": "x", "fnt": "OUI", "funding_eur": "75 000 €"}):
        form = DossierForm()
        assert not form.validate()
        assert form.dossier()["fnt"] is True and form.dossier()["funding_eur"] == 75000
        assert first_error(form, form.ERROR_ORDER)[0] == "lon"
    with app.test_request_context("/", method="POST", data={"lon": "x", "fnt": "peut-être"}):
        form = DossierForm()
        form.validate()
        assert first_error(form, form.ERROR_ORDER) == ("fnt", "FNT : oui, non ou inconnu")
