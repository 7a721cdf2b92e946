"""What the content service refuses, each with a message a person understands."""

from __future__ import annotations


class ContentError(ValueError):
    """Something the author asked for cannot be done; the message says why."""


class StaleEdit(ContentError):
    """The thing being saved changed since the author opened it."""

    def __init__(self, message: str, current: str = "", attempted: str = "") -> None:
        super().__init__(message)
        self.current = current
        self.attempted = attempted


class PublishBlocked(ContentError):
    """Publishing is refused until the listed problems are dealt with."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("This post cannot be published yet: " + "; ".join(reasons))
        self.reasons = reasons
