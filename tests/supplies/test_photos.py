"""Product photos: checked by content, resized, stored, shown with srcset (issue 17, item 4)."""

import io
import re
import struct
import zlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app
from PIL import Image

from catalogue.audit.services import history_of
from catalogue.extensions import db
from catalogue.supplies import photos
from catalogue.supplies.models import ProductPhoto


def _image(size, fmt, mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (30, 90, 160) if mode == "RGB" else (30, 90, 160, 128)).save(
        out, fmt, **save
    )
    return out.getvalue()


def _rotated_jpeg() -> bytes:
    """A 500 × 400 JPEG from a camera held upright: EXIF says "rotate 90°" (and where it was)."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the picture is shown turned 90° clockwise
    exif[0x010F] = "Camera maker"  # Make: metadata that must not reach the public
    return _image((500, 400), "JPEG", exif=exif.tobytes())


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width × height pixels: an image bomb's first bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def _eleven_mb_png() -> bytes:
    """A real PNG of about 11 MB (stored uncompressed)."""
    pixels = Image.frombytes("RGB", (2000, 1834), (bytes(range(256)) * 42_985)[: 2000 * 1834 * 3])
    out = io.BytesIO()
    pixels.save(out, "PNG", compress_level=0)
    return out.getvalue()


def _upload(client, product, data: bytes, name: str, alt: str = "Test kit box", side="portal"):
    response = client.post(
        f"/{side}/products/{product.id}/photos",
        data={"photo": (io.BytesIO(data), name), "alt_text": alt},
        content_type="multipart/form-data",
    )
    # The test client leaves the temporary file of a large request body open.
    response.request.environ["wsgi.input"].close()
    return response


def _stored(product) -> list[str]:
    folder = Path(current_app.config["STORAGE_DIR"]) / "photos" / str(product.id)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _new_photos(product) -> list[ProductPhoto]:
    db.session.expire_all()
    return [p for p in product.photos if p.filename != "kit.jpg"]  # the world's own photo


def test_a_maker_uploads_a_png_and_a_jpeg_that_buyers_see_at_several_sizes(
    client, login, world, make_product
):
    product = make_product(manufacturer=world.maker_a, name="Photo kit")
    before = client.get(f"/supplies/products/{product.slug}").get_data(as_text=True)
    assert "photo-placeholder" in before  # and the page is in the page cache now
    version = product.version
    login(world.user_a)
    wide_png = _image((2000, 1000), "PNG", mode="RGBA")
    response = _upload(client, product, wide_png, "kit.PNG", alt="Kit box, front")
    assert response.status_code == 302
    response = _upload(client, product, _rotated_jpeg(), "cassette.jpeg", alt="Test cassette")
    assert response.status_code == 302

    png, jpeg = _new_photos(product)
    assert product.version == version  # an edit form open meanwhile is still current
    assert png.widths == [320, 640, 1280]  # never wider than the upload, never upscaled
    assert (png.width, png.height) == (1280, 640)
    assert jpeg.widths == [320, 400]  # upright: 400 wide, 500 high
    assert (jpeg.width, jpeg.height) == (400, 500)
    names = _stored(product)
    for photo in (png, jpeg):
        for width in photo.widths:
            assert f"{photo.token}-{width}.jpg" in names
    stored = Image.open(io.BytesIO(client.get(f"/supplies/photos/{jpeg.token}/400.jpg").data))
    assert stored.format == "JPEG" and stored.size == (400, 500)
    assert not stored.getexif()  # no orientation left to apply twice, no camera data

    login(None)
    page = client.get(f"/supplies/products/{product.slug}").get_data(as_text=True)
    srcset = f"/supplies/photos/{png.token}/320.jpg 320w, /supplies/photos/{png.token}/640.jpg 640w"
    assert srcset in page
    main = re.search(rf"<img [^>]*{png.token}[^>]*>", page).group(0)
    assert 'width="1280" height="640"' in main and 'alt="Kit box, front"' in main
    assert 'loading="lazy"' not in main  # the first picture of the page is wanted at once
    assert f"/supplies/photos/{jpeg.token}/400.jpg 400w" in page

    listing = client.get("/supplies/products/").get_data(as_text=True)
    card_img = re.search(rf"<img [^>]*{png.token}[^>]*>", listing).group(0)
    assert 'loading="lazy"' in card_img and 'sizes="320px"' in card_img
    assert 'width="1280" height="640"' in card_img and "srcset=" in card_img
    assert jpeg.token not in listing  # a card shows the first photo only

    answer = client.get(f"/supplies/photos/{png.token}/640.jpg")
    assert answer.status_code == 200 and answer.mimetype == "image/jpeg"
    # Kept by caches for a day at most: a photo staff remove is gone from them by then.
    assert answer.cache_control.max_age == 24 * 3600
    assert answer.cache_control.public and not answer.cache_control.immutable
    assert Image.open(io.BytesIO(answer.data)).size == (640, 320)
    assert client.get(f"/supplies/photos/{png.token}/2000.jpg").status_code == 404


@pytest.mark.parametrize(
    "data, name, alt, message",
    [
        (b"Not a picture, just text.\n", "kit.png", "Kit", photos.NOT_AN_IMAGE),
        (
            b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
            "kit.jpg",
            "Kit",
            photos.NOT_AN_IMAGE,
        ),
        (None, "big.png", "Kit", "The photo is larger than 10 MB."),
        (_png_declaring(50_000, 50_000), "bomb.png", "Kit", "The image has too many pixels"),
        (_png_declaring(8000, 6000), "huge.png", "Kit", "8,000 × 6,000): at most 16 megapixels"),
        (_image((64, 64), "PNG")[:-30], "cut.png", "Kit", photos.DAMAGED),
        (_image((64, 64), "PNG"), "kit.png", "  ", "Describe the photo in a few words"),
        (b"", "", "Kit", "Choose a photo to upload."),
    ],
    ids=[
        "text-renamed-png", "pdf-renamed-jpg", "eleven-mb", "decompression-bomb",
        "over-40-megapixels", "truncated", "no-alt-text", "no-file",
    ],
)  # fmt: skip
def test_a_refused_photo_says_why_and_leaves_nothing(
    client, login, world, data, name, alt, message
):
    product = world.product_a
    login(world.user_a)
    before = _stored(product)
    if data is None:
        data = _eleven_mb_png()
        assert 10 * 1024 * 1024 < len(data) < 11 * 1024 * 1024 + 1
    response = _upload(client, product, data, name, alt=alt)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert str(message) in page
    assert _new_photos(product) == []
    assert _stored(product) == before
    if alt.strip():
        assert 'value="Kit"' in page  # the typed alt text is kept


def test_a_sixteen_bit_grey_png_keeps_its_tones(client, login, world):
    out = io.BytesIO()
    Image.new("I;16", (64, 64), 32768).save(out, "PNG")  # mid grey
    login(world.user_a)
    assert _upload(client, world.product_a, out.getvalue(), "grey.png").status_code == 302
    (photo,) = _new_photos(world.product_a)
    stored = Image.open(io.BytesIO(client.get(f"/supplies/photos/{photo.token}/64.jpg").data))
    assert 110 < stored.convert("L").getpixel((32, 32)) < 145  # not clipped to white


def test_makers_order_and_remove_their_photos_and_every_change_is_audited(
    client, login, world, app
):
    product = world.product_a
    login(world.user_a)
    jpeg = _image((400, 300), "JPEG")
    for alt in ("Box", "Cassette", "Swab"):
        assert _upload(client, product, jpeg, "p.jpg", alt=alt).status_code == 302
    old, box, cassette, swab = db.session.scalars(
        sa.select(ProductPhoto).where(ProductPhoto.product_id == product.id)
        .order_by(ProductPhoto.position)
    ).all()  # fmt: skip
    assert [p.alt_text for p in (box, cassette, swab)] == ["Box", "Cassette", "Swab"]

    client.post(f"/portal/photos/{swab.id}/move", data={"to": "first"})
    client.post(f"/portal/photos/{box.id}/move", data={"to": "down"})
    db.session.expire_all()
    assert [p.alt_text for p in product.photos] == [
        "Swab", "product-a kit box", "Cassette", "Box",
    ]  # fmt: skip
    assert client.post(f"/portal/photos/{box.id}/move", data={"to": "sideways"}).status_code == 400
    assert (
        client.post(f"/portal/photos/{box.id}/alt-text", data={"alt_text": " "}).status_code == 400
    )
    client.post(f"/portal/photos/{box.id}/alt-text", data={"alt_text": "Kit box, back"})
    db.session.expire_all()
    assert box.alt_text == "Kit box, back"

    files = [f"{cassette.token}-{w}.jpg" for w in cassette.widths]
    assert set(files) <= set(_stored(product))
    assert client.post(f"/portal/photos/{cassette.id}/remove").status_code == 302
    db.session.expire_all()
    assert [p.alt_text for p in product.photos] == ["Swab", "product-a kit box", "Kit box, back"]
    assert [p.position for p in product.photos] == [0, 1, 2]
    assert not set(files) & set(_stored(product))  # its files went with the commit

    login(None)
    listing = client.get("/supplies/products/").get_data(as_text=True)
    assert swab.token in listing  # the maker chose the card's photo

    records = {(r.field, r.old_value, r.new_value, r.actor_id) for r in history_of(product)}
    me = world.user_a.id
    assert ("photo added", None, "Cassette", me) in records
    assert ("photo removed", "Cassette", None, me) in records
    assert ("photo alt text", "Box", "Kit box, back", me) in records
    assert (
        "photo order",
        '["product-a kit box", "Box", "Cassette", "Swab"]',
        '["Swab", "product-a kit box", "Box", "Cassette"]',
        me,
    ) in records


def test_another_maker_cannot_see_or_touch_the_photos(client, login, world):
    photo = world.product_a.photos[0]
    login(world.user_b)
    assert _upload(client, world.product_a, _image((50, 50), "PNG"), "x.png").status_code == 404
    assert client.post(f"/portal/photos/{photo.id}/move", data={"to": "up"}).status_code == 404
    assert client.post(f"/portal/photos/{photo.id}/remove").status_code == 404
    assert (
        client.post(f"/portal/photos/{photo.id}/alt-text", data={"alt_text": "Mine"}).status_code
        == 404
    )
    assert client.get(f"/portal/photos/{photo.token}/1.jpg").status_code == 404
    assert client.get(f"/portal/products/{world.product_a.id}/photos").status_code == 404
    db.session.expire_all()
    assert [p.id for p in world.product_a.photos] == [photo.id]


def test_photos_of_an_unpublished_product_stay_in_the_back_office(
    client, login, world, make_product
):
    draft = make_product(manufacturer=world.maker_a, status="draft")
    login(world.user_a)
    assert _upload(client, draft, _image((800, 600), "PNG"), "kit.png").status_code == 302
    (photo,) = _new_photos(draft)
    own = client.get(f"/portal/photos/{photo.token}/320.jpg")
    assert own.status_code == 200 and own.headers["Cache-Control"] == "no-store"
    login(None)
    assert client.get(f"/supplies/photos/{photo.token}/320.jpg").status_code == 404
    assert photo.token not in client.get("/supplies/products/").get_data(as_text=True)


def test_staff_add_photos_to_any_product(client, login, world):
    login(world.staff)
    page = client.get(f"/staff/products/{world.product_b.id}/photos")
    assert page.status_code == 200 and "Alt text" in page.get_data(as_text=True)
    response = _upload(client, world.product_b, _rotated_jpeg(), "k.jpg", alt="Kit", side="staff")
    assert response.status_code == 302
    (photo,) = _new_photos(world.product_b)
    assert photo.uploaded_by_id == world.staff.id
    assert client.get(f"/staff/photos/{photo.token}/320.jpg").status_code == 200
    assert ("photo added", "Kit") in {(r.field, r.new_value) for r in history_of(world.product_b)}


def test_a_product_without_photos_shows_a_plain_placeholder(client, make_product):
    product = make_product(name="Plain kit")
    page = client.get(f"/supplies/products/{product.slug}").get_data(as_text=True)
    assert 'class="photo-placeholder" aria-hidden="true"' in page
    listing = client.get("/supplies/products/").get_data(as_text=True)
    card = listing[listing.index("Plain kit") - 2000 : listing.index("Plain kit")]
    assert "photo-placeholder" in card and "<img" not in card.split("product-card")[-1]
