"""One per-address limit on public complaints, shared by the web form and the API (Redis cache in production)."""

from rest_framework.throttling import SimpleRateThrottle


class PublicComplaintThrottle(SimpleRateThrottle):
    """THROTTLE_PUBLIC_COMPLAINT per client address (default 10 an hour). The address is REMOTE_ADDR,
    or the one NUM_PROXIES trusted proxies report, so a client cannot reset it with X-Forwarded-For."""

    scope = "public_complaint"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
