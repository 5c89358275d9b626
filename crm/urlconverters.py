"""What may appear in a URL where we look something up by it: anything else is a 404 from the URL
resolver, before a query (a NUL byte in a token was a 500 on PostgreSQL, which refuses NUL in text).
Registered by crm's AppConfig, before any URL module is read."""

from django.urls import register_converter


class ReferenceConverter:
    """A case reference as typed in a URL (GD-000123); its case is looked up by exact match."""

    regex = r"[A-Za-z0-9-]{1,20}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class TokenConverter(ReferenceConverter):
    """A private link's key: URL-safe base64 (status links) or Django's signed value (stop-notices links)."""

    regex = r"[A-Za-z0-9_:.-]{1,200}"


class WordConverter(ReferenceConverter):
    """An action or kind named in a URL (reply, rejected)."""

    regex = r"[a-z_-]{1,30}"


def register() -> None:
    register_converter(ReferenceConverter, "reference")
    register_converter(TokenConverter, "token")
    register_converter(WordConverter, "word")
