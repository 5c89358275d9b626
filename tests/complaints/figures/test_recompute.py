"""The figures come from the events, and the rollup never drifts from them: cases with random histories made
through the services over eight weeks (the demo's histories), then for a random sample of filters every
figure is recomputed here from the raw events (an independent reading of the rules, in plain Python) and
compared with what the dashboard shows. The rebuild command derives the same rollup from scratch."""

import random
import statistics
from datetime import date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from complaints.demo import case_history
from complaints.figures import selectors, services
from complaints.figures.selectors import FigureFilter
from complaints.models import CaseEvent, CaseFacts, CaseFactsStale, EventKind
from tests.complaints.factories import CategoryFactory, make_case
from tests.crm.factories import CustomerFactory, ServiceFactory, StaffFactory

pytestmark = pytest.mark.django_db
TZ = timezone.get_default_timezone()
START = datetime(2026, 9, 7, 9, 0, tzinfo=TZ)  # a Monday
WEEKS = 8


@pytest.fixture
def history(alice, bob, charlie, lena, mona):
    """40 cases over eight weeks, each with a random history written through the services (the demo's)."""
    rng = random.Random(20261206)
    StaffFactory(username="dana", role="lead", team_name="Team South", leads_team=True)
    categories = [
        CategoryFactory(slug="billing", name="Billing"),
        CategoryFactory(slug="delivery", name="Delivery"),
        None,
    ]
    services_used = [ServiceFactory(slug="broadband", name="Broadband"), ServiceFactory(slug="tv", name="TV"), None]
    end = START + timedelta(weeks=WEEKS + 2)
    for _ in range(40):
        case_history(
            rng,
            START + timedelta(hours=rng.randrange(WEEKS * 7 * 24)),
            customer=CustomerFactory(),
            agents=[alice, bob, charlie],
            categories=categories,
            services=services_used,
            now=end,
        )
    return {"teams": [alice.staff_profile.team_id, charlie.staff_profile.team_id]}


# --- The figures again, from the raw events ----------------------------------------------------------------


def percentile(values, fraction):
    values = sorted(values)
    if not values:
        return None
    position = (len(values) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def seconds(since, until):
    """Whole seconds, as the figures count time."""
    return int((until - since).total_seconds())


def hours(value):
    return None if value is None else round(value / 3600, 1)


def from_raw_events(f: FigureFilter) -> dict:
    since = timezone.make_aware(datetime.combine(f.start, datetime.min.time()))
    until = timezone.make_aware(datetime.combine(f.end + timedelta(days=1), datetime.min.time()))
    per_case = {}
    for event in CaseEvent.objects.select_related("case__category", "case__owner__staff_profile").order_by(
        "created_at", "id"
    ):
        case = event.case
        team = case.owner.staff_profile.team_id if case.owner else None
        if f.team is not None and team != f.team:
            continue
        if f.teams is not None and team not in f.teams:
            continue
        if f.category and (case.category is None or case.category.slug != f.category):
            continue
        if f.channel and case.channel != f.channel:
            continue
        if f.service is not None and case.service_id != f.service:
            continue
        if not since <= case.opened_at < until:
            continue
        per_case.setdefault(case, []).append(event)
    ack, reply, resolve, ratings = [], [], [], []
    counts = dict.fromkeys(
        ["resolved", "fcr", "handovers", "twice", "lead", "manager", "customer", "on_time", "late", "moved", "broken"]
        + ["withdrawn", "reopened"],
        0,
    )
    for case, events in per_case.items():
        kinds = [e.kind for e in events]
        opened = case.opened_at
        if case.acknowledged_at:
            ack.append(seconds(opened, case.acknowledged_at))
        replies = [e.created_at for e in events if e.kind in (EventKind.MESSAGE_OUT, EventKind.CALL_LOGGED)]
        if replies:
            reply.append(seconds(opened, replies[0]))
        resolutions = [e for e in events if e.kind == EventKind.RESOLVED]
        reopened = kinds.count(EventKind.REOPENED)
        if resolutions:
            counts["resolved"] += 1
            resolve.append(seconds(opened, resolutions[0].created_at))
            counts["fcr"] += any(e.data.get("first_contact") for e in resolutions) and not reopened
        counts["reopened"] += bool(reopened)
        handovers = kinds.count(EventKind.HANDED_OVER)
        counts["handovers"] += handovers
        counts["twice"] += handovers > 1
        escalations = [e.data for e in events if e.kind == EventKind.ESCALATED]
        counts["lead"] += sum(d.get("level") == "lead" for d in escalations)
        counts["manager"] += sum(d.get("level") == "manager" for d in escalations)
        counts["customer"] += sum(d.get("requested_by") == "customer" for d in escalations)
        kept = [e.data["on_time"] for e in events if e.kind == EventKind.PROMISE_KEPT]
        counts["on_time"] += kept.count(True)
        counts["late"] += kept.count(False)
        counts["moved"] += kinds.count(EventKind.PROMISE_RESCHEDULED)
        counts["broken"] += kinds.count(EventKind.PROMISE_BROKEN)
        counts["withdrawn"] += kinds.count(EventKind.PROMISE_WITHDRAWN)
        scores = [e.data["score"] for e in events if e.kind == EventKind.RATED]
        if scores:
            ratings.append(scores[-1])
    complaints = len(per_case)
    resolved = counts["resolved"]
    return {
        "complaints": complaints,
        "acknowledged": len(ack),
        "acknowledge_median_hours": hours(percentile(ack, 0.5)),
        "acknowledge_p90_hours": hours(percentile(ack, 0.9)),
        "replied": len(reply),
        "first_reply_median_hours": hours(percentile(reply, 0.5)),
        "first_reply_p90_hours": hours(percentile(reply, 0.9)),
        "resolved": resolved,
        "resolve_median_hours": hours(percentile(resolve, 0.5)),
        "resolve_p90_hours": hours(percentile(resolve, 0.9)),
        "resolved_on_first_contact": counts["fcr"],
        "first_contact_resolution_share": round(counts["fcr"] / resolved, 3) if resolved else None,
        "handovers": counts["handovers"],
        "handovers_per_100_cases": round(counts["handovers"] * 100 / complaints, 1) if complaints else None,
        "handed_over_more_than_once": counts["twice"],
        "escalations_to_lead": counts["lead"],
        "escalations_to_manager": counts["manager"],
        "escalations_to_executive": 0,
        "escalations_asked_by_customer": counts["customer"],
        "promises_kept_on_time": counts["on_time"],
        "promises_kept_late": counts["late"],
        "promises_rescheduled_before_due": counts["moved"],
        "promises_broken": counts["broken"],
        "promises_withdrawn": counts["withdrawn"],
        "ratings": len(ratings),
        "average_rating": round(statistics.mean(ratings), 2) if ratings else None,
        "rated_share": round(len(ratings) / resolved, 3) if resolved else None,
        "low_ratings": sum(score <= 2 for score in ratings),
        "reopened": counts["reopened"],
        "reopened_share": round(counts["reopened"] / resolved, 3) if resolved else None,
    }


def random_filters(rng, teams, count):
    first = START.date()
    for _ in range(count):
        start = first + timedelta(days=rng.randrange(-7, WEEKS * 7))
        end = start + timedelta(days=rng.randrange(0, 40))
        yield FigureFilter(
            start=start,
            end=end,
            team=rng.choice([None, None, *teams]),
            category=rng.choice(["", "", "billing", "delivery"]),
            channel=rng.choice(["", "", "web", "email", "phone"]),
        )


def test_every_figure_is_what_the_raw_events_say_for_a_random_sample_of_filters(history):
    rng = random.Random(7)
    assert CaseFactsStale.objects.exists()  # the triggers marked every changed case
    services.facts_catch_up(limit=10_000)
    compared = 0
    for figure_filter in [
        FigureFilter(start=START.date() - timedelta(days=7), end=START.date() + timedelta(weeks=WEEKS + 4)),
        *random_filters(rng, history["teams"], 25),
    ]:
        current, previous = selectors.headline_figures(figure_filter)
        expected = from_raw_events(figure_filter)
        assert {key: current[key] for key in expected} == expected, figure_filter
        assert {key: previous[key] for key in expected} == from_raw_events(figure_filter.previous())
        compared += expected["complaints"]
    whole = from_raw_events(FigureFilter(start=date(2026, 1, 1), end=date(2026, 12, 31)))
    # The sample is not empty: the histories hold every kind of figure.
    assert whole["complaints"] == 40 and compared > 100
    for key in (
        "handovers",
        "escalations_to_lead",
        "promises_kept_on_time",
        "promises_kept_late",
        "promises_rescheduled_before_due",
        "promises_broken",
        "ratings",
        "reopened",
        "resolved_on_first_contact",
    ):
        assert whole[key] > 0, key


def test_a_lead_sees_only_their_teams_figures(history, lena):
    services.facts_catch_up(limit=10_000)
    everything = FigureFilter(start=date(2026, 1, 1), end=date(2026, 12, 31))
    north = FigureFilter(start=date(2026, 1, 1), end=date(2026, 12, 31), teams=(lena.staff_profile.team_id,))
    current, expected = selectors.headline_figures(north)[0], from_raw_events(north)
    assert {key: current[key] for key in expected} == expected
    assert 0 < current["complaints"] < selectors.headline_figures(everything)[0]["complaints"]


def test_the_rebuild_command_derives_the_same_rollup_from_scratch(history, capsys):
    services.facts_catch_up(limit=10_000)
    kept = {f.case_id: f for f in CaseFacts.objects.all()}
    fields = services.FACT_FIELDS
    CaseFacts.objects.all().delete()
    call_command("rebuild_figures")
    assert "Derived the facts of 40 cases" in capsys.readouterr().out
    rebuilt = {f.case_id: f for f in CaseFacts.objects.all()}
    assert rebuilt.keys() == kept.keys()
    for case_id, facts in rebuilt.items():
        assert [getattr(facts, name) for name in fields] == [getattr(kept[case_id], name) for name in fields]
    assert not CaseFactsStale.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the stale marks are PostgreSQL triggers")
def test_an_event_written_by_any_path_marks_its_case_stale(alice):
    case = make_case(by=alice)
    services.facts_catch_up()
    assert not CaseFactsStale.objects.filter(case=case).exists()
    # Not through the services: straight into the table, as a restore or a script would.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO complaints_caseevent (case_id, kind, actor_kind, created_at, data) "
            "VALUES (%s, 'handed_over', 'system', now(), '{}')",
            [case.pk],
        )
    assert CaseFactsStale.objects.filter(case=case).exists()
    services.facts_catch_up()
    assert CaseFacts.objects.get(case=case).handovers == 1
    # A field the figures group by, changed by SQL, marks it too; a field they do not use does not.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE complaints_case SET subject = 'x' WHERE id = %s", [case.pk])
    assert not CaseFactsStale.objects.filter(case=case).exists()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE complaints_case SET channel = 'letter' WHERE id = %s", [case.pk])
    services.facts_catch_up()
    assert CaseFacts.objects.get(case=case).channel == "letter"
