"""Random text, markup and control characters thrown at the public inputs: never a 500, and
nothing echoed unescaped."""

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.inquiries.test_journey import inquiry_form

HOSTILE = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50).map(
        lambda s: f"<script>alert({s!r})</script><img src=x onerror=alert(1)>{s}"
    ),
    st.sampled_from(['"unclosed', "((((", "name:", "AND OR", "\x00", "\u202e", "%00", "&#x3C;"]),
)
FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


# Each value is sent between these marks, so wherever the page shows it the test can find it.
OPEN, CLOSE = "fz{", "}zf"
ECHO = re.compile(re.escape(OPEN) + r"(.{0,2000}?)" + re.escape(CLOSE), re.S)


def _marked(text: str) -> str:
    # Queries are cut at 200 characters: a longer value would lose its closing mark, and the
    # test would pair an opening mark with a closing one further down the page.
    return f"{OPEN}{text[:190]}{CLOSE}"


def _assert_safe(response) -> None:
    """Never a 500, and wherever a page shows the value, its markup characters come escaped."""
    assert response.status_code < 500
    if response.mimetype != "text/html":
        return
    for echoed in ECHO.findall(response.get_data(as_text=True)):
        assert not set(echoed) & set("<>\"'"), echoed


@FUZZ
@given(text=HOSTILE)
def test_catalogue_text_filter_never_fails(client, world, text):
    response = client.get(
        "/supplies/products/", query_string={"q": _marked(text), "category": _marked(text)}
    )
    _assert_safe(response)


@FUZZ
@given(text=HOSTILE)
def test_compare_never_fails(client, world, text):
    _assert_safe(client.get("/supplies/compare", query_string={"products": _marked(text)}))


@FUZZ
@given(text=HOSTILE, field=st.sampled_from(["name", "organisation", "message", "city", "phone"]))
def test_inquiry_form_never_fails(client, world, text, field):
    response = client.post(
        "/inquiry/new", data=inquiry_form([(world.product_a.slug, 5)], **{field: _marked(text)})
    )
    _assert_safe(response)


@FUZZ
@given(text=HOSTILE)
def test_search_and_suggest_never_fail(client, world, text):
    _assert_safe(
        client.get("/search", query_string={"q": _marked(text), "specimen": _marked(text)})
    )
    response = client.get("/search/suggest", query_string={"q": text})
    assert response.status_code < 500


@FUZZ
@given(text=HOSTILE, path=st.sampled_from(["/api/v1/search", "/api/v1/products"]))
def test_api_never_fails(client, world, text, path):
    response = client.get(path, query_string={"q": text, "category": text, "page": text})
    assert response.status_code < 500
    assert response.mimetype == "application/json"
