"""Rate limits kept atomically in the cache, so that requests sent at once cannot slip past them.

DRF's SimpleRateThrottle reads its list of request times from the cache, appends, and writes it back:
requests that arrive together all read the same list, and 40 complaints sent at once from one address
were all accepted under a limit of 10 an hour. Here one Lua script in Redis drops the times older than
the period from a sorted set, counts the rest, and adds this request's time only if it fits: exactly the
limit gets through however many arrive at once, in one round trip. The rule is DRF's: at most
`num_requests` in any `duration` seconds. A refused request is not counted, so a client that waits as
long as Retry-After says is let in.

Other cache backends (local memory, in development) are kept atomic by a lock within the process.
"""

import functools
import math
import threading
import uuid
from typing import TYPE_CHECKING

import redis
from django.core.cache import DEFAULT_CACHE_ALIAS, BaseCache, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest
from redis.commands.core import Script
from rest_framework import throttling

if TYPE_CHECKING:  # rest_framework.views imports this module, through the throttle settings
    from rest_framework.views import APIView

_IN_PROCESS = threading.Lock()

# KEYS[1]: the sorted set of request times; ARGV: now, the newest time no longer counted, this request's id, the
# limit, the period. Returns {1} when the request is counted, else {0} and the counted times, oldest first.
COUNT_IF_ROOM = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
    redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
    redis.call('EXPIRE', KEYS[1], ARGV[5])
    return {1}
end
local counted = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local times = {0}
for i = 2, #counted, 2 do times[#times + 1] = counted[i] end
return times
"""


@functools.cache
def _count_if_room(pool: redis.ConnectionPool) -> Script:
    """The script on a client held for the pool's life: Django's cache builds a client for each call."""
    return redis.Redis(connection_pool=pool).register_script(COUNT_IF_ROOM)


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
            script = _count_if_room(backend._cache._get_connection_pool(write=True))  # type: ignore[attr-defined]
            counted, *times = script(
                keys=[key], args=[now, now - self.duration, this_request, self.num_requests, self.duration]
            )
            if counted:
                return True
            others = [float(at) for at in times]  # refused: room opens when enough of these are `duration` old
        else:
            with _IN_PROCESS:
                others = [at for at in backend.get(key, []) if at > now - self.duration]
                if len(others) < self.num_requests:
                    backend.set(key, [*others, now], self.duration)
                    return True
        self.wait_seconds = self._seconds_until_room(sorted(others), now)
        return False

    def _seconds_until_room(self, others: list[float], now: float) -> float:
        """One more request fits once all but num_requests - 1 of the `others` are `duration` old (a refusal
        saw at least num_requests of them, in the same step that counted them)."""
        if self.num_requests == 0:
            return self.duration
        return others[len(others) - self.num_requests] + self.duration - now

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
