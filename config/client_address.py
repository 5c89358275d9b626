"""The one notion of a client's address: throttles and the login lockout (django-axes) both use it.

Behind NUM_PROXIES trusted proxies the client is the address the outermost of them reported (the
proxies must overwrite, not append to, what the client sent); with none, REMOTE_ADDR. A client can
then never pick its own address with a forged X-Forwarded-For."""

from django.http import HttpRequest
from rest_framework.settings import api_settings


def client_address(request: HttpRequest) -> str:
    remote_addr = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    proxies = api_settings.NUM_PROXIES or 0
    if proxies == 0 or not forwarded:
        return remote_addr
    addresses = [address.strip() for address in forwarded.split(",")]
    return addresses[-min(proxies, len(addresses))] or remote_addr
