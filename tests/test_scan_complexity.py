"""The privacy scan takes time linear in the text, whatever an imported conversation holds."""

from __future__ import annotations

import pytest

from blog.scan import scan_text
from tests.complexity import cpu_time, growth

# For 8 times the input a linear scan takes about 8 times as long; 30 leaves room for a
# busy machine while a quadratic matcher (64 times) cannot pass.
BOUND = 30

ADVERSARIAL = {
    "prose password": lambda n: "my password is" + " " * n,
    "prose password words": lambda n: "the " + "x " * n,
    "email": lambda n: ("a" * 60 + "@b.") * (n // 60),
    "email dots": lambda n: "a" + "." * n + "@",
    "international phone": lambda n: "+1" + " 1" * n,
    "national phone": lambda n: ("01 " + "12 " * 3) * (n // 12),
    "street address": lambda n: "12 " + "Main " * (n // 5),
    "french address": lambda n: "12 rue " + "De " * (n // 3),
    "ipv6": lambda n: ":" * n,
    "card": lambda n: "1 " * n,
    "iban": lambda n: "GB82 " + "WEST " * (n // 5),
    "assignment name": lambda n: "a" * n + "=",
    "assignments": lambda n: "key: " * (n // 5),
    "private key body": lambda n: "-----BEGIN PRIVATE KEY-----\n" + "A A\n" * (n // 4),
    "connection string": lambda n: "a://" + ":" * n,
    "ssn label": lambda n: "ssn " * (n // 4),
    "api key prefix": lambda n: "sk-" * (n // 3),
    "bearer": lambda n: "Bearer " + "a" * n + "!",
}


@pytest.mark.parametrize("family", sorted(ADVERSARIAL))
def test_scan_time_grows_linearly(family: str) -> None:
    assert growth(scan_text, ADVERSARIAL[family], 2000) < BOUND


def test_identifier_check_is_not_exponential_in_a_letter_run() -> None:
    # A backtracking split of letters into words doubles its work with each letter: eight
    # more letters cost hundreds of times more. Linear matching barely notices them.
    def bearer(letters: int) -> str:
        run = ("qwrtzpmnbvcxlkjhgfdsyuiowe" * 2)[:letters]
        return f"Authorization: Bearer {run}12345"

    ratio = cpu_time(lambda: scan_text(bearer(22))) / cpu_time(lambda: scan_text(bearer(14)))
    assert ratio < BOUND
