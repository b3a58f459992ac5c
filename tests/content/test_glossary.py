"""The glossary page, and the links from each term's first use on a page to it."""

import re

import pytest

from catalogue.lib.glossary import TERMS, link_terms

GLOSSARY = "/glossary"


def test_glossary_lists_every_term_with_its_anchor(client):
    page = client.get("/glossary").text
    for term in TERMS:
        assert f'<dt id="{term.id}">{term.name}</dt>' in page
        assert f'href="#{term.id}"' in page  # the index at the top
    for words in ("PPA", "NPA", "Sensitivity", "Specificity", "LoD", "limit of detection",
                  "EUA", "EUL", "MFDS", "HSC common list", "CE-IVD", "Incoterms"):  # fmt: skip
        assert words in page, words
    # The glossary does not link its own terms to itself.
    assert "glossary-term" not in page


def test_every_page_links_to_the_glossary_in_its_footer(client):
    footer = client.get("/news/").text.split('<footer class="site-footer')[1]
    assert 'href="/glossary"' in footer


def test_product_page_links_the_first_use_of_each_term_once(client, make_product):
    product = make_product(
        limit_of_detection="500 copies/mL (LoD as stated by the maker)",
        approvals=[
            {"authority": "fda_eua", "status": "public_source", "reference_number": "EUA200001"},
            {"authority": "mfds_eua", "status": "public_source"},
        ],
    )
    page = client.get(f"/supplies/products/{product.slug}").text
    main = page.split('<main id="main"')[1].split("</main>")[0]
    assert main.count('href="/glossary#lod"') == 1
    assert main.count('href="/glossary#eua"') == 1
    # The first use is the one linked: the "Limit of detection" label, not the later "LoD".
    assert re.search(r'<a href="/glossary#lod" class="glossary-term">Limit of detection</a>', main)
    assert ">LoD</a>" not in main
    # Cached for the next visitor with the links in place.
    again = client.get(f"/supplies/products/{product.slug}")
    assert again.headers.get("X-Page-Cache") == "hit"
    assert again.text.count('href="/glossary#lod"') == 1


def test_staff_pages_are_not_linked(client, make_user, login):
    login(make_user(role="staff"))
    assert "glossary-term" not in client.get("/staff/content/links/new").text


@pytest.mark.parametrize(
    "html,expected",
    [
        # Text inside an existing link, a heading or an attribute is left alone.
        (
            '<p><a href="/x">EUA</a> and <img alt="EUA"> then EUA.</p>',
            '<p><a href="/x">EUA</a> and <img alt="EUA"> then '
            '<a href="/glossary#eua" class="glossary-term">EUA</a>.</p>',
        ),
        (
            "<h2>Sensitivity</h2><p>Sensitivity and sensitivity</p>",
            '<h2>Sensitivity</h2><p><a href="/glossary#sensitivity" class="glossary-term">'
            "Sensitivity</a> and sensitivity</p>",
        ),
        # One entry for both words: only the first of PPA and NPA is linked.
        (
            "<td>PPA / NPA</td>",
            '<td><a href="/glossary#ppa-npa" class="glossary-term">PPA</a> / NPA</td>',
        ),
        # Form controls and code keep their text; words inside longer words do not count.
        (
            "<label>MFDS</label><option>MFDS</option><code>MFDS</code><p>MFDSX MFDS</p>",
            "<label>MFDS</label><option>MFDS</option><code>MFDS</code><p>MFDSX "
            '<a href="/glossary#mfds" class="glossary-term">MFDS</a></p>',
        ),
        # A term joined to a code by a hyphen is part of the code (a register number).
        (
            "<p>No. MFDS-EXP-2020-0417, checked. CE-IVD MFDS.</p>",
            "<p>No. MFDS-EXP-2020-0417, checked. "
            '<a href="/glossary#ce-ivd" class="glossary-term">CE-IVD</a> '
            '<a href="/glossary#mfds" class="glossary-term">MFDS</a>.</p>',
        ),
        # Error messages keep their words, nested elements and all.
        (
            '<div class="invalid-feedback">The <b>sensitivity</b> <i>x</i></div>'
            '<p role="alert">sensitivity</p><p>sensitivity</p>',
            '<div class="invalid-feedback">The <b>sensitivity</b> <i>x</i></div>'
            '<p role="alert">sensitivity</p><p><a href="/glossary#sensitivity" '
            'class="glossary-term">sensitivity</a></p>',
        ),
    ],
)
def test_link_terms_links_only_text_outside_links_headings_and_controls(html, expected):
    assert link_terms(html, GLOSSARY) == expected


def test_link_terms_leaves_a_page_without_terms_unchanged():
    html = "<p>Drive-through screening, about ten minutes.</p><!-- EUA -->"
    assert link_terms(html, GLOSSARY) == html
