import re

import sqlalchemy as sa

from catalogue.accounts.models import User
from catalogue.extensions import db


def _staff():
    return db.session.scalars(sa.select(User).where(User.role == "staff")).all()


def test_ensure_staff_creates_one_account_with_a_random_password(runner):
    first = runner.invoke(args=["users", "ensure-staff", "Staff@Example.org"])
    assert first.exit_code == 0, first.output
    password = re.search(r"shown this once, store it safely\): (\S+)", first.output).group(1)
    second = runner.invoke(args=["users", "ensure-staff", "other@example.org"])
    assert "exists already" in second.output
    users = _staff()
    assert len(users) == 1
    user = users[0]
    assert user.email == "staff@example.org"
    assert password not in user.password_hash and user.password_hash.startswith("scrypt:")
    assert user.check_password(password)


def test_two_first_runs_do_not_share_a_password(runner, app):
    first = runner.invoke(args=["users", "ensure-staff", "a@example.org"])
    db.session.execute(sa.delete(User))
    db.session.commit()
    second = runner.invoke(args=["users", "ensure-staff", "a@example.org"])
    pattern = r"store it safely\): (\S+)"
    assert re.search(pattern, first.output).group(1) != re.search(pattern, second.output).group(1)


def test_create_staff_refuses_a_duplicate_and_a_bad_address(runner):
    assert runner.invoke(args=["users", "create-staff", "x@example.org"]).exit_code == 0
    duplicate = runner.invoke(args=["users", "create-staff", "X@example.org"])
    assert duplicate.exit_code != 0 and "exists already" in duplicate.output
    bad = runner.invoke(args=["users", "create-staff", "not-an-address"])
    assert bad.exit_code != 0 and "not a valid e-mail" in bad.output
    assert len(_staff()) == 1
