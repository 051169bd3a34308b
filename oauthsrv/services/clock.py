"""The time the credential rules read: one function, so tests can move it without sleeping.

Secret overlaps end and used assertions expire by this clock. Tests replace `now` (the
`clock` fixture in tests/conftest.py); nothing else should.
"""

from datetime import UTC, datetime, timedelta


def now() -> datetime:
    """Naive UTC now, as every timestamp is stored (models/base.py)."""
    return datetime.now(UTC).replace(tzinfo=None)


def timestamp() -> float:
    """Now as seconds since the epoch (for JWT claims)."""
    return now().replace(tzinfo=UTC).timestamp()


def later(seconds: float) -> datetime:
    """Naive UTC `seconds` from now."""
    return now() + timedelta(seconds=seconds)
