"""Rate limits kept atomically in the cache, so that requests sent at once cannot slip past them.

DRF's SimpleRateThrottle reads its list of request times from the cache, appends, and writes it back:
requests that arrive together all read the same list, and 40 complaints sent at once from one address
were all accepted under a limit of 10 an hour. Here each request's time goes into a Redis sorted set in
one MULTI/EXEC with the removal of times older than the period and the count, so exactly the limit gets
through however many arrive at once, in one round trip. The rule is DRF's: at most `num_requests` in
any `duration` seconds. A refused request is taken out again, so a client that waits as long as
Retry-After says is let in.

Other cache backends (local memory, in development) are kept atomic by a lock within the process.
"""

import math
import threading
import uuid
from typing import TYPE_CHECKING

from django.core.cache import DEFAULT_CACHE_ALIAS, BaseCache, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest
from rest_framework import throttling

if TYPE_CHECKING:  # rest_framework.views imports this module, through the throttle settings
    from rest_framework.views import APIView

_IN_PROCESS = threading.Lock()


class AtomicRateThrottle(throttling.SimpleRateThrottle):
    """SimpleRateThrottle's rates, scopes and rule, counted atomically."""

    # Not DRF's key: its keys hold a pickled list, which a sorted set's commands would refuse.
    cache_format = "throttle:%(scope)s:%(ident)s"
    num_requests: int
    duration: int
    wait_seconds = 0.0

    def allow_request(self, request: HttpRequest, view: "APIView | None") -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)  # type: ignore[arg-type]  # also a Django view's request, no view
        if key is None:
            return True
        now, this_request = self.timer(), uuid.uuid4().hex
        backend = self._backend()
        if isinstance(backend, RedisCache):
            key = backend.make_and_validate_key(key)
            client = backend._cache.get_client(key, write=True)
            counting = client.pipeline(transaction=True)
            counting.zremrangebyscore(key, "-inf", now - self.duration)
            counting.zadd(key, {this_request: now})
            counting.expire(key, self.duration)
            counting.zcard(key)
            if counting.execute()[-1] <= self.num_requests:
                return True
            # Refused: not counted. Room opens when enough of the others are `duration` old.
            uncounting = client.pipeline(transaction=True)
            uncounting.zrem(key, this_request)
            uncounting.zrange(key, 0, -1, withscores=True)
            others = [at for _, at in uncounting.execute()[-1]]
        else:
            with _IN_PROCESS:
                others = [at for at in backend.get(key, []) if at > now - self.duration]
                if len(others) < self.num_requests:
                    backend.set(key, [*others, now], self.duration)
                    return True
        self.wait_seconds = self._seconds_until_room(sorted(others), now)
        return False

    def _seconds_until_room(self, others: list[float], now: float) -> float:
        """One more request fits once all but num_requests - 1 of the `others` are `duration` old."""
        must_age = len(others) - self.num_requests
        if must_age < 0:  # others were refused or aged out meanwhile: there is room already
            return 1.0
        if self.num_requests == 0:
            return self.duration
        return others[must_age] + self.duration - now

    def _backend(self) -> BaseCache:
        # DRF's `cache` is Django's `cache`, a stand-in for this thread's default cache: find which it is.
        return caches[DEFAULT_CACHE_ALIAS] if self.cache is cache else self.cache

    def wait(self) -> int:
        """Whole seconds until a request is let in (Retry-After), at least one."""
        return max(1, math.ceil(self.wait_seconds))


# DRF's own classes first: ScopedRateThrottle finds its rate in allow_request, then calls this one's.
class AnonRateThrottle(throttling.AnonRateThrottle, AtomicRateThrottle):
    pass


class UserRateThrottle(throttling.UserRateThrottle, AtomicRateThrottle):
    pass


class ScopedRateThrottle(throttling.ScopedRateThrottle, AtomicRateThrottle):
    pass
