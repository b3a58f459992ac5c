"""Product photos: PNG or JPEG judged by their content, resized to a few widths, stored as JPEG.

Pillow opens the bytes in memory (the name and the browser's content type are not trusted),
checks the declared size before decoding a pixel, verifies the file, applies its EXIF
orientation and saves each width without metadata. The files are stored under
"photos/<product id>/<token>-<width>.jpg" with the row's transaction (supplies/uploads.py) and
served with `send_photo`; a new upload gets a new token, so its URLs can be cached for a year.
"""

from __future__ import annotations

import hashlib
import io
import logging
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from catalogue.audit.services import record_change
from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.i18n.formats import format_number
from catalogue.lib.storage import send_stored
from catalogue.supplies.models import Product, ProductPhoto
from catalogue.supplies.uploads import remove_with_transaction, store_with_transaction

logger = logging.getLogger(__name__)

MAX_PHOTO_BYTES = 10 * 1024 * 1024
# Larger images are refused before they are decoded (an image bomb, often). A JPEG is decoded at
# a reduced scale (draft), a PNG whole: 16 megapixels take about 64 MB, and a few copies of that
# while converting.
MAX_PIXELS = 40_000_000
MAX_PNG_PIXELS = 16_000_000
MAX_PHOTOS = 8  # per product
MAX_ALT_TEXT = 300
WIDTHS = (320, 640, 1280)  # the widths stored, never wider than the upload
JPEG_QUALITY = 82
# Public files may be kept this long by browsers and proxies: a photo removed by staff goes from
# every cache within a day.
PUBLIC_MAX_AGE = timedelta(days=1)
MOVES = ("first", "up", "down")

NOT_AN_IMAGE = _l("Only PNG and JPEG photos are accepted: this file is not one.")
DAMAGED = _l(
    "This image could not be read (it is damaged or incomplete). Save it again and upload that."
)


def photo_key(photo: ProductPhoto, width: int) -> str:
    """Where the photo's file `width` pixels wide is stored (lib/storage.py)."""
    return f"photos/{photo.product_id}/{photo.token}-{width}.jpg"


def _clean_alt_text(alt_text: str | None) -> str:
    alt_text = " ".join((alt_text or "").split())
    if not alt_text:
        raise ServiceError(
            "alt_text",
            _("Describe the photo in a few words (alt text), for buyers who cannot see it."),
        )
    if len(alt_text) > MAX_ALT_TEXT:
        raise ServiceError(
            "alt_text", _("The alt text can be at most %(num)d characters.", num=MAX_ALT_TEXT)
        )
    return alt_text


def add_photo(actor, product: Product, upload: FileStorage | None, alt_text: str | None):
    """Check, resize and store an uploaded photo as the product's last one (audited)."""
    alt_text = _clean_alt_text(alt_text)
    if upload is None or not upload.filename:
        raise ServiceError("photo", _("Choose a photo to upload."))
    if len(product.photos) >= MAX_PHOTOS:
        raise ServiceError(
            "photo",
            _(
                "A product can have at most %(num)d photos. Remove one before adding another.",
                num=MAX_PHOTOS,
            ),
        )
    data = upload.stream.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise ServiceError("photo", _("The photo is larger than 10 MB."))
    if not data:
        raise ServiceError("photo", _("The file is empty."))
    files = _resized_files(data)
    widest = max(files)
    photo = ProductPhoto(
        product=product,
        position=len(product.photos),
        alt_text=alt_text,
        token=secrets.token_hex(16),
        widths=sorted(files),
        width=widest,
        height=files[widest][1],
        filename=(secure_filename(upload.filename) or "photo")[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=actor.id if actor else None,
    )
    db.session.add(photo)
    db.session.flush()  # the row first: a file of a transaction that fails is removed again
    for width, (jpeg, _height) in files.items():
        store_with_transaction(photo_key(photo, width), jpeg, "image/jpeg")
    record_change(actor, product, "photo added", None, alt_text)
    logger.info("User %s added photo %s to %s", actor.id if actor else None, photo.id, product.slug)
    return photo


def describe_photo(actor, photo: ProductPhoto, alt_text: str | None) -> bool:
    """Change a photo's alt text (audited); False when it is the same."""
    alt_text = _clean_alt_text(alt_text)
    if alt_text == photo.alt_text:
        return False
    record_change(actor, photo.product, "photo alt text", photo.alt_text, alt_text)
    photo.alt_text = alt_text
    db.session.flush()
    return True


def remove_photo(actor, photo: ProductPhoto) -> None:
    """Delete a photo (audited); its files go once the transaction commits."""
    product = photo.product
    for width in photo.widths:
        remove_with_transaction(photo_key(photo, width))
    product.photos.remove(photo)  # delete-orphan: the row goes at the flush
    _renumber(product)
    record_change(actor, product, "photo removed", photo.alt_text, None)
    db.session.flush()


def move_photo(actor, photo: ProductPhoto, to: str) -> bool:
    """Make a photo the first, or move it one place up or down (audited). False when it is
    already there."""
    if to not in MOVES:
        raise ServiceError("to", _("Say where the photo goes: first, up or down."))
    product = photo.product
    photos = list(product.photos)
    index = photos.index(photo)
    target = {"first": 0, "up": index - 1, "down": index + 1}[to]
    if target == index or not 0 <= target < len(photos):
        return False
    before = [p.alt_text for p in photos]
    photos.insert(target, photos.pop(index))
    product.photos[:] = photos
    _renumber(product)
    record_change(actor, product, "photo order", before, [p.alt_text for p in photos])
    db.session.flush()
    return True


def _renumber(product: Product) -> None:
    for position, photo in enumerate(product.photos):
        photo.position = position


def published_photo(token: str) -> ProductPhoto | None:
    """A photo the public may see: of a published product."""
    return db.session.scalar(
        sa.select(ProductPhoto)
        .join(Product, ProductPhoto.product_id == Product.id)
        .where(ProductPhoto.token == token, Product.status == "published")
    )


def send_photo(photo: ProductPhoto, width: int, *, public: bool):
    """The stored file `width` pixels wide. A public one may be kept for PUBLIC_MAX_AGE by any
    cache. (Back-office pages and files are never stored.)"""
    if width not in photo.widths:
        abort(404, description=_("There is no such size of this photo."))
    response = send_stored(
        photo_key(photo, width),
        mimetype="image/jpeg",
        as_attachment=False,
        download_name=f"photo-{photo.id}-{width}.jpg",
    )
    if public:
        response.cache_control.public = True
        response.cache_control.max_age = int(PUBLIC_MAX_AGE.total_seconds())
    return response


# --- Images ----------------------------------------------------------------------------------


def _resized_files(data: bytes) -> dict[int, tuple[bytes, int]]:
    """The upload, a PNG or JPEG within the limits, upright and resized (see _resized)."""
    try:
        _check(Image.open(io.BytesIO(data), formats=("PNG", "JPEG"))).verify()
        image = _check(Image.open(io.BytesIO(data), formats=("PNG", "JPEG")))
        if image.format == "JPEG":
            # Decode at the smallest scale still as wide as the widest stored size.
            image.draft("RGB", (WIDTHS[-1], WIDTHS[-1]))
        image.load()
        # Halve and halve again before anything copies the pixels (a PNG is decoded whole).
        factor = image.width // WIDTHS[-1]
        if factor >= 2 and image.mode in ("RGB", "RGBA", "L", "LA"):
            image = image.reduce(factor)
        return _resized(ImageOps.exif_transpose(image))
    except ServiceError:
        raise
    except UnidentifiedImageError:
        raise ServiceError("photo", NOT_AN_IMAGE) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ServiceError("photo", _too_many_pixels()) from None
    except Exception as error:  # Pillow reports a damaged file in many ways
        logger.info("Refused a photo: %s", error)
        raise ServiceError("photo", DAMAGED) from None


def _check(image: Image.Image) -> Image.Image:
    """Refuse an image that declares more pixels than we decode (an image bomb, often)."""
    width, height = image.size
    limit = MAX_PIXELS if image.format == "JPEG" else MAX_PNG_PIXELS
    if width * height > limit:
        raise ServiceError("photo", _too_many_pixels(width, height, limit))
    return image


def _too_many_pixels(
    width: int | None = None, height: int | None = None, limit: int | None = None
) -> str:
    if width and height and limit:
        return _(
            "The image has too many pixels (this one is %(width)s × %(height)s): at most "
            "%(most)d megapixels are accepted for this format. Resize it and upload it again.",
            width=format_number(width),
            height=format_number(height),
            most=limit // 1_000_000,
        )
    if width and height:
        return _(
            "The image has too many pixels (this one is %(width)s × %(height)s). Resize it and "
            "upload it again.",
            width=format_number(width),
            height=format_number(height),
        )
    if limit:
        return _(
            "The image has too many pixels: at most %(most)d megapixels are accepted for this "
            "format. Resize it and upload it again.",
            most=limit // 1_000_000,
        )
    return _("The image has too many pixels. Resize it and upload it again.")


def _resized(image: Image.Image) -> dict[int, tuple[bytes, int]]:
    """{width: (JPEG bytes, height)} at each of WIDTHS that is not wider than the image, and at
    the image's own width when it is narrower than the widest."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        flat = Image.new("RGB", image.size, "white")  # JPEG has no transparency
        rgba = image.convert("RGBA")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    else:
        if image.mode.startswith("I"):  # 16-bit grey: scaled to 8 bits, not clipped to white
            image = image.convert("I").point(lambda value: value / 256).convert("L")
        image = image.convert("RGB")
    files = {}
    for width in sorted({min(w, image.width) for w in WIDTHS}, reverse=True):
        height = max(1, round(image.height * width / image.width))
        if width != image.width:
            # From the last (larger) one: each step is a small reduction.
            image = image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        out = io.BytesIO()
        # No exif= or icc_profile=: the files carry no metadata (camera, place, time).
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        files[width] = (out.getvalue(), height)
    return files
