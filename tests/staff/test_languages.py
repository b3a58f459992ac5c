"""Staff pages in Korean: each page declares its language, and facts stay as entered."""


def _text(response):
    return response.get_data(as_text=True)


def test_a_staff_page_in_korean_keeps_the_makers_name_as_entered(
    client, login, make_user, make_manufacturer
):
    maker = make_manufacturer(name="SD Biosensor, Inc. (에스디바이오센서)")
    login(make_user(role="staff"))

    for url in ("/staff/manufacturers/", f"/staff/manufacturers/{maker.id}", "/staff/"):
        response = client.get(url, query_string={"lang": "ko"})
        assert response.status_code == 200, url
        page = _text(response)
        assert '<html lang="ko"' in page and 'dir="ltr"' in page, url
        assert "SD Biosensor, Inc. (에스디바이오센서)" in page, url


def test_a_product_page_for_staff_in_korean_keeps_the_product_as_entered(
    client, login, make_user, make_manufacturer, make_product
):
    maker = make_manufacturer(name="Seegene Inc.")
    product = make_product(manufacturer=maker, name="Allplex SARS-CoV-2 Assay")
    login(make_user(role="staff"))

    page = _text(client.get("/staff/products/", query_string={"lang": "ko"}))
    assert '<html lang="ko"' in page
    assert "Seegene Inc." in page and "Allplex SARS-CoV-2 Assay" in page
    assert f'href="/staff/products/{product.id}/edit"' in page
