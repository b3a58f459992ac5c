"""Search across languages: the trade terms of every interface language reach the seeded
antigen rapid tests, translated prose is found, and "did you mean" leaves foreign words alone."""

import pytest
import sqlalchemy as sa

from catalogue.extensions import db
from catalogue.search.services import search_catalogue
from catalogue.supplies.models import Category, Product
from catalogue.supplies.translations import save_translations

# A buyer's words for "antigen rapid test", one or more per interface language.
ANTIGEN_RAPID_TEST = {
    "en": ["rapid antigen test", "antigen rapid test"],
    "es": ["prueba rápida de antígeno", "prueba rápida antígeno", "prueba rapida de antigeno"],
    "fr": ["test antigénique rapide", "test rapide antigène", "TEST ANTIGENIQUE RAPIDE"],
    "ru": ["экспресс-тест на антиген", "Экспресс-тест на антигены"],
    "zh": ["抗原快速检测", "快速抗原检测"],
    "ko": ["항원 신속진단", "항원 신속 검사", "신속항원검사"],
    "ar": ["اختبار المستضد السريع", "اختبار سريع للمستضد"],
}


@pytest.fixture(scope="module")
def find(seeded_index):
    def run(q, per_page=200, doc_type="product"):
        with seeded_index.test_request_context():
            return search_catalogue(q, {}, doc_type, per_page=per_page)

    return run


@pytest.fixture(scope="module")
def antigen_rapid_tests(seeded_index):
    with seeded_index.app_context():
        stmt = (
            sa.select(Product.id)
            .join(Category)
            .where(Category.slug == "rapid-antigen", Product.status == "published")
        )
        ids = {f"product:{i}" for i in db.session.scalars(stmt)}
    assert len(ids) > 5
    return ids


def _keys(page) -> set[str]:
    return {item.hit.key for item in page.items}


@pytest.mark.parametrize(
    "language,query", [(lang, q) for lang, queries in ANTIGEN_RAPID_TEST.items() for q in queries]
)
def test_a_query_in_each_language_finds_the_antigen_rapid_tests(
    find, antigen_rapid_tests, language, query
):
    page = find(query)
    assert antigen_rapid_tests <= _keys(page), (language, query)
    # What it finds are antigen tests: the rapid antigen tests come first.
    top = [item.hit.key for item in page.items[: len(antigen_rapid_tests)]]
    assert set(top) == antigen_rapid_tests, (language, query)
    assert page.corrected is None


@pytest.mark.parametrize(
    "query,english",
    [
        ("kit de RT-PCR", "RT-PCR kit"),
        ("kit de PCR", "PCR kit"),
        ("kit pour RT-PCR", "RT-PCR kit"),
        ("ОТ-ПЦР", "RT-PCR"),
        ("ПЦР", "PCR"),
        ("核酸检测", "PCR"),
        ("유전자증폭", "PCR"),
        ("تفاعل البوليميراز المتسلسل", "PCR"),
        ("toma de muestras", "specimen collection"),
        ("prélèvement", "specimen collection"),
        ("검체 채취", "specimen collection"),
        ("样本采集", "specimen collection"),
        ("جمع العينات", "specimen collection"),
        ("вирусная транспортная среда", "viral transport medium"),
        ("وسط نقل الفيروسات", "viral transport medium"),
        ("зонд-тампон", "swab"),
        ("مسحة", "swab"),
        ("hisopo", "swab"),
        ("écouvillon", "swab"),
        ("拭子", "swab"),
        ("면봉", "swab"),
        ("medio de transporte viral", "viral transport medium"),
        ("milieu de transport viral", "viral transport medium"),
        ("病毒运输培养基", "viral transport medium"),
        ("바이러스 수송배지", "viral transport medium"),
        ("anticuerpos", "antibody"),
        ("anticorps", "antibody"),
        ("антитела", "antibody"),
        ("抗体", "antibody"),
        ("항체", "antibody"),
        ("الأجسام المضادة", "antibody"),
    ],
)
def test_trade_terms_of_each_language_reach_the_english_ones(find, query, english):
    found = _keys(find(query))
    wanted = _keys(find(english))
    assert wanted, english
    assert wanted <= found, (query, english)


def test_did_you_mean_does_not_rewrite_a_foreign_query_into_english(seeded_client, seeded_index):
    text = seeded_client.get("/search?q=prueba+rápida+antígeno").get_data(as_text=True)
    assert "prueba rapid antigen" not in text
    assert "Did you mean" not in text and "Showing results for" not in text
    # An unknown Spanish word is not "corrected" into an English one that finds nothing.
    text = seeded_client.get("/search?q=diagnóstico+rápido+de+gripe").get_data(as_text=True)
    assert "Did you mean" not in text


def test_a_product_is_found_by_a_word_of_its_french_description(
    app, make_product, make_user, sync_index
):
    product = make_product(name="Quantum Dot Ag Kit", description="Detects the nucleocapsid.")
    staff = make_user(role="staff")
    with app.test_request_context():
        save_translations(
            staff,
            product,
            "fr",
            {"description": "Détecte la nucléocapside ; lecture visuelle en quinze minutes."},
        )
    db.session.commit()
    sync_index()
    with app.test_request_context():
        for word in ("nucléocapside", "nucleocapside", "quinze minutes"):
            page = search_catalogue(word, {}, "product")
            assert [item.hit.key for item in page.items] == [f"product:{product.id}"], word


def test_chinese_and_korean_prose_is_found_by_a_word_inside_it(
    app, make_product, make_user, sync_index
):
    product = make_product(name="Nova Ag Kit")
    staff = make_user(role="staff")
    with app.test_request_context():
        save_translations(
            staff, product, "zh", {"description": "用于鼻拭子样本的新冠病毒抗原检测试剂盒"}
        )
        save_translations(
            staff, product, "ko", {"description": "코로나19 항원 신속진단키트를 공급합니다"}
        )
    db.session.commit()
    sync_index()
    with app.test_request_context():
        for word in ("试剂盒", "鼻拭子", "진단키트", "공급"):
            page = search_catalogue(word, {}, "product")
            assert f"product:{product.id}" in [item.hit.key for item in page.items], word
