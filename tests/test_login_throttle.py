"""Sign-in guessing: bounded across concurrent workers, blind to which accounts exist,
and unable to lock the owner out of the address they sign in from."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import blog.accounts
from tests.conftest import PASSWORD
from tests.test_security import attempt


def parallel_attempts(app, count: int, address_of) -> list[int]:
    with ThreadPoolExecutor(max_workers=12) as pool:
        return list(
            pool.map(lambda n: attempt(app, "alice", "wrong password", address_of(n)), range(count))
        )


def test_parallel_guesses_from_one_address_get_at_most_the_limit_checked(app, owner):
    statuses = parallel_attempts(app, 40, lambda n: "203.0.113.9")
    assert set(statuses) <= {401, 429}
    assert statuses.count(401) <= app.config["LOGIN_MAX_FAILURES"]


def test_parallel_guesses_from_many_addresses_get_at_most_the_account_limit(app, owner):
    statuses = parallel_attempts(app, 40, lambda n: f"203.0.113.{n}")
    assert set(statuses) <= {401, 429}
    assert statuses.count(401) <= app.config["LOGIN_ACCOUNT_MAX_FAILURES"]


def test_guesses_elsewhere_do_not_lock_the_owner_out_of_a_known_address(app, owner):
    assert attempt(app, "alice", PASSWORD, "192.0.2.50") == 302
    for n in range(app.config["LOGIN_ACCOUNT_MAX_FAILURES"] + 3):
        attempt(app, "alice", "wrong password", f"198.51.100.{n}")
    assert attempt(app, "alice", PASSWORD, "198.51.100.250") == 429
    assert attempt(app, "alice", PASSWORD, "192.0.2.50") == 302


def test_an_unknown_user_costs_a_password_check_too(app, owner, monkeypatch):
    checked = []
    real = blog.accounts.check_password_hash
    monkeypatch.setattr(
        blog.accounts, "check_password_hash", lambda h, p: checked.append(h) or real(h, p)
    )
    assert attempt(app, "nobody", "wrong password", "192.0.2.60") == 401
    assert attempt(app, "alice", "wrong password", "192.0.2.61") == 401
    assert len(checked) == 2
    assert checked[0].split("$")[0] == checked[1].split("$")[0]  # same method and cost
