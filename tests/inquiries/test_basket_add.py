"""Adding to the inquiry basket: the plain form post, and the JSON the page's script asks for."""

import pytest

from catalogue.inquiries import services

JSON = {"Accept": "application/json"}


def test_the_form_post_goes_back_to_the_products_place_on_the_page(client, world):
    slug = world.product_a.slug
    response = client.post(
        "/inquiry/basket/add", data={"product": slug, "next": "/supplies/products/?sort=name"}
    )
    assert response.status_code == 302
    assert response.location == f"/supplies/products/?sort=name#product-{slug}"
    page = client.get(response.location).get_data(as_text=True)
    assert "Added to your inquiry basket." in page
    assert f'id="product-{slug}"' in page
    assert '<span class="badge text-bg-light" id="basket-count">1</span>' in page


def test_a_script_gets_the_basket_count_as_json_and_no_message_later(client, world):
    first = client.post("/inquiry/basket/add", data={"product": world.product_a.slug}, headers=JSON)
    assert first.status_code == 200
    assert first.json == {"added": True, "message": "Added to your inquiry basket.", "count": 1}
    again = client.post("/inquiry/basket/add", data={"product": world.product_a.slug}, headers=JSON)
    assert again.status_code == 200
    assert again.json == {"added": False, "message": "Already in your inquiry basket.", "count": 1}
    second = client.post(
        "/inquiry/basket/add", data={"product": world.product_b.slug}, headers=JSON
    )
    assert second.json["count"] == 2
    # The confirmation was shown by the script: the next page does not repeat it.
    assert "Added to your inquiry basket." not in client.get("/inquiry/basket").get_data(
        as_text=True
    )


def test_a_full_basket_answers_the_script_with_the_reason(client, make_product):
    products = [make_product() for _ in range(services.MAX_MANUFACTURERS + 1)]
    for product in products[:-1]:
        client.post("/inquiry/basket/add", data={"product": product.slug}, headers=JSON)
    refused = client.post("/inquiry/basket/add", data={"product": products[-1].slug}, headers=JSON)
    assert refused.status_code == 409
    assert refused.json["added"] is False
    assert refused.json["count"] == services.MAX_MANUFACTURERS
    assert "at most 10 manufacturers" in refused.json["message"]


def test_an_unknown_product_is_not_found_for_a_script_either(client, world):
    response = client.post("/inquiry/basket/add", data={"product": "nope"}, headers=JSON)
    assert response.status_code == 404


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example", "https://evil.example/"])
def test_the_way_back_never_leaves_the_site(client, world, target):
    slug = world.product_a.slug
    response = client.post("/inquiry/basket/add", data={"product": slug, "next": target})
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"]
