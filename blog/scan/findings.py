"""What a detector reports: the finding, its label and which kind wins an overlap."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

LABELS: dict[str, str] = {
    "email": "email address",
    "phone": "phone number",
    "address": "street address",
    "ip": "IP address",
    "openai_key": "OpenAI API key",
    "anthropic_key": "Anthropic API key",
    "aws_key": "AWS access key",
    "github_token": "GitHub token",
    "google_key": "Google API key",
    "slack_token": "Slack token",
    "stripe_key": "Stripe secret key",
    "jwt": "JSON Web Token",
    "private_key": "private key",
    "secret": "secret",
    "card": "payment card number",
    "iban": "IBAN",
    "ssn": "US Social Security number",
    "password": "password",
}

# When findings overlap, the more specific detector wins.
PRIORITY: dict[str, int] = {
    "private_key": 100,
    "anthropic_key": 95,
    "openai_key": 90,
    "aws_key": 90,
    "github_token": 90,
    "google_key": 90,
    "slack_token": 90,
    "stripe_key": 90,
    "jwt": 85,
    "card": 80,
    "iban": 80,
    "ssn": 80,
    "email": 70,
    "ip": 60,
    "phone": 50,
    "address": 50,
    "password": 40,
    "secret": 30,
}


@dataclass(frozen=True)
class Finding:
    """One piece of private data or secret found in a text."""

    kind: str
    label: str
    start: int
    end: int
    text: str

    @property
    def fingerprint(self) -> str:
        """Return a stable hash of kind and text, independent of position."""
        return hashlib.sha256(f"{self.kind}\0{self.text}".encode()).hexdigest()


def finding(kind: str, text: str, start: int, end: int) -> Finding:
    """The finding of this kind covering text[start:end]."""
    return Finding(kind=kind, label=LABELS[kind], start=start, end=end, text=text[start:end])


def line_before(text: str, index: int, width: int = 40) -> str:
    """Up to `width` characters before index, from the start of their line."""
    start = max(0, index - width)
    chunk = text[start:index]
    newline = chunk.rfind("\n")
    return chunk[newline + 1 :] if newline >= 0 else chunk
