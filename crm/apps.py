from typing import Any

from django.apps import AppConfig
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created


class CrmConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "crm"

    def ready(self) -> None:
        from crm import urlconverters
        from crm.staff import signals

        connection_created.connect(_register_sqlite_functions, dispatch_uid="crm.sqlite_functions")
        signals.connect()
        urlconverters.register()


def _register_sqlite_functions(sender: type, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """SQLite has no sha256() of bytes: the outbox's bulk INSERT computes Message-IDs with this instead."""
    if connection.vendor == "sqlite":
        from crm.models import message_id_for

        connection.connection.create_function("gemdesk_message_id", 1, message_id_for, deterministic=True)
