"""The staff lists at two sizes of the case table: a list must cost the same at 10,000 cases as at 100,000
(within 20 %). The bench database holds the 100,000 (sections._seed_cases); the 10,000 are in a database of their
own, gemdesk_bench_10k, seeded the same way (run.py --cases 10000).

Each size is measured by a fresh process of its own, so neither carries the benchmark's earlier sections in its
heap, ROUNDS times in turn (10,000, 100,000, 10,000, ...), and a row keeps its round with the lowest p50: a
minute's load on the machine moved a single round's ratio by a third either way.

Run as a module, it is that child: `python -m tests.benchmarks.lists --cases 10000 --rows rows.json`.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from tests.benchmarks.harness import Report, Row, measure_requests

# Django and the apps are imported inside the functions: as the child, this module runs before Django is set up.

SMALL = 10_000
ROUNDS = 2
ROOT = Path(__file__).resolve().parents[2]


def lists(report: Report) -> None:
    """API cases list (first page, owner=me), My cases and the lead's team view, at 10,000 and 100,000 cases."""
    from tests.benchmarks import sections

    if sections.CASES == SMALL:
        _measure(report)
        return
    sizes = (SMALL, sections.CASES)
    rounds: dict[int, list[list[Row]]] = {size: [] for size in sizes}
    for _ in range(ROUNDS):
        for size in sizes:
            rounds[size].append(_measure_in_child(size))
    best = {size: [min(row, key=_p50) for row in zip(*rounds[size], strict=True)] for size in sizes}
    for size in sizes:
        report.rows.extend(best[size])
    for small, large in zip(best[SMALL], best[sections.CASES], strict=True):
        ratio = _p50(large) / _p50(small)
        name = small.what.removesuffix(f" ({SMALL:,} cases)")
        report.add(f"  {name}: p50 at {sections.CASES:,} over {SMALL:,} cases", ratio=f"{ratio:.2f}", target="<= 1.20")


def _p50(row: Row) -> float:
    return float(row.figures["p50"].removesuffix(" ms"))


def _measure(report: Report) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from complaints.cases.selectors import TEAM_CASES_SHOWN
    from crm.models import Team
    from crm.staff.services import staff_create_or_update
    from tests.benchmarks import sections

    sections._seed_cases()
    # The handovers, replies and resolutions the figures section seeds, here at both sizes: the team view counts
    # the team's handovers, and at 10,000 cases (a database of its own) nothing else seeds them.
    sections._seed_figure_histories()
    # What autovacuum keeps up in production (and may be off here): statistics that count what earlier sections
    # added (intake adds thousands of cases and promises a run), and the visibility map that lets the team
    # view's promise counts read the team's cases from case_owner_recent_idx alone (6 ms, not 18).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE complaints_case, complaints_promise, complaints_caseevent")
    size = f"({sections.CASES:,} cases)"
    agent = Client()
    agent.force_login(get_user_model().objects.get(username="bench-agent-07"))
    # The seed gives teams 2 to 4 the open cases (team 0 owns none, team 1 only resolved ones): this lead's
    # view has 2,000 unfinished cases to order at 10,000 cases, 20,000 at 100,000.
    team_lead = staff_create_or_update(
        username="bench-lead-team2", role="lead", display_name="Bench Lead", team_name="Bench team 2"
    )
    # The team's lead whoever led it before (the figures section gives the team a lead of its own).
    Team.objects.filter(name="Bench team 2").update(lead=team_lead)
    lead = Client()
    lead.force_login(team_lead)
    measure_requests(
        report, f"API cases list, first page {size}", lambda: agent.get("/api/v1/cases/"), target="< 50 ms p50, flat"
    )
    measure_requests(
        report,
        f"API cases list, owner=me {size}",
        lambda: agent.get("/api/v1/cases/", {"owner": "me"}),
        target="< 50 ms p50, flat",
    )
    measure_requests(report, f"My cases page {size}", lambda: agent.get("/cases/mine/"), target="< 50 ms p50, flat")
    rows = lead.get("/cases/team/").content.count(b'<td data-label="Case">')
    assert rows == TEAM_CASES_SHOWN, f"the lead's team view shows {rows} cases, not a full page: whose team is it?"
    measure_requests(report, f"Lead's team view page {size}", lambda: lead.get("/cases/team/"), target="flat")


def _measure_in_child(cases: int) -> list[Row]:
    """The rows measured at `cases` by a process of its own (Django holds one database per process)."""
    from tests.benchmarks import sections

    with tempfile.TemporaryDirectory() as folder:
        rows = Path(folder) / "rows.json"
        command = [sys.executable, "-m", "tests.benchmarks.lists", "--rows", str(rows)]
        if cases != sections.DEFAULT_CASES:
            command += ["--cases", str(cases)]
        subprocess.run(command, cwd=ROOT, check=True)
        return [Row(**row) for row in json.loads(rows.read_text())]


def main() -> int:
    from tests.benchmarks import run

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, help="measure at this many cases instead of 100,000")
    parser.add_argument("--rows", type=Path, required=True, help="write the measured rows here, as JSON")
    args = parser.parse_args()
    run.setup(args.cases)
    report = Report()
    _measure(report)
    args.rows.write_text(json.dumps([asdict(row) for row in report.rows]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
