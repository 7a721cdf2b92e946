"""Tests for the privacy and secret scanner."""

from __future__ import annotations

import pytest

from blog.scan import LABELS, Finding, mask, redact, redaction_mark, scan_text
from tests.fixtures.scan_corpus import (
    ANTHROPIC,
    CARD,
    EMAIL,
    GITHUB_CLASSIC,
    JWT,
    NEGATIVES,
    OPENAI_LEGACY,
    OPENAI_PROJECT,
    POSITIVES,
    RSA_KEY,
    SECRET_HEX,
    STRIPE_LIVE,
    evaluate,
    format_table,
)

MIXED_TURN = f"""Here is everything, sorry for the mess.

Email {EMAIL}, phone +44 20 7946 0958, home 42 Wallaby Way, Sydney.
The server is 93.184.216.34. Card {CARD}, IBAN GB82 WEST 1234 5698 7654 32, SSN 219-09-9999.

```python
OPENAI_API_KEY = "{OPENAI_PROJECT}"
password = "Tr0ub4dor&3"
SECRET_KEY = "{SECRET_HEX}"
DATABASE_URL = "postgres://app:S3cretPw@db.internal.net/app"
```

{RSA_KEY}
session={JWT}
"""


def kinds(text: str) -> list[str]:
    return [finding.kind for finding in scan_text(text)]


@pytest.mark.parametrize("case", POSITIVES, ids=lambda c: f"{c.kind}:{c.value[:24]}")
def test_reports_each_labelled_item_exactly(case) -> None:
    findings = scan_text(case.text)
    assert [(f.kind, f.text) for f in findings] == [(case.kind, case.value)]
    assert findings[0].label == LABELS[case.kind]


@pytest.mark.parametrize("case", NEGATIVES, ids=lambda c: f"{c.target}:{c.text[:30]}")
def test_leaves_look_alikes_alone(case) -> None:
    assert scan_text(case.text) == []


def test_corpus_rates(capsys: pytest.CaptureFixture[str]) -> None:
    rates = evaluate(scan_text)
    with capsys.disabled():
        print("\n" + format_table(rates))
    assert {kind for kind, r in rates.items() if r.positives} == set(LABELS)
    assert all(r.recall == 1.0 for r in rates.values())
    assert sum(r.false_positives for r in rates.values()) == 0


def test_offsets_point_at_the_matched_text() -> None:
    findings = scan_text(MIXED_TURN)
    assert [f.kind for f in findings] == [
        "email", "phone", "address", "ip", "card", "iban", "ssn",
        "openai_key", "password", "secret", "password", "private_key", "jwt",
    ]  # fmt: skip
    for finding in findings:
        assert MIXED_TURN[finding.start : finding.end] == finding.text


def test_findings_are_sorted_and_do_not_overlap() -> None:
    findings = scan_text(MIXED_TURN)
    assert [f.start for f in findings] == sorted(f.start for f in findings)
    for before, after in zip(findings, findings[1:], strict=False):
        assert before.end <= after.start


def test_key_inside_password_assignment_reports_once_as_the_key() -> None:
    assert [(f.kind, f.text) for f in scan_text(f'password = "{OPENAI_LEGACY}"')] == [
        ("openai_key", OPENAI_LEGACY)
    ]


def test_anthropic_key_is_not_also_an_openai_key() -> None:
    assert kinds(f"key {ANTHROPIC}") == ["anthropic_key"]


def test_token_in_url_user_info_is_reported_as_the_token() -> None:
    text = f"git clone https://x-access:{GITHUB_CLASSIC}@github.com/acme/app.git"
    assert kinds(text) == ["github_token"]


def test_password_finding_covers_the_value_not_the_name() -> None:
    text = 'DB_PASSWORD = "Xk9#mQ2v!"'
    (finding,) = scan_text(text)
    assert finding.text == "Xk9#mQ2v!"
    assert redact(text, [finding]) == 'DB_PASSWORD = "[password redacted]"'


def test_truncated_private_key_is_still_reported() -> None:
    truncated = RSA_KEY.rsplit("\n", 2)[0]  # drop the last body line and the END marker
    (finding,) = scan_text(f"oops:\n{truncated}\n")
    assert finding.kind == "private_key"
    assert finding.text.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert finding.text.endswith(truncated.splitlines()[-1])


def test_redaction_marks_read_naturally() -> None:
    assert redaction_mark("email") == "[email redacted]"
    assert redaction_mark("openai_key") == "[OpenAI API key redacted]"
    assert redaction_mark("card") == "[card number redacted]"
    assert redaction_mark("password") == "[password redacted]"
    assert len({redaction_mark(kind) for kind in LABELS}) == len(LABELS)


def test_redacting_everything_leaves_nothing_to_find() -> None:
    redacted = redact(MIXED_TURN, scan_text(MIXED_TURN))
    assert scan_text(redacted) == []
    for secret in (EMAIL, CARD, OPENAI_PROJECT, SECRET_HEX, "Tr0ub4dor&3", JWT, "S3cretPw"):
        assert secret not in redacted
    assert "[email redacted]" in redacted
    assert "[card number redacted]" in redacted
    assert "[OpenAI API key redacted]" in redacted
    assert 'password = "[password redacted]"' in redacted
    assert "postgres://app:[password redacted]@db.internal.net/app" in redacted
    assert "Here is everything, sorry for the mess." in redacted


@pytest.mark.parametrize("case", POSITIVES, ids=lambda c: f"{c.kind}:{c.value[:24]}")
def test_redacting_each_item_removes_it(case) -> None:
    redacted = redact(case.text, scan_text(case.text))
    assert case.value not in redacted
    assert redaction_mark(case.kind) in redacted
    assert scan_text(redacted) == []


def test_redact_only_touches_the_given_findings() -> None:
    findings = [f for f in scan_text(MIXED_TURN) if f.kind == "email"]
    redacted = redact(MIXED_TURN, findings)
    assert EMAIL not in redacted
    assert CARD in redacted
    assert len(redacted) == len(MIXED_TURN) - len(EMAIL) + len("[email redacted]")


def test_fingerprint_ignores_position_but_not_kind_or_text() -> None:
    (first,) = scan_text(f"mail {EMAIL}")
    (moved,) = scan_text(f"a much longer preamble before the address {EMAIL} and more")
    assert first.start != moved.start
    assert first.fingerprint == moved.fingerprint
    assert len(first.fingerprint) == 64
    other_kind = Finding("secret", "secret", 0, len(EMAIL), EMAIL)
    other_text = Finding("email", "email address", 0, 9, "a@b.co.uk")
    assert len({first.fingerprint, other_kind.fingerprint, other_text.fingerprint}) == 3


def test_mask_keeps_only_the_ends_of_a_secret() -> None:
    assert mask(STRIPE_LIVE) == f"{STRIPE_LIVE[:4]}…{STRIPE_LIVE[-2:]}"
    assert STRIPE_LIVE[4:-2] not in mask(STRIPE_LIVE)
    assert mask("hunter2") == "h…"
    assert mask("") == ""


def test_empty_and_clean_text() -> None:
    assert scan_text("") == []
    assert scan_text("Could you explain how Python's GIL works in 3.13?") == []


@pytest.mark.parametrize(
    "hostile",
    [
        "a" * 1_000_000,
        "@" * 1_000_000,
        "7" * 1_000_000,
        "1." * 500_000,
        "1 " * 500_000,
        "a@" * 500_000,
        "a-" * 500_000,
        "+1 " * 333_333,
        "2a00:" * 200_000,
        "-----BEGIN RSA PRIVATE KEY-----" * 30_000 + "-----END CERTIFICATE-----",
        "-----BEGIN PRIVATE KEY-----\n" + " " * 1_000_000 + "!",
        "my password is " * 60_000,
    ],
    ids=lambda s: repr(s[:12]),
)
def test_hostile_megabyte_inputs_finish(hostile: str) -> None:
    assert scan_text(hostile) == []


def test_large_turn_finds_every_item() -> None:
    turn = "\n\n".join([MIXED_TURN] * 45)
    assert len(turn) > 50_000
    assert len(scan_text(turn)) == 45 * len(scan_text(MIXED_TURN))
