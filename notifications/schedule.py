"""When to try again: exponential backoff with jitter, and villagers' quiet hours."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, timezone

# China Standard Time has been UTC+8 without daylight saving since 1991, so a fixed offset
# is exact and needs no tz database (Asia/Shanghai).
CHINA_TZ = timezone(timedelta(hours=8), "CST")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, capped, honouring the provider's Retry-After.

    Parameters
    ----------
    base
        Seconds before the first retry (before jitter).
    cap
        The longest wait in seconds.
    max_attempts
        Attempts after which a message still failing goes to dead letters.
    jitter
        Fraction of the delay that is random: the delay is drawn from
        ``[delay * (1 - jitter), delay]``.
    """

    base: float = 5.0
    cap: float = 3600.0
    max_attempts: int = 8
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.base <= 0:
            raise ValueError(f"RetryPolicy.base must be > 0, got {self.base!r}")
        if self.cap < self.base:
            raise ValueError(f"RetryPolicy.cap must be >= base, got {self.cap!r}")
        if self.max_attempts < 1:
            raise ValueError(f"RetryPolicy.max_attempts must be >= 1, got {self.max_attempts!r}")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"RetryPolicy.jitter must be in [0, 1], got {self.jitter!r}")

    def delay(self, attempts: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait after ``attempts`` failed attempts (1 for the first failure)."""
        exponential: float = min(self.cap, self.base * 2.0 ** max(0, attempts - 1))
        jittered = exponential * (1 - self.jitter * rng.random())
        # Retry-After is a floor the provider set, so it wins even over the cap.
        return max(jittered, retry_after or 0.0)


@dataclass(frozen=True)
class QuietHours:
    """No non-urgent SMS to villagers from ``start`` to ``end``, local time in ``tz``."""

    start: time = time(22, 0)
    end: time = time(7, 0)
    tz: timezone = field(default=CHINA_TZ)

    def is_quiet(self, at: datetime) -> bool:
        local = at.astimezone(self.tz).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_end(self, at: datetime) -> datetime:
        """The first moment at or after ``at`` when quiet hours end, in UTC."""
        local = at.astimezone(self.tz)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end < local:
            end += timedelta(days=1)
        return end.astimezone(UTC)
