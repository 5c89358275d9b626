"""The figures where people read them: the dashboard (executives' and managers' home), GET figures/, the
figures' CSV and the cases behind each figure, for each role and scope; bad filters answer with the field
and the reason; the page costs the same number of queries for 3 cases or 30."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from complaints.cases import services as case_services
from complaints.resolution import services as resolution
from tests.complaints.factories import CategoryFactory, make_case
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db
FIGURES = reverse("complaints:figures")
CASES_BEHIND = reverse("complaints:figure-cases")
FIGURES_CSV = reverse("complaints:figures-csv")
API = "/api/v1/figures/"


@pytest.fixture
def north_and_south(alice, bob, charlie, lena):
    """Two North cases (one handed over twice and resolved), one South case, one in the queue."""
    billing = CategoryFactory(slug="billing", name="Billing <b>&</b> refunds")
    shuffled = make_case(by=alice, category=billing, subject="Charged twice")
    case_services.case_handover(case=shuffled, to="bob", reason="Bob knows the billing system", by=alice)
    case_services.case_handover(case=shuffled, to="alice", reason="Back to Alice after Bob's shift", by=bob)
    resolution.case_resolve(case=shuffled, by=alice, resolution_summary="Refunded", root_cause="system")
    make_case(by=bob, subject="Router lost")
    make_case(by=charlie, subject="South's case")
    make_case(subject="Nobody's yet")
    return shuffled


def rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.mark.parametrize(("persona", "status"), [("alice", 403), ("lena", 200), ("mona", 200), ("erin", 200)])
def test_who_sees_the_figures(request, as_user, api_as, north_and_south, persona, status):
    user = request.getfixturevalue(persona)
    assert as_user(user).get(FIGURES).status_code == status
    assert as_user(user).get(FIGURES_CSV).status_code == status
    assert as_user(user).get(CASES_BEHIND).status_code == status
    assert api_as(user).get(API).status_code == status


def test_nobody_logged_in_sees_nothing(client, api, north_and_south):
    assert client.get(FIGURES).status_code == 302
    assert client.get(CASES_BEHIND).status_code == 302
    assert api.get(API).status_code in (401, 403)


def test_executives_and_managers_start_from_the_figures_and_agents_from_their_cases(as_user, alice, mona, erin):
    assert as_user(erin).get("/").url == FIGURES
    assert as_user(mona).get("/").url == FIGURES
    assert as_user(alice).get("/").url == reverse("complaints:my-cases")
    assert b">Figures</a>" in as_user(erin).get(reverse("complaints:case-search")).content
    assert b">Figures</a>" not in as_user(alice).get(reverse("complaints:case-search")).content


def test_the_api_counts_in_words_and_a_lead_sees_their_teams(api_as, north_and_south, lena, mona, charlie):
    everyone = api_as(mona).get(API).json()
    assert (everyone["complaints"], everyone["handovers"], everyone["resolved"]) == (4, 2, 1)
    assert everyone["handed_over_more_than_once"] == 1 and everyone["handovers_per_100_cases"] == 50.0
    assert everyone["previous"]["complaints"] == 0
    assert everyone["per_week"][-1]["complaints"] == 4
    assert everyone["open_by_age"]["open_under_1_day"] == 3
    north = api_as(lena).get(API).json()
    assert north["complaints"] == 2  # South's case and the queue's are not her team's
    south_team = charlie.staff_profile.team_id
    refused = api_as(lena).get(API, {"team": south_team})
    assert refused.status_code == 400 and "team" in refused.json()["errors"]
    assert api_as(mona).get(API, {"team": south_team}).json()["complaints"] == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-12-01", "to": "2026-11-01"}, "to"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "from"),
        ({"from": "0001-01-01", "to": "0001-01-02"}, "from"),
        ({"to": "9999-12-31"}, "to"),
        ({"channel": "pigeon"}, "channel"),
        ({"category": "no-such-category"}, "category"),
        ({"service": "abc"}, "service"),
    ],
)
def test_a_bad_filter_names_the_field(api_as, as_user, mona, params, field):
    response = api_as(mona).get(API, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    page = as_user(mona).get(FIGURES, params)
    assert page.status_code == 400 and b'role="alert"' in page.content


def test_the_dashboard_shows_and_links_every_figure(as_user, north_and_south, mona):
    page = as_user(mona).get(FIGURES)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Complaints per week" in html and "<svg" in html
    # A category's name is shown as text, in the table and the chart's labels, never as markup.
    assert "Billing &lt;b&gt;&amp;&lt;/b&gt; refunds" in html and "<b>&</b>" not in html
    assert "Cases handed over more than once" in html
    # The period picker's shortcuts keep the other filters; the default (28 days) is marked chosen.
    assert 'aria-current="true">Last 28 days</a>' in html and ">Last 90 days</a>" in html
    # Every app's section is there.
    assert "Staff suggestions" in html and "Hero stories" in html
    link = f"{CASES_BEHIND}?"
    assert html.count(link) > 20
    behind = as_user(mona).get(CASES_BEHIND, {"figure": "handed_over_more_than_once"})
    assert behind.status_code == 200
    assert north_and_south.reference in behind.content.decode() and "Router lost" not in behind.content.decode()
    assert "Handed over more than once" in behind.content.decode()


def test_the_cases_behind_a_figure_respect_the_filter_and_download_as_csv(as_user, north_and_south, mona):
    params = {"figure": "complaints", "category": "billing", "format": "csv"}
    table = rows(as_user(mona).get(CASES_BEHIND, params))
    assert [row[0] for row in table[1:]] == [north_and_south.reference]
    assert as_user(mona).get(CASES_BEHIND, {"figure": "no_such_figure"}).status_code == 404


def test_the_figures_csv_neutralises_formulas_and_compares_periods(as_user, alice, mona):
    CategoryFactory(slug="formula", name='=HYPERLINK("http://evil.test")')
    make_case(by=alice, category=CategoryFactory(slug="formula"))
    table = rows(as_user(mona).get(FIGURES_CSV))
    assert table[0] == ["period", "figure", "of", "value", "previous period"]
    complaints = next(row for row in table if row[1] == "complaints" and not row[0].startswith("week"))
    assert complaints[3:] == ["1", "0"]
    by_category = [row for row in table if row[1] == "complaints by category"]
    assert by_category and all(not row[2].startswith("=") for row in table)


def test_open_cases_by_age_ignore_the_period_and_link_to_the_cases(as_user, alice, mona):
    with time_machine.travel(timezone.now() - timedelta(days=40), tick=False):
        old = make_case(by=alice, customer=CustomerFactory(), subject="Forty days open")
    page = as_user(mona).get(FIGURES).content.decode()
    assert "Open now, by age" in page
    behind = as_user(mona).get(CASES_BEHIND, {"figure": "open_over_30_days"}).content.decode()
    assert old.reference in behind and "open now" in behind


# What one dashboard costs in queries, however many cases: the session and user, the catch-up, the figures
# (both periods in one pass, weeks, teams, age bands, incidents), the filter's lists and each app's section.
DASHBOARD_QUERIES = 27
CASES_BEHIND_QUERIES = 14


def test_the_dashboard_costs_the_same_queries_for_3_cases_or_30(as_user, alice, mona, django_assert_num_queries):
    client = as_user(mona)
    for _ in range(3):
        make_case(by=alice)
    client.get(FIGURES)  # the first read after a change derives the changed cases' facts
    with django_assert_num_queries(DASHBOARD_QUERIES):
        assert client.get(FIGURES).status_code == 200
    for _ in range(27):
        make_case(by=alice)
    client.get(FIGURES)
    with django_assert_num_queries(DASHBOARD_QUERIES):
        assert client.get(FIGURES).status_code == 200
    with django_assert_num_queries(CASES_BEHIND_QUERIES):
        assert client.get(CASES_BEHIND).status_code == 200


def test_the_schema_documents_the_figures(api_as, mona):
    schema = api_as(mona).get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/figures/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "team", "category", "channel", "service"}
    response = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = schema["components"]["schemas"][response]["properties"]
    assert {"complaints", "handovers", "resolved", "previous", "per_week", "open_by_age"} <= set(properties)


def test_figures_are_shared_for_the_window_and_catch_up_after_it(settings, as_user, alice, mona, lena):
    settings.FIGURES_CACHE_SECONDS = 30
    make_case(by=alice)
    api = as_user(mona)
    assert api.get(API).json()["complaints"] == 1
    make_case(by=alice)
    # Within the window everyone reads figures of the facts as they were at its start.
    assert api.get(API).json()["complaints"] == 1
    assert as_user(lena).get(API).json()["complaints"] == 1
    cache.clear()  # the window has passed
    assert api.get(API).json()["complaints"] == 2
    assert as_user(lena).get(API).json()["complaints"] == 2
