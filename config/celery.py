"""The one Celery app. Its settings live in config/settings.py under the CELERY_ prefix."""

import os
from typing import Any

from celery import Celery, Task
from celery.signals import after_setup_logger, after_setup_task_logger, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("gemdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _recycle_database_connections(task: Task | None = None, **kwargs: Any) -> None:
    """Give each task Django's request lifecycle for connections: drop them when older than
    CONN_MAX_AGE or broken (CONN_HEALTH_CHECKS), else reuse them. Celery's own fixup would close
    them around every task (CELERY_DB_REUSE_MAX unset), a new PostgreSQL backend per task."""
    if task is not None and getattr(task.request, "is_eager", False):
        return  # an eager task runs inside the caller's request or transaction
    from django.db import close_old_connections

    close_old_connections()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _mask_personal_data(logger: Any = None, **kwargs: Any) -> None:
    """A worker replaces the handlers of Django's LOGGING with its own: give them the same mask."""
    from config.logging import MaskPersonalDataFilter

    for handler in logger.handlers:
        handler.addFilter(MaskPersonalDataFilter())
