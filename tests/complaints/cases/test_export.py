"""Case lists as CSV files: the list's own search and filters and scope, leads and up, streamed, UTF-8 with
a byte order mark, and nothing a customer typed ever runs as a spreadsheet formula."""

import csv
import io

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from complaints.cases import selectors
from crm.spreadsheets import neutralised
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db

EXPORT = "/api/v1/cases/export/"


def rows_of(response) -> list[dict[str, str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_the_export_is_the_filtered_list_with_names_in_any_script(api_as, alice, mona):
    yamamoto = CustomerFactory(full_name="山本　英樹")
    wanted = make_case(by=alice, customer=yamamoto, subject="Router blinks red")
    make_case(by=alice, subject="Another matter")  # another customer: filtered out by q

    response = api_as(mona).get(EXPORT, {"q": "山本"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="cases.csv"'
    (row,) = rows_of(response)
    assert list(row) == selectors.CASE_EXPORT_HEADER
    assert (row["reference"], row["customer"], row["subject"]) == (wanted.reference, "山本　英樹", "Router blinks red")
    assert row["owner"] == "Alice" and row["status"] == wanted.status


@pytest.mark.parametrize("typed", ['=HYPERLINK("http://evil.test")', "+1+1", "-2+3", "@SUM(A1)"])
def test_nothing_a_customer_typed_runs_as_a_formula(api_as, alice, mona, typed):
    make_case(by=alice, customer=CustomerFactory(full_name=typed), subject=typed)
    (row,) = rows_of(api_as(mona).get(EXPORT))
    assert row["subject"] == row["customer"] == "'" + typed


def test_cells_starting_with_a_tab_or_return_are_neutralised_too_and_plain_ones_kept():
    assert [neutralised(v) for v in ["\tx", "\rx", "Plain text", None, 7]] == ["'\tx", "'\rx", "Plain text", "", "7"]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("anonymous", 401), ("alice", 403), ("bob", 403), ("lena", 200), ("mona", 200), ("erin", 200)],
)
def test_leads_and_up_export(request, api, api_as, alice, persona, expected):
    make_case(by=alice)
    client = api if persona == "anonymous" else api_as(request.getfixturevalue(persona))
    assert client.get(EXPORT).status_code == expected


def test_a_lead_exports_only_what_they_may_see(settings, api_as, alice, charlie, lena):
    settings.CASE_VISIBILITY = "team"
    north = make_case(by=alice)
    make_case(by=charlie)  # Team South
    assert [row["reference"] for row in rows_of(api_as(lena).get(EXPORT))] == [north.reference]


def test_rows_are_read_in_one_query_however_many(api_as, alice, mona, django_assert_max_num_queries):
    for _ in range(3):
        make_case(by=alice)
    client = api_as(mona)
    with django_assert_max_num_queries(6) as captured:
        rows_of(client.get(EXPORT))
    few = len(captured)
    for _ in range(20):
        make_case(by=alice)
    with django_assert_max_num_queries(few):
        assert len(rows_of(client.get(EXPORT))) == 23


def test_the_case_search_page_offers_the_download_to_leads(as_user, alice, lena):
    make_case(by=alice)
    page = reverse("complaints:case-search")
    assert "Download these cases (CSV)" in as_user(lena).get(page, {"q": "GD"}).content.decode()
    assert "Download these cases (CSV)" not in as_user(alice).get(page, {"q": "GD"}).content.decode()
