"""The photo manager's pages, as makers (portal) and staff see them: the same forms and answers,
each side looking up the product or photo its own way and passing its name ("portal", "staff"),
which picks its template and the address it returns to."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from catalogue.errors import ServiceError
from catalogue.extensions import db
from catalogue.supplies import photos
from catalogue.supplies.models import Product, ProductPhoto


def _back(side: str, product_id: int):
    return redirect(url_for(f"{side}.product_photos", product_id=product_id))


def manager(side: str, product: Product):
    """The photo list with its upload form; a POST adds a photo (400 with the reason if refused)."""
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
            flash(_("Photo added."), "success")
            return _back(side, product.id)
    return render_template(
        f"{side}/product_photos.html", product=product, errors=errors,
        alt_text=request.form.get("alt_text", ""), max_photos=photos.MAX_PHOTOS,
    ), (400 if errors else 200)  # fmt: skip


def describe(side: str, photo: ProductPhoto):
    try:
        changed = photos.describe_photo(current_user, photo, request.form.get("alt_text"))
    except ServiceError as error:
        abort(400, description=error.message)
    db.session.commit()
    flash(_("Alt text saved.") if changed else _("The alt text is unchanged."), "success")
    return _back(side, photo.product_id)


def move(side: str, photo: ProductPhoto):
    try:
        moved = photos.move_photo(current_user, photo, request.form.get("to", ""))
    except ServiceError as error:
        abort(400, description=error.message)
    db.session.commit()
    if moved:
        flash(_("Photo order saved."), "success")
    return _back(side, photo.product_id)


def remove(side: str, photo: ProductPhoto):
    product_id = photo.product_id
    photos.remove_photo(current_user, photo)
    db.session.commit()  # the files go with the commit
    flash(_("Photo removed."), "success")
    return _back(side, product_id)
