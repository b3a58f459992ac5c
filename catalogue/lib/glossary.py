"""The glossary of the trade's terms, and linking a page's first use of each term to it.

`link_terms` works on the rendered HTML of a page's main content: the first occurrence of each
term in text (never inside a link, heading, form control, code, script or style, nor in an
attribute) becomes a link to the term's entry on the glossary page. It is a plain pass over the
tags, run when the page is rendered, so the page cache keeps its result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape


@dataclass(frozen=True)
class Term:
    id: str  # the anchor on the glossary page
    # What the glossary's index lists: an abbreviation as every language writes it ("LoD"), or
    # the term in the reader's words ("Sensitivity").
    short: str
    definition: str
    # Regular expressions for the words that count as a use of the term, in two kinds:
    # abbreviations and names every language writes alike (matched on every page), and English
    # words (matched on English pages only: other languages name the terms their own way).
    abbreviations: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    # What an abbreviation stands for, in the reader's words.
    expansion: str | None = None

    @property
    def name(self) -> str:
        """The term as its entry is headed: "LoD (limit of detection)", "Sensitivity"."""
        if self.expansion is None:
            return str(self.short)
        return f"{self.short} ({self.expansion})"

    @property
    def patterns(self) -> tuple[str, ...]:
        return self.abbreviations + self.words


TERMS: tuple[Term, ...] = (
    Term(
        "sensitivity",
        _l("Sensitivity"),
        _l(
            "Of the people who have the infection according to the reference method, the share "
            "the test finds positive: true positives ÷ (true positives + false negatives). A "
            "test with higher sensitivity misses fewer infections. The figure depends on the "
            "study: who was tested, at what stage of illness, with which specimen and against "
            "which reference."
        ),
        words=(r"(?i:\bsensitivity\b)",),
    ),
    Term(
        "specificity",
        _l("Specificity"),
        _l(
            "Of the people who do not have the infection according to the reference method, the "
            "share the test finds negative: true negatives ÷ (true negatives + false positives). "
            "A test with higher specificity gives fewer false alarms. Like sensitivity, it "
            "depends on the study population and the reference used."
        ),
        words=(r"(?i:\bspecificity\b)",),
    ),
    Term(
        "ppa-npa",
        "PPA / NPA",
        _l(
            "How often a test agrees with a comparator test rather than with the true infection "
            "status. PPA is the share of samples positive by the comparator that the test also "
            "finds positive; NPA the share of comparator-negative samples it also finds "
            "negative. They are reported instead of sensitivity and specificity when the "
            "comparator, often another authorised PCR test, is not a perfect reference, so they "
            "are not the same measure."
        ),
        abbreviations=(r"\bPPA\b", r"\bNPA\b"),
        words=(
            r"(?i:\bpositive percent(?:age)? agreement\b)",
            r"(?i:\bnegative percent(?:age)? agreement\b)",
        ),
        expansion=_l("positive and negative percent agreement"),
    ),
    Term(
        "lod",
        "LoD",
        _l(
            "The lowest amount of the target (for example viral RNA copies or virus particles per "
            "millilitre) that a test detects reliably, commonly defined as the lowest "
            "concentration detected in at least 95 in 100 repeated tests. A lower LoD means a more "
            "analytically sensitive test. Figures in different units, or from different studies "
            "and materials, cannot be compared directly."
        ),
        abbreviations=(r"\bLoD\b", r"\bLOD\b"),
        words=(r"(?i:\blimits? of detection\b)",),
        expansion=_l("limit of detection"),
    ),
    Term(
        "eua",
        "EUA",
        _l(
            "A time-limited permission from a regulator to use a medical product that has not "
            "completed the usual approval, granted during a declared public health emergency. "
            "The best-known scheme is the US FDA's Emergency Use Authorization; Korea's MFDS has "
            "granted emergency use authorisations for COVID-19 tests too. An EUA is not a full "
            "approval, is tied to the emergency, and can be revised or revoked."
        ),
        abbreviations=(r"\bEUA\b",),
        words=(r"(?i:\bemergency use authori[sz]ation\b)",),
        expansion=_l("emergency use authorisation"),
    ),
    Term(
        "eul",
        "EUL",
        _l(
            "The World Health Organization's procedure for assessing unlicensed vaccines, "
            "medicines and in vitro diagnostics during a public health emergency, so that United "
            "Nations procurement agencies and national regulators can rely on it. A listing is "
            "time-limited and is not WHO prequalification."
        ),
        abbreviations=(r"\bEUL\b",),
        words=(r"(?i:\bemergency use listing\b)",),
        expansion=_l("WHO Emergency Use Listing"),
    ),
    Term(
        "mfds",
        "MFDS",
        _l(
            "The Republic of Korea's regulator of food, medicines and medical devices, including "
            "in vitro diagnostic tests. Its permissions are what a Korean test needs to be made "
            "and sold; there are several kinds (for example approvals for use in Korea, "
            "emergency use authorisations, and permission to manufacture for export), and this "
            "portal shows each as its source words it."
        ),
        abbreviations=(r"\bMFDS\b",),
        words=(r"(?i:\bministry of food and drug safety\b)",),
        expansion=_l("Ministry of Food and Drug Safety"),
    ),
    Term(
        "hsc-common-list",
        _l("EU HSC common list"),
        _l(
            "The common list of COVID-19 rapid antigen tests agreed by the EU Health Security "
            "Committee (HSC), in which the health authorities of the EU member states work "
            "together with the European Commission. Member states used it, among other things, "
            "to decide which rapid antigen test results count for the EU Digital COVID "
            "Certificate. Being on the list is not a CE marking and not an approval for sale."
        ),
        abbreviations=(r"\bHSC\b",),
        words=(r"(?i:\bEU HSC common list\b)", r"(?i:\bhealth security committee\b)"),
    ),
    Term(
        "ce-ivd",
        "CE-IVD",
        _l(
            "The CE mark on an in vitro diagnostic device: the manufacturer's declaration that "
            "the device meets the European Union's rules for such devices, first the IVD "
            "Directive 98/79/EC and now the IVD Regulation (EU) 2017/746. Under the Directive "
            "most tests, including professional-use COVID-19 tests, were self-declared by the "
            "manufacturer without review by a notified body; self-tests needed one. A source "
            "that says only “CE” does not say under which rules the mark was given."
        ),
        abbreviations=(r"\bCE-IVD\b",),
        words=(r"\bCE[ -]mark(?:ing|ed)?\b",),
        expansion=_l("CE marking of an in vitro diagnostic"),
    ),
    Term(
        "incoterms",
        "Incoterms",
        _l(
            "The International Chamber of Commerce's standard trade terms (current edition: "
            "Incoterms 2020, eleven rules such as EXW, FCA, FOB, CIF, DAP and DDP). Each rule "
            "says which of seller and buyer arranges and pays for transport, insurance and "
            "customs clearance, and where the risk passes from one to the other. They do not "
            "settle the price, the payment or the transfer of ownership."
        ),
        abbreviations=(r"(?i:\bincoterms?\b)",),
    ),
)

# Elements whose text is never linked: links (no nested links), headings, form controls and
# their labels, code, and whatever is not page text; and any element marked as an error
# message (role="alert", class invalid-feedback) or opted out with class no-glossary.
_SKIP = {
    "a", "h1", "h2", "h3", "h4", "h5", "h6", "button", "label", "legend", "select", "option",
    "textarea", "summary", "code", "pre", "script", "style", "svg", "title", "template",
}  # fmt: skip
_SKIP_ATTRIBUTES = re.compile(
    r"""\srole=["']?alert|\sclass=["'][^"']*\b(?:invalid-feedback|no-glossary)\b"""
)
_VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip
_TAG = re.compile(r"<!--.*?-->|<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>", re.S)


# Every term starts a word: checking that first lets the scan skip most positions at once.
# A term joined to a code by a hyphen ("MFDS-EXP-2020-0417") is part of that code, not a use.
def _terms_re(patterns_of) -> re.Pattern:
    """One expression with a group t<index> per term that has patterns of that kind."""
    groups = [
        f"(?P<t{i}>{'|'.join(patterns_of(t))})" for i, t in enumerate(TERMS) if patterns_of(t)
    ]
    return re.compile(
        r"(?<![A-Za-z0-9-])(?=[A-Za-z])(?:" + "|".join(groups) + r")(?![A-Za-z0-9]|-[A-Za-z0-9])"
    )


_TERM_RE = _terms_re(lambda t: t.patterns)
_ABBREVIATION_RE = _terms_re(lambda t: t.abbreviations)
_ABBREVIATED = sum(1 for t in TERMS if t.abbreviations)


def link_terms(html: str, glossary_url: str, *, abbreviations_only: bool = False) -> Markup:
    """The HTML with the first use of each term linked to `glossary_url#<term id>`.

    `abbreviations_only` (pages in other languages than English) matches only the abbreviations
    and names every language writes alike (MFDS, CE-IVD, Incoterms), not the English words.
    """
    href = escape(glossary_url)
    terms_re = _ABBREVIATION_RE if abbreviations_only else _TERM_RE
    total = _ABBREVIATED if abbreviations_only else len(TERMS)
    linked: set[int] = set()
    # Inside a skipped element: the elements open since it began (itself first), so its text
    # is left alone up to its own closing tag.
    skipping: list[str] = []
    out: list[str] = []

    def wrap(match: re.Match) -> str:
        name = next(key for key, value in match.groupdict().items() if value is not None)
        index = int(name[1:])
        if index in linked:
            return match.group(0)
        linked.add(index)
        term = TERMS[index]
        return f'<a href="{href}#{term.id}" class="glossary-term">{match.group(0)}</a>'

    position = 0
    for tag in _TAG.finditer(html):
        text = html[position : tag.start()]
        done = skipping or len(linked) == total or text.isspace()
        out.append(text if done else terms_re.sub(wrap, text))
        out.append(tag.group(0))
        position = tag.end()
        closing, name = tag.group(1), (tag.group(2) or "").lower()
        if not name or name in _VOID or tag.group(0).endswith("/>"):
            continue
        if closing:
            if name in skipping:
                # Close up to the matching open element, forgiving unclosed ones inside it.
                while skipping and skipping.pop() != name:
                    pass
        elif skipping or name in _SKIP or _SKIP_ATTRIBUTES.search(tag.group(0)):
            skipping.append(name)
    tail = html[position:]
    out.append(tail if skipping else terms_re.sub(wrap, tail))
    # The input is rendered, escaped HTML; only the links above (fixed text) were added.
    return Markup("".join(out))  # noqa: S704  # nosec B704
