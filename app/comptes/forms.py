"""The accounts' forms."""

from __future__ import annotations

from wtforms import PasswordField, StringField

from app.forms import Form, strip

__all__ = ["LoginForm"]


class LoginForm(Form):
    """``POST /connexion``: an email and a password; a wrong one of either gets the same
    answer, so nothing is validated here but the CSRF token."""

    email = StringField(default="", filters=[strip])
    password = PasswordField(default="")
