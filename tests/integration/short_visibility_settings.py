"""Settings for the one test that needs Redis to hand a running task to a second worker process: a
visibility timeout (20 s) shorter than the task (30 s), which config/settings.py refuses for good
reason. The unacknowledged messages are looked at every 2 s instead of kombu's default 100 s."""

from config.settings import *  # noqa: F403

CELERY_VISIBILITY_TIMEOUT = 20
_TRANSPORT = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT, "unacked_restore_interval": 2}
CELERY_BROKER_TRANSPORT_OPTIONS = {**_TRANSPORT, "unacked_restore_throttle": 1}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = _TRANSPORT
