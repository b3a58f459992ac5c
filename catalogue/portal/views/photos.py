"""A product's photos: add, order, remove; the maker sees them whatever the product's status."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.portal import services
from catalogue.portal.views import bp
from catalogue.supplies import photos


@bp.route("/products/<int:product_id>/photos", methods=["GET", "POST"])
def product_photos(product_id):
    product = services.own_product(current_user, product_id)
    errors: dict[str | None, str] = {}
    if request.method == "POST":
        try:
            photos.add_photo(
                current_user, product, request.files.get("photo"), request.form.get("alt_text")
            )
        except ServiceError as error:
            db.session.rollback()
            errors[error.field] = error.message
        else:
            db.session.commit()
            flash("Photo added.", "success")
            return redirect(url_for("portal.product_photos", product_id=product.id))
    return render_template(
        "portal/product_photos.html", product=product, errors=errors,
        alt_text=request.form.get("alt_text", ""), max_photos=photos.MAX_PHOTOS,
    ), (400 if errors else 200)  # fmt: skip


@bp.post("/photos/<int:photo_id>/alt-text")
def photo_describe(photo_id):
    photo = services.own_photo(current_user, photo_id)
    try:
        changed = photos.describe_photo(current_user, photo, request.form.get("alt_text"))
    except ServiceError as error:
        abort(400, description=error.message)
    db.session.commit()
    flash("Alt text saved." if changed else "The alt text is unchanged.", "success")
    return redirect(url_for("portal.product_photos", product_id=photo.product_id))


@bp.post("/photos/<int:photo_id>/move")
def photo_move(photo_id):
    photo = services.own_photo(current_user, photo_id)
    try:
        moved = photos.move_photo(current_user, photo, request.form.get("to", ""))
    except ServiceError as error:
        abort(400, description=error.message)
    db.session.commit()
    if moved:
        flash("Photo order saved.", "success")
    return redirect(url_for("portal.product_photos", product_id=photo.product_id))


@bp.post("/photos/<int:photo_id>/remove")
def photo_remove(photo_id):
    photo = services.own_photo(current_user, photo_id)
    product_id = photo.product_id
    photos.remove_photo(current_user, photo)
    db.session.commit()  # the files go with the commit
    flash("Photo removed.", "success")
    return redirect(url_for("portal.product_photos", product_id=product_id))


@bp.get("/photos/<token>/<int:width>.jpg")
def photo_file(token, width):
    return photos.send_photo(services.own_photo_by_token(current_user, token), width, public=False)
