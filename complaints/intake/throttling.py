"""Limits on what anyone may do without logging in, shared by the web pages and the API (Redis cache in production).

Client addresses come from config.client_address (REMOTE_ADDR, or what NUM_PROXIES trusted proxies report),
so a client cannot reset a count with a forged X-Forwarded-For."""

import hashlib
from collections.abc import Iterable

from django.http import HttpRequest
from rest_framework.views import APIView

from config.client_address import client_address
from config.throttling import AtomicRateThrottle


class ClientAddressThrottle(AtomicRateThrottle):
    def get_ident(self, request: HttpRequest) -> str:
        return client_address(request)

    def get_cache_key(self, request: HttpRequest, view: APIView | None) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PublicComplaintThrottle(ClientAddressThrottle):
    """THROTTLE_PUBLIC_COMPLAINT per client address (default 10 an hour): the form and the API together."""

    scope = "public_complaint"


class StatusActionAddressThrottle(ClientAddressThrottle):
    """Replies, ratings, reopenings and manager requests from one client address, across all status links."""

    scope = "status_action_address"


class StatusActionLinkThrottle(AtomicRateThrottle):
    """The same actions on one status link, from wherever they come (the token itself never reaches the cache)."""

    scope = "status_action_link"

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token_hash = hashlib.sha256(token.encode()).hexdigest()

    def get_cache_key(self, request: HttpRequest, view: APIView | None) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.token_hash}


def first_refusal(request: HttpRequest, throttles: Iterable[AtomicRateThrottle]) -> AtomicRateThrottle | None:
    """The first throttle that says no (each one that says yes counts the request)."""
    for throttle in throttles:
        if not throttle.allow_request(request, None):
            return throttle
    return None
