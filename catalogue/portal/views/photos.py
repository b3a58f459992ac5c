"""A product's photos: add, order, remove; the maker sees them whatever the product's status
(the pages themselves: supplies/photo_pages.py)."""

from flask_login import current_user

from catalogue.portal import services
from catalogue.portal.views import bp
from catalogue.supplies import photo_pages, photos


@bp.route("/products/<int:product_id>/photos", methods=["GET", "POST"])
def product_photos(product_id):
    return photo_pages.manager("portal", services.own_product(current_user, product_id))


@bp.post("/photos/<int:photo_id>/alt-text")
def photo_describe(photo_id):
    return photo_pages.describe("portal", services.own_photo(current_user, photo_id))


@bp.post("/photos/<int:photo_id>/move")
def photo_move(photo_id):
    return photo_pages.move("portal", services.own_photo(current_user, photo_id))


@bp.post("/photos/<int:photo_id>/remove")
def photo_remove(photo_id):
    return photo_pages.remove("portal", services.own_photo(current_user, photo_id))


@bp.get("/photos/<token>/<int:width>.jpg")
def photo_file(token, width):
    return photos.send_photo(services.own_photo_by_token(current_user, token), width, public=False)
