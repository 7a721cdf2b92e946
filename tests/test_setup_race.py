"""First-run setup under concurrency: one token, one account, no server errors."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from blog.accounts import AccountError, complete_setup, issue_setup_token
from blog.extensions import db
from blog.models import User
from tests.conftest import TOKEN_PATTERN

HTTPS = "https://blog.test"


def setup_form(app):
    client = app.test_client()
    page = client.get("/setup", base_url=HTTPS)
    match = TOKEN_PATTERN.search(page.get_data(as_text=True))
    return client, match.group(1)


def test_concurrent_setups_with_the_valid_token_create_exactly_one_account(app):
    forms = [setup_form(app) for _ in range(12)]
    with app.app_context():
        token = issue_setup_token()

    def submit(index: int) -> int:
        client, csrf = forms[index]
        data = {
            "token": token,
            "username": f"owner{index}",
            "password": "a long enough password",
            "csrf_token": csrf,
        }
        return client.post("/setup", data=data, base_url=HTTPS).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(submit, range(12)))
    assert statuses.count(302) == 1
    assert set(statuses) <= {302, 400, 404}
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_concurrent_first_requests_on_an_empty_database_all_succeed(app):
    clients = [app.test_client() for _ in range(12)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda c: c.get("/", base_url=HTTPS).status_code, clients))
    assert statuses == [200] * 12


def test_a_refused_setup_form_leaves_the_token_working(app):
    with app.app_context():
        token = issue_setup_token()
        with pytest.raises(AccountError, match="password"):
            complete_setup(token, "owner", "short", "Owner")
        assert db.session.scalar(select(func.count(User.id))) == 0

        user = complete_setup(token, "owner", "a long enough password", "Owner")

        assert user.username == "owner"
        assert db.session.scalar(select(func.count(User.id))) == 1
