"""A visitor of the cluster: a cookie session that fills in the site's forms as a browser would
(every field as the page renders it, CSRF token included), at any node or at nginx."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import requests


class _Forms(HTMLParser):
    """The forms of a page: action, method and the fields a browser would send."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self.by_id: dict[str, dict[str, Any]] = {}
        self.current: dict[str, Any] | None = None
        self.select: tuple[dict[str, Any], str, bool] | None = None  # form, name, multiple
        self.select_values: list[tuple[str, bool]] = []
        self.option: dict[str, Any] | None = None
        self.textarea: tuple[dict[str, Any], str] | None = None

    def _owner(self, attrs: dict[str, str]) -> dict[str, Any] | None:
        return self.by_id.get(attrs.get("form", "")) or self.current

    def handle_starttag(self, tag, attrs):
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            new: dict[str, Any] = {
                "action": a.get("action", ""), "method": a.get("method", "get").lower(),
                "fields": [], "id": a.get("id"),
            }  # fmt: skip
            self.forms.append(new)
            if a.get("id"):
                self.by_id[a["id"]] = new
            self.current = new
        elif tag == "input":
            form, name = self._owner(a), a.get("name")
            kind = a.get("type", "text").lower()
            if form is None or not name or kind in ("submit", "button", "file", "image"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            form["fields"].append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea":
            form = self._owner(a)
            if form is not None and a.get("name"):
                self.textarea = (form, a["name"])
                form["fields"].append((a["name"], ""))
        elif tag == "select":
            form = self._owner(a)
            if form is not None and a.get("name"):
                self.select = (form, a["name"], "multiple" in a)
                self.select_values = []
        elif tag == "option" and self.select is not None:
            self.option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}

    def handle_data(self, data):
        if self.textarea is not None:
            form, name = self.textarea
            index = max(i for i, (n, _v) in enumerate(form["fields"]) if n == name)
            form["fields"][index] = (name, form["fields"][index][1] + data)
        if self.option is not None:
            self.option["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "option" and self.option is not None:
            value = self.option["value"]
            if value is None:
                value = self.option["text"].strip()
            self.select_values.append((value, self.option["selected"]))
            self.option = None
        elif tag == "select" and self.select is not None:
            form, name, multiple = self.select
            chosen = [value for value, selected in self.select_values if selected]
            if not chosen and not multiple and self.select_values:
                chosen = [self.select_values[0][0]]
            form["fields"].extend((name, value) for value in chosen)
            form["options_" + name] = [value for value, _s in self.select_values]
            self.select = None


def page_forms(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


class Visitor:
    """One person (one cookie jar, one client address) talking to the cluster."""

    def __init__(self, base: str, forwarded_for: str | None = None):
        self.base = base
        self.session = requests.Session()
        if forwarded_for:
            self.session.headers["X-Forwarded-For"] = forwarded_for

    def url(self, path: str, base: str | None = None) -> str:
        return urljoin(base or self.base, path)

    def get(self, path: str, base: str | None = None, **kwargs) -> requests.Response:
        return self.session.get(self.url(path, base), timeout=30, **kwargs)

    def post(self, path: str, base: str | None = None, **kwargs) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        return self.session.post(self.url(path, base), timeout=30, **kwargs)

    def form(self, path: str, action: str, base: str | None = None) -> dict:
        """The form of the page at `path` that posts to `action` (its fields as rendered)."""
        response = self.get(path, base)
        response.raise_for_status()
        for form in page_forms(response.text):
            if form["method"] == "post" and (form["action"] or path).split("?")[0] == action:
                return form
        raise AssertionError(f"no form posting to {action} on {path}")

    def sign_in(self, email: str, password: str, base: str | None = None) -> None:
        form = self.form("/account/login", "/account/login", base)
        fields = dict(form["fields"]) | {"email": email, "password": password}
        response = self.post("/account/login", base, data=fields)
        assert response.status_code == 302, f"sign-in failed: {response.status_code}"
