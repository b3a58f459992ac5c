"""Any product's photos, as staff manage them: add, order, remove (the pages themselves:
supplies/photo_pages.py)."""

import sqlalchemy as sa

from catalogue.extensions import db
from catalogue.staff.views import bp
from catalogue.supplies import photo_pages, photos
from catalogue.supplies.models import Product, ProductPhoto


@bp.route("/products/<int:product_id>/photos", methods=["GET", "POST"])
def product_photos(product_id):
    return photo_pages.manager("staff", db.get_or_404(Product, product_id))


@bp.post("/photos/<int:photo_id>/alt-text")
def photo_describe(photo_id):
    return photo_pages.describe("staff", db.get_or_404(ProductPhoto, photo_id))


@bp.post("/photos/<int:photo_id>/move")
def photo_move(photo_id):
    return photo_pages.move("staff", db.get_or_404(ProductPhoto, photo_id))


@bp.post("/photos/<int:photo_id>/remove")
def photo_remove(photo_id):
    return photo_pages.remove("staff", db.get_or_404(ProductPhoto, photo_id))


@bp.get("/photos/<token>/<int:width>.jpg")
def photo_file(token, width):
    photo = db.first_or_404(sa.select(ProductPhoto).where(ProductPhoto.token == token))
    return photos.send_photo(photo, width, public=False)
