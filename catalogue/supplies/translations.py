"""Content in several languages: the prose of products, manufacturer profiles and articles in
the other interface languages, entered by makers (their own) or staff (any), and read back on
the public pages with a fallback to English that says so.

Only prose has translations (`PROSE_FIELDS`): names, approvals, figures, codes and sources are
facts and stay as entered. The portal and staff pages are here too, like photo_pages.py: each
side looks the object up its own way (a maker only through queries scoped to their company)
and passes its name ("portal", "staff") and the addresses of its pages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, flash, has_request_context, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

from catalogue.audit.services import record_change
from catalogue.content.models import Article
from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.i18n import DEFAULT_LANGUAGE, LANGUAGES, current_language, text_direction
from catalogue.supplies.models import ContentTranslation, Manufacturer, Product

# Kind -> field -> (label, longest text accepted). The longest match the original columns.
PROSE_FIELDS: dict[str, dict[str, tuple[str, int]]] = {
    "product": {
        "summary": (_l("Summary"), 400),
        "description": (_l("Description"), 20_000),
        "intended_use": (_l("Intended use"), 20_000),
    },
    "manufacturer": {"description": (_l("Company profile"), 20_000)},
    "article": {
        "title": (_l("Title"), 200),
        "summary": (_l("Summary"), 5_000),
        "body": (_l("Text (Markdown)"), 100_000),
    },
}
KINDS: dict[type, str] = {Product: "product", Manufacturer: "manufacturer", Article: "article"}
TRANSLATION_LANGUAGES = [code for code in LANGUAGES if code != DEFAULT_LANGUAGE]


def kind_of(obj) -> str:
    return KINDS[type(obj)]


def title_of(obj) -> str:
    return obj.title if isinstance(obj, Article) else obj.name


# --- Reading ------------------------------------------------------------------------------------


def translations_of(obj) -> dict[tuple[str, str], ContentTranslation]:
    """(language, field) -> translation, for one object."""
    stmt = sa.select(ContentTranslation).where(
        ContentTranslation.kind == kind_of(obj), ContentTranslation.object_id == obj.id
    )
    return {(t.language, t.field): t for t in db.session.scalars(stmt)}


def translated_texts(kind: str, ids: list[int] | None) -> dict[int, list[str]]:
    """Object id -> its translated texts in every language (what search indexes)."""
    stmt = sa.select(ContentTranslation.object_id, ContentTranslation.text).where(
        ContentTranslation.kind == kind
    )
    if ids is not None:
        stmt = stmt.where(ContentTranslation.object_id.in_(ids))
    texts: dict[int, list[str]] = {}
    for object_id, text in db.session.execute(stmt.order_by(ContentTranslation.id)):
        texts.setdefault(object_id, []).append(text)
    return texts


@dataclass(frozen=True)
class Localized:
    """A prose field as a reader sees it: `text` in `language`; `fallback` when it is the
    English text shown to a reader of another language. Renders as its (escaped) text."""

    text: str
    language: str
    fallback: bool = False

    def __bool__(self) -> bool:
        return bool(self.text)

    def __str__(self) -> str:
        return self.text

    def __html__(self) -> str:
        return str(escape(self.text))

    @property
    def lang_attr(self) -> Markup:
        """` lang="en" dir="ltr"` on the element holding English shown to another language's
        reader (screen readers switch voice; an Arabic page keeps the English sentence's order)."""
        if not self.fallback:
            return Markup("")
        return Markup(' lang="{}" dir="ltr"').format(self.language)

    @property
    def note(self) -> Markup:
        """The visible note under English shown in its place, else nothing."""
        if not self.fallback:
            return Markup("")
        return Markup('<p class="small text-body-secondary translation-note">{}</p>').format(
            _("Available in English only.")
        )


def _texts_in(kind: str, object_id: int, language: str) -> dict[str, str]:
    """Field -> text of one object in one language. A request reads every translation of a kind
    in its language at once (a list page asks for the summary of each of its products)."""
    if not has_request_context():
        cache: dict = {}
    else:
        # Kept on the request, not on `g`: an app context can outlive several requests.
        current = request._get_current_object()  # type: ignore[attr-defined]
        cache = current.__dict__.setdefault("_content_translations", {})
    key = (kind, language)
    if key not in cache:
        stmt = sa.select(
            ContentTranslation.object_id, ContentTranslation.field, ContentTranslation.text
        ).where(ContentTranslation.kind == kind, ContentTranslation.language == language)
        texts: dict[int, dict[str, str]] = {}
        for translated_id, field, text in db.session.execute(stmt):
            texts.setdefault(translated_id, {})[field] = text
        cache[key] = texts
    return cache[key].get(object_id, {})


def localized(obj, field: str) -> Localized:
    """The field of a product, profile or article in the reader's language, else in English
    (marked as a fallback). The Jinja global `localized(obj, "description")`."""
    original = getattr(obj, field) or ""
    language = current_language()
    if language == DEFAULT_LANGUAGE or obj is None or obj.id is None:
        return Localized(original, DEFAULT_LANGUAGE)
    translated = _texts_in(kind_of(obj), obj.id, language).get(field)
    if translated:
        return Localized(translated, language)
    return Localized(original, DEFAULT_LANGUAGE, fallback=bool(original))


# --- Writing ------------------------------------------------------------------------------------


def _clean(text: str | None, limit: int, field: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise ServiceError(field, _("The text holds a character that cannot be stored."))
    if len(text) > limit:
        raise ServiceError(field, _("At most %(limit)d characters.", limit=limit))
    return text


def save_translations(actor, obj, language: str, values: Mapping[str, str | None]) -> int:
    """Sets the object's prose fields in one language (an empty text removes that translation);
    each change goes to the audit trail. Returns how many fields changed. Adds, never commits."""
    if language not in TRANSLATION_LANGUAGES:
        raise ServiceError(None, _("Translations are for the languages other than English."))
    kind = kind_of(obj)
    fields = PROSE_FIELDS[kind]
    cleaned = {f: _clean(values.get(f), limit, f) for f, (_label, limit) in fields.items()}
    existing = translations_of(obj)
    changed = 0
    for field, text in cleaned.items():
        row = existing.get((language, field))
        old = row.text if row is not None else None
        if (old or "") == text:
            continue
        if row is None:
            row = ContentTranslation(kind=kind, object_id=obj.id, language=language, field=field)
            db.session.add(row)
        if text:
            row.text = text
            row.updated_by_id = actor.id if actor is not None else None
        else:
            db.session.delete(row)
        record_change(actor, obj, f"{field} ({language})", old, text or None)
        changed += 1
    db.session.flush()
    return changed


# --- The portal and staff pages -----------------------------------------------------------------


@dataclass(frozen=True)
class Pages:
    """Where one side keeps one object's translation pages."""

    side: str  # "portal" or "staff": picks the templates
    back: str  # the object's edit page
    overview: str  # the list of languages
    edit: Callable[[str], str]  # language -> its form


def overview(pages: Pages, obj):
    """Each language with the fields translated so far."""
    done = translations_of(obj)
    return render_template(
        f"{pages.side}/content_translations.html",
        obj=obj, title=title_of(obj), pages=pages, fields=PROSE_FIELDS[kind_of(obj)],
        languages=[(code, LANGUAGES[code]) for code in TRANSLATION_LANGUAGES], done=done,
    )  # fmt: skip


def editor(pages: Pages, obj, language: str):
    """One language's form: a POST saves it (400 with the reason when refused)."""
    if language not in TRANSLATION_LANGUAGES:
        abort(404)
    fields = PROSE_FIELDS[kind_of(obj)]
    done = translations_of(obj)
    values = {f: (done[(language, f)].text if (language, f) in done else "") for f in fields}
    errors: dict[str | None, str] = {}
    if request.method == "POST":
        values = {f: request.form.get(f, "") for f in fields}
        try:
            changed = save_translations(current_user, obj, language, values)
        except ServiceError as error:
            db.session.rollback()
            errors[error.field] = error.message
        else:
            db.session.commit()
            flash(
                _("Translation saved.") if changed else _("The translation is unchanged."),
                "success",
            )
            return redirect(pages.overview)
    return render_template(
        f"{pages.side}/content_translation_edit.html",
        obj=obj, title=title_of(obj), pages=pages, fields=fields, values=values, errors=errors,
        language=language, language_name=LANGUAGES[language], direction=text_direction(language),
    ), (400 if errors else 200)  # fmt: skip
