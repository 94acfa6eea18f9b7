"""Fixed-window rate limits kept in Django's cache.

With the default in-process cache each web process counts on its own, so the effective
limit is the configured one times the number of processes; point ``HEEDBACK_CACHE_URL``
at Redis to share the count between processes and machines.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from heedback.core.errors import ServiceError


class RateLimited(ServiceError):
    """Too many requests in the current window; ``retry_after`` says when to come back."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many requests. Try again in {retry_after} seconds.")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limit:
    requests: int
    seconds: int


def limit_for(name: str) -> Limit:
    """Return the configured limit called ``name`` (settings.RATE_LIMITS)."""
    requests, seconds = settings.RATE_LIMITS[name]
    return Limit(requests, seconds)


def check(name: str, subject: str) -> None:
    """Count one request of ``subject`` against limit ``name``; raise RateLimited past it."""
    limit = limit_for(name)
    if limit.requests <= 0:
        return
    now = time.time()
    window = int(now // limit.seconds)
    key = f"ratelimit:{name}:{subject}:{window}"
    # add() creates the counter atomically the first time; incr() is atomic in every
    # cache backend Django ships, so two processes never both see the last free slot.
    if cache.add(key, 1, timeout=limit.seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=limit.seconds + 1)
            count = 1
    if count > limit.requests:
        retry_after = max(1, int((window + 1) * limit.seconds - now + 0.999))
        raise RateLimited(retry_after)
