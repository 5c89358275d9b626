"""Prometheus metrics at /metrics, for the operator: how long each view takes, how the outbox and the
incident notices are going, promises coming due, and what waits in Celery's queue.

Request latency is measured in each process (PROMETHEUS_MULTIPROC_DIR makes gunicorn's workers share
it); everything else is read from PostgreSQL and Redis when Prometheus scrapes, so the workers that send
email pay nothing for it. The page answers only a bearer METRICS_TOKEN, and not at all without one.
"""

import secrets
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

REQUEST_SECONDS = Histogram(
    "gemdesk_http_request_duration_seconds",
    "Time from the request reaching Django to its response, by view (URL name) and method.",
    ["view", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class RequestMetricsMiddleware:
    """Times every request. The view label is the URL's name, never its path: one series per view, not per
    case reference."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        view = match.view_name if match else "unresolved"  # the URL name, or the view's dotted path
        REQUEST_SECONDS.labels(view=view, method=request.method).observe(time.perf_counter() - started)
        return response


class ReadAtScrape:
    """The figures read from the database and the broker each time Prometheus asks."""

    def collect(self) -> Iterator[Metric]:
        yield from outbox_metrics()
        yield from incident_metrics()
        yield from promise_metrics()
        yield from celery_metrics()


def outbox_metrics() -> Iterator[Metric]:
    from crm.outbox.selectors import outbox_summary, troubled_emails_by_smtp_code

    summary = outbox_summary(failed_shown=0)
    rows = GaugeMetricFamily("gemdesk_outbox_emails", "Outbox rows by state.", labels=["state"])
    for state, count in summary.by_state.items():
        rows.add_metric([state], count)
    yield rows
    # Rows are never deleted, so the sent ones only grow: rate() of this is sends per second.
    yield CounterMetricFamily("gemdesk_outbox_sent", "Emails the mail server accepted.", summary.by_state["sent"])
    oldest = summary.oldest_pending_at
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    yield GaugeMetricFamily(
        "gemdesk_outbox_oldest_pending_seconds", "Age of the oldest email not yet sent (0 when none wait).", age
    )
    troubled = GaugeMetricFamily(
        "gemdesk_outbox_problem_emails",
        'Failed emails ("failed") and emails waiting to try again ("retrying"), by the SMTP code of their last '
        'error ("none": no server answered).',
        labels=["state", "code"],
    )
    for (state, code), count in sorted(troubled_emails_by_smtp_code().items()):
        troubled.add_metric([state, code], count)
    yield troubled


def incident_metrics() -> Iterator[Metric]:
    from complaints.incidents.selectors import delivery_counts, fan_outs_in_progress

    notices = GaugeMetricFamily(
        "gemdesk_incident_notices",
        "Notices of each incident update being sent or published in the last day, by state.",
        labels=["update", "state"],
    )
    written = GaugeMetricFamily(
        "gemdesk_incident_update_fanned_out",
        "1 once every notice of the update is written to the outbox.",
        labels=["update"],
    )
    for progress in delivery_counts(updates=fan_outs_in_progress()):
        update = str(progress["update"])
        written.add_metric([update], int(progress["fanned_out"]))
        for state, count in progress["counts"].items():
            notices.add_metric([update, state], count)
    yield notices
    yield written


def promise_metrics() -> Iterator[Metric]:
    from complaints.promises.selectors import promises_coming_due

    counts = promises_coming_due()
    yield GaugeMetricFamily(
        "gemdesk_promises_due_within_hour", "Open promises due in the next hour.", counts["due_within_hour"]
    )
    yield GaugeMetricFamily("gemdesk_promises_overdue", "Open promises past their due time.", counts["overdue"])


def celery_metrics() -> Iterator[Metric]:
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        return
    import redis

    from config.celery import app

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2)
    queue = app.conf.task_default_queue
    waiting = GaugeMetricFamily("gemdesk_celery_queue_messages", "Tasks waiting for a worker.", labels=["queue"])
    try:
        waiting.add_metric([queue], broker.llen(queue))
        taken = broker.hlen("unacked")  # kombu's hash of messages a worker holds and has not acknowledged
    except redis.RedisError:
        return  # /healthz reports Redis down; a scrape still shows the rest
    yield waiting
    yield GaugeMetricFamily(
        "gemdesk_celery_unacked_messages", "Tasks a worker has taken (or holds for a retry) and not finished.", taken
    )


def _token_matches(request: HttpRequest) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(token.encode(), settings.METRICS_TOKEN.encode())


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_TOKEN:
        raise Http404
    if not _token_matches(request):
        response = HttpResponse("A bearer token is needed.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if settings.PROMETHEUS_MULTIPROC_DIR:
        in_processes = CollectorRegistry()
        MultiProcessCollector(in_processes)
    else:
        in_processes = REGISTRY
    at_scrape = CollectorRegistry()
    at_scrape.register(ReadAtScrape())
    body = generate_latest(in_processes) + generate_latest(at_scrape)
    return HttpResponse(body, content_type="text/plain; version=0.0.4; charset=utf-8")
