"""What a browser sends when a GET form's submit button is pressed, read from a page's HTML
(no JavaScript): the button's ``formaction`` (else the form's ``action``) and every named
field of the form with its value on screen, some of them changed as a person would."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlencode

__all__ = ["sent"]


class _Form(HTMLParser):
    """The fields and submit buttons of the form ``form_id``, in document order; a control
    outside it joins it by its ``form`` attribute, as in a browser."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.action = form_id, False, None
        self.fields: list[list] = []  # [name, value]
        self.buttons: list[dict] = []
        self.select: list | None = None
        self.button: dict | None = None

    def _ours(self, attrs: dict) -> bool:
        return attrs.get("form", self.form_id if self.inside else None) == self.form_id

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside, self.action = True, attrs.get("action")
        elif tag == "select" and self._ours(attrs) and attrs.get("name"):
            self.select = [attrs["name"], None]
            self.fields.append(self.select)
        elif tag == "option" and self.select is not None:
            if self.select[1] is None or "selected" in attrs:
                self.select[1] = attrs.get("value", "")
        elif tag == "input" and self._ours(attrs) and attrs.get("name"):
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self.fields.append([attrs["name"], attrs.get("value") or ""])
        elif tag == "button" and self._ours(attrs) and attrs.get("type", "submit") == "submit":
            self.button = {"action": attrs.get("formaction"), "text": ""}
            self.buttons.append(self.button)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "button":
            self.button = None

    def handle_data(self, data):
        if self.button is not None:
            self.button["text"] += data


def sent(page: str, form_id: str, button: str, **changed: str) -> str:
    """The URL a browser asks for when the submit button named ``button`` (its text, spaces
    collapsed) of the form ``form_id`` is pressed, the fields ``changed`` set first."""
    form = _Form(form_id)
    form.feed(page)
    found = [b for b in form.buttons if " ".join(b["text"].split()) == button]
    assert found, f"no submit button « {button} » in the form {form_id}: " \
        f"{[' '.join(b['text'].split()) for b in form.buttons]}"
    names = {name for name, _ in form.fields}
    assert set(changed) <= names, f"fields not in the form: {set(changed) - names}"
    fields = [(name, changed.get(name, value)) for name, value in form.fields]
    return f"{found[0]['action'] or form.action}?{urlencode(fields)}"
