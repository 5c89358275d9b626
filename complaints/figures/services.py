"""Writes of the figures: keeping each case's facts (the rollup) derived from its events."""

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from complaints.figures.facts import facts_from_events
from complaints.models import Case, CaseFacts, CaseFactsStale

FACTS_BATCH = 2000
# Take up to N stale marks that no other refresh holds, and delete them.
CLAIM_STALE = """
DELETE FROM complaints_casefactsstale WHERE case_id IN (
    SELECT case_id FROM complaints_casefactsstale LIMIT %s FOR UPDATE SKIP LOCKED
) RETURNING case_id
"""
FACT_FIELDS = [field.name for field in CaseFacts._meta.fields if not field.primary_key]


def facts_refresh(case_ids: list[int]) -> int:
    """Derive these cases' facts from their events and write them (inserted or replaced). Call in a
    transaction."""
    facts = facts_from_events(case_ids)
    CaseFacts.objects.bulk_create(facts, update_conflicts=True, unique_fields=["case"], update_fields=FACT_FIELDS)
    return len(facts)


@transaction.atomic
def facts_catch_up(*, limit: int = FACTS_BATCH) -> int:
    """Bring stale facts up to date (at most `limit` cases); returns how many. The stale marks are deleted
    before the events are read, so an event committed meanwhile marks its case stale again and is never
    missed. Without PostgreSQL's triggers (SQLite, the demo) every case is derived again: a few hundred."""
    if connection.vendor != "postgresql":
        return sum(facts_refresh(ids) for ids in _case_ids_in_batches())
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_STALE, [limit])
        case_ids = [row[0] for row in cursor.fetchall()]
    return facts_refresh(case_ids) if case_ids else 0


CAUGHT_UP_KEY = "figures:caught-up"


def facts_catch_up_now_and_then() -> None:
    """What a read of the figures does first: derive the stale facts, at most once every
    FIGURES_CACHE_SECONDS (whoever reads first does it), so the figures are never more than twice that
    behind the events (beat catches up every minute too)."""
    seconds = settings.FIGURES_CACHE_SECONDS
    if seconds and not cache.add(CAUGHT_UP_KEY, True, seconds):
        return
    facts_catch_up()


def _case_ids_in_batches() -> "list[list[int]]":
    batches, last = [], 0
    while ids := list(Case.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:FACTS_BATCH]):
        batches.append(ids)
        last = ids[-1]
    return batches


def facts_rebuild() -> int:
    """Every case's facts derived again from its events, a batch per transaction (manage.py rebuild_figures).
    The stale marks go first: whatever happens meanwhile marks its case again."""
    CaseFactsStale.objects.all().delete()
    rebuilt = 0
    for case_ids in _case_ids_in_batches():
        with transaction.atomic():
            rebuilt += facts_refresh(case_ids)
    if connection.vendor == "postgresql":
        # Every row was rewritten: without fresh statistics the planner takes 90 days for 400 rows, and the
        # cases behind a figure took 200 ms instead of 40.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE complaints_casefacts")
    return rebuilt
