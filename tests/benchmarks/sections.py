"""What make bench measures, one function per area. Each seeds what it needs once."""

import csv
import io
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import Client

from complaints.incidents import services as incident_services
from complaints.models import Case, IncidentUpdate
from crm.models import Customer
from crm.staff.services import staff_create_or_update
from tests.benchmarks.harness import (
    LOAD_CLIENTS,
    LOAD_SECONDS,
    Load,
    QueryCounter,
    Report,
    cpu_seconds,
    gunicorn,
    load,
    measure_requests,
    pids_named,
    tree_pids,
    tree_rss_mb,
)
from tests.benchmarks.lists import lists
from tests.benchmarks.peer import Peer

CUSTOMERS = 200_000
IMPORT_ROWS = 100_000
SEED_BATCH = 5_000

FIRST = [
    "Ana",
    "Bill",
    "Chloé",
    "Dmitri",
    "Eilidh",
    "Fatima",
    "Giorgos",
    "Hiroshi",
    "Ingrid",
    "José",
    "Kwame",
    "Léa",
    "Mohammed",
    "Niamh",
    "Olumide",
    "Priya",
    "Quentin",
    "Rūta",
    "Siobhán",
    "Thomas",
    "Uwe",
    "Wei",
]
LAST = [
    "Jackson",
    "Johnson",
    "Nguyen",
    "O'Brien",
    "van der Berg",
    "Müller",
    "Kowalski",
    "Okafor",
    "Papadopoulos",
    "Smith",
    "Tanaka",
    "Ivanova",
    "Haddad",
    "Cohen",
    "Sharma",
    "Jones",
    "García",
    "Rossi",
    "Kim",
    "Thomas",
]


def _agent_client() -> Client:
    user = staff_create_or_update(username="bench-agent", role="agent", display_name="Bench Agent")
    client = Client()
    client.force_login(user)
    return client


def _seed_customers() -> None:
    have = Customer.objects.count()
    if have >= CUSTOMERS:
        return
    rng = random.Random(2026)
    started = time.monotonic()
    for start in range(have, CUSTOMERS, SEED_BATCH):
        batch = [
            Customer(
                full_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                email=f"bench{n}@example.test",
                phone=f"+447400{n:06d}",
            )
            for n in range(start, min(start + SEED_BATCH, CUSTOMERS))
        ]
        Customer.objects.bulk_create(batch)
    print(f"  seeded {CUSTOMERS - have} customers in {time.monotonic() - started:.0f} s", flush=True)


def customers(report: Report) -> None:
    _seed_customers()
    client = _agent_client()
    n = Customer.objects.count()
    measure_requests(
        report,
        f"API customers list, first page of 50 ({n:,} customers)",
        lambda: client.get("/api/v1/customers/"),
        target="< 50 ms p50",
    )
    measure_requests(
        report,
        "API customer search by name (q=Jackson)",
        lambda: client.get("/api/v1/customers/", {"q": "Jackson"}),
        target="< 50 ms p50",
    )
    measure_requests(report, "Customers page, first page", lambda: client.get("/customers/"), target="< 50 ms p50")
    measure_requests(report, "Customers page, search by name", lambda: client.get("/customers/", {"q": "van der Berg"}))
    measure_requests(
        report,
        "API similar customers (name=Jon Jakson)",
        lambda: client.get("/api/v1/customers/similar/", {"name": "Jon Jakson"}),
    )


def customer_import(report: Report) -> None:
    rng = random.Random(7)
    tag = int(time.time())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "customers.csv"
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["full_name", "title", "formal_name", "email", "phone"])
        for n in range(IMPORT_ROWS):
            last = rng.choice(LAST)
            writer.writerow(
                [
                    f"{rng.choice(FIRST)} {last}",
                    rng.choice(["", "Mr", "Ms", "Dr"]),
                    last,
                    f"import{tag}-{n}@example.test",
                    "",
                ]
            )
        path.write_text(buffer.getvalue(), encoding="utf-8")
        for label in ("new rows", "same rows again (updates)"):
            started = time.monotonic()
            call_command("import_customers", str(path), verbosity=0)
            seconds = time.monotonic() - started
            report.add(
                f"import_customers, {IMPORT_ROWS:,} {label}",
                target="< 60 s",
                time=f"{seconds:.1f} s",
                rate=f"{IMPORT_ROWS / seconds:,.0f} rows/s",
            )
    Customer.objects.filter(email__startswith=f"import{tag}-").delete()


DEFAULT_CASES = 100_000
CASES = DEFAULT_CASES  # run.py --cases sets another
EVENTS_PER_CASE = 10  # its creation and nine notes
AGENTS = 50


def _seed_cases() -> None:
    """100,000 cases and 1,000,000 events across 50 agents, inserted set-wise by SQL (minutes, not hours)."""

    if Case.objects.count() >= CASES:
        return
    _seed_customers()
    agents = [
        staff_create_or_update(
            username=f"bench-agent-{n:02d}", role="agent", display_name=f"Agent {n}", team_name=f"Bench team {n % 5}"
        )
        for n in range(AGENTS)
    ]
    agent_ids = [a.pk for a in agents]
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM crm_customer")
        low, high = cursor.fetchone()
        # One in five cases is unowned (web or email, waiting in the queue); the rest spread over the agents.
        cursor.execute(
            """
            INSERT INTO complaints_case (customer_id, channel, subject, description, outcome_wanted, severity,
                status, owner_id, opened_at, awaiting_reply_since, root_cause, resolution_summary, public_token,
                updated_at, acknowledged_by_phone, name_as_given, title_as_given, name_needs_confirming,
                order_reference, intake_match)
            SELECT %(low)s + (g * 7919) %% (%(high)s - %(low)s + 1),
                   (ARRAY['phone','web','email','letter'])[1 + g %% 4],
                   'Bench case ' || g, 'The customer told us about problem ' || g, '',
                   (ARRAY['low','normal','high','urgent'])[1 + g %% 4],
                   CASE WHEN g %% 5 = 0 THEN 'new' WHEN g %% 5 = 1 THEN 'resolved' ELSE 'open' END,
                   CASE WHEN g %% 5 = 0 THEN NULL ELSE (%(agents)s::bigint[])[1 + g %% %(n_agents)s] END,
                   now() - (g || ' minutes')::interval,
                   CASE WHEN g %% 3 = 0 THEN now() - (g || ' seconds')::interval END,
                   '', '', md5(random()::text || g) || md5(g::text), now(), false, '', '', false, '', ''
            FROM generate_series(1, %(cases)s) AS g
            """,
            {"low": low, "high": high, "agents": agent_ids, "n_agents": AGENTS, "cases": CASES},
        )
        cursor.execute("SELECT min(id) FROM complaints_case")
        first_case = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO complaints_caseevent (case_id, kind, actor_kind, actor_id, created_at, data)
            SELECT c.id, CASE WHEN e = 0 THEN 'created' ELSE 'note' END, 'staff', c.owner_id,
                   c.opened_at + (e || ' minutes')::interval,
                   jsonb_build_object('text', 'Note number ' || e)
            FROM complaints_case c, generate_series(0, %(events)s - 1) AS e
            WHERE c.id < %(first)s + %(cases)s
            """,
            {"first": first_case, "cases": CASES, "events": EVENTS_PER_CASE},
        )
        cursor.execute("ANALYZE")
    took = time.monotonic() - started
    print(f"  seeded {CASES} cases and {CASES * EVENTS_PER_CASE} events in {took:.0f} s", flush=True)


def cases(report: Report) -> None:
    from complaints.cases.services import case_create
    from complaints.models import CaseEvent

    _seed_cases()
    agent = get_user_model().objects.get(username="bench-agent-07")
    client = Client()
    client.force_login(agent)
    # Notes go on the agent's first case (it grows run after run); the busy case has exactly 50 events.
    noted = Case.objects.filter(owner=agent).order_by("pk").first()
    busy_case = (
        Case.objects.filter(owner=agent)
        .exclude(pk=noted.pk)
        .annotate(events_count=Count("events"))
        .filter(events_count__lte=50)
        .order_by("pk")
        .first()
    )
    for n in range(50 - CaseEvent.objects.filter(case=busy_case).count()):
        CaseEvent.objects.create(case=busy_case, kind="note", actor_kind="staff", actor=agent, data={"text": f"x{n}"})
    ref = busy_case.reference
    n_cases, n_events = Case.objects.count(), CaseEvent.objects.count()
    label = f"({n_cases:,} cases, {n_events:,} events)"
    measure_requests(
        report, f"API cases list, first page {label}", lambda: client.get("/api/v1/cases/"), target="< 50 ms p50"
    )
    measure_requests(
        report, "API cases list, owner=me", lambda: client.get("/api/v1/cases/", {"owner": "me"}), target="< 50 ms p50"
    )
    measure_requests(report, "My cases page", lambda: client.get("/cases/mine/"), target="< 50 ms p50")
    measure_requests(report, "Case page with 50 events", lambda: client.get(f"/cases/{ref}/"), target="< 50 ms p50")
    measure_requests(
        report, "API timeline (50 events)", lambda: client.get(f"/api/v1/cases/{ref}/timeline/"), target="< 50 ms p50"
    )
    measure_requests(
        report,
        "API add note",
        lambda: client.post(
            f"/api/v1/cases/{noted.reference}/notes/", {"text": "bench"}, content_type="application/json"
        ),
        target="< 50 ms p50",
    )
    customer = busy_case.customer

    # Another agent takes them: the measured agent's own list (My cases) must not grow run after run.
    taker = Client()
    taker.force_login(get_user_model().objects.get(username="bench-agent-08"))

    def take():
        case = case_create(customer=customer, channel="web", subject="Bench take", description="x")
        return taker.post(f"/api/v1/cases/{case.reference}/take/")

    # Take includes creating the unowned case first (one service call); reported as such.
    measure_requests(report, "API take (incl. creating the case)", take, target="< 50 ms p50")
    _case_search(report, client, busy_case)


def _case_search(report: Report, client: Client, case: Case) -> None:
    """Case search at 100,000 cases and 200,000 customers, as an agent who sees every case."""
    with connection.cursor() as cursor:
        # One case in ten has the order number the customer quotes (seeded databases from before had none).
        cursor.execute(
            "UPDATE complaints_case SET order_reference = 'ORD-' || id WHERE id % 10 = 0 AND order_reference = ''"
        )
    ordered = Case.objects.exclude(order_reference="").order_by("pk").first()
    number = str(int(case.reference.removeprefix("GD-")))
    phone = f"0{case.customer.phone.removeprefix('+44')[:4]} {case.customer.phone.removeprefix('+44')[4:]}"
    searches = [
        ("by reference", case.reference, "< 50 ms p50"),
        ("by reference number", number, "< 50 ms p50"),
        ("by name (q=Giorgos Papadopoulos)", "Giorgos Papadopoulos", "< 50 ms p50"),
        ("by a common surname (q=Ivanova)", "Ivanova", "< 50 ms p50"),
        ("by name in another script (q=Ιβανοβα: none)", "Ιβανοβα", ""),
        (f"by phone, national format (q={phone})", phone, ""),
        ("by email", case.customer.email, ""),
        (f"by order reference (q={ordered.order_reference.lower()})", ordered.order_reference.lower(), ""),
    ]
    for label, q, target in searches:
        measure_requests(
            report, f"Case search page {label}", lambda q=q: client.get("/cases/search/", {"q": q}), target=target
        )
    measure_requests(
        report,
        "API cases ?q= by name (q=Giorgos Papadopoulos)",
        lambda: client.get("/api/v1/cases/", {"q": "Giorgos Papadopoulos"}),
        target="< 50 ms p50",
    )
    measure_requests(
        report,
        "Customer page with their cases and incidents",
        lambda: client.get(f"/customers/{case.customer_id}/"),
        target="< 50 ms p50",
    )


MAILDIR_MESSAGES = 10_000
INTAKE_ROUNDS = 3
CREATED = "201"  # a complaint taken


def intake(report: Report) -> None:
    """Public complaints through gunicorn (2 workers) with acknowledgements queued to Redis, beside
    django-helpdesk's public form under the same load; then email in."""
    import http.client
    import json
    import sys

    from django.conf import settings

    broker = settings.REDIS_URL  # the benchmark's own Redis database (tests/benchmarks/run.py)
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": broker,
        "THROTTLE_PUBLIC_COMPLAINT": "1000000/min",
        "THROTTLE_ANON": "1000000/min",
        "LOG_LEVEL": "WARNING",
    }

    def client(connection: http.client.HTTPConnection, n: int, *, empty: bool = False) -> Callable[[int], str]:
        run = time.time_ns()  # each round's senders are new customers, as the peer's are new submitters

        def send(sent: int) -> str:
            body = {
                "name": f"Bench Customer {n}",
                "email": f"intake{run}-{n}-{sent}@example.test",
                "description": "My broadband keeps dropping in the evening.",
            }
            headers = {"Content-Type": "application/json", "X-Forwarded-For": f"10.0.{n}.1"}
            connection.request("POST", "/api/v1/public/complaints/", "{}" if empty else json.dumps(body), headers)
            response = connection.getresponse()
            response.read()
            return str(response.status)

        return send

    def ours(*, empty: bool = False) -> Load:
        root = Path(__file__).resolve().parents[2]
        app_env = {**env, "LOG_LEVEL": "ERROR"} if empty else env  # not a warning line per refused request
        with gunicorn(
            Path(sys.executable).parent, "config.wsgi", env=app_env, cwd=root, ready_path="/healthz"
        ) as server:
            return load(server, lambda connection, n: client(connection, n, empty=empty))

    # Rounds in turn, Gemdesk then the peer, each keeping its best: this machine's pace moves by half within
    # minutes (one server's CPU per request from 4.8 to 9.7 ms), and a single pair compares two moments.
    peer = Peer()
    gemdesk_runs, peer_runs = zip(*((ours(), peer.load()) for _ in range(INTAKE_ROUNDS)), strict=True)
    best_ours = max(gemdesk_runs, key=lambda run: run.rate(CREATED))
    best_peer = max(peer_runs, key=lambda run: run.rate(peer.success))
    report.add(
        f"POST public/complaints/ via gunicorn (2 workers, {LOAD_CLIENTS} clients, {LOAD_SECONDS} s; "
        f"best of {INTAKE_ROUNDS} rounds)",
        **best_ours.figures(CREATED),
        rounds=_rates(gemdesk_runs, CREATED),
        sql_per_complaint=str(_statements_per_complaint()),
    )
    report.add(
        f"{peer.what}, best of {INTAKE_ROUNDS} rounds",
        **best_peer.figures(peer.success),
        rounds=_rates(peer_runs, peer.success),
        sql_per_ticket=peer.sql_per_ticket(),
    )
    report.add(
        "  Gemdesk's complaints per django-helpdesk ticket, same load",
        ratio=f"{best_ours.rate(CREATED) / best_peer.rate(peer.success):.2f}",
        each_round=", ".join(
            f"{mine.rate(CREATED) / theirs.rate(peer.success):.2f}"
            for mine, theirs in zip(gemdesk_runs, peer_runs, strict=True)
        ),
        server_cpu_per_request=f"{best_peer.server_cpu_ms() / best_ours.server_cpu_ms():.2f} times less",
        target=">= 2",
    )
    # The floor under any complaint: the same endpoint refusing an empty body (address limit, parsing,
    # validation, the 400) costs this much before a complaint does any work of its own.
    refused = ours(empty=True)
    report.add(
        "  the same endpoint refusing an empty body: what every request costs before any work",
        **refused.figures("400"),
        server_cpu_per_request=f"{refused.server_cpu_ms():.2f} ms",
    )
    _email_ingestion(report)


def _rates(runs: tuple[Load, ...], answer: str) -> str:
    return ", ".join(f"{run.rate(answer):.0f}" for run in runs) + " req/s"


def _statements_per_complaint() -> int:
    """SQL statements one public complaint costs (BEGIN and COMMIT are not statements sent by Django)."""
    from django.core.cache import cache

    cache.clear()  # the public throttle's counts from the load above (the bench's own Redis database)
    counter = QueryCounter()
    body = {"name": "Counted Customer", "email": f"counted-{time.time_ns()}@example.test", "description": "Counted."}
    with connection.execute_wrapper(counter):
        response = Client().post("/api/v1/public/complaints/", body, content_type="application/json")
    if response.status_code != 201:
        raise RuntimeError(f"the counted complaint answered {response.status_code}")
    return counter.count


def _backlog(count: int, source: str) -> Iterator[bytes]:
    """`count` complaints from 500 senders, each with a Message-ID of this run (so each is new)."""
    from email.message import EmailMessage

    tag = int(time.time())
    for n in range(count):
        message = EmailMessage()
        message["From"] = f"Mail Customer {n % 500} <{source}{n % 500}-{tag}@example.test>"
        message["Subject"] = f"Problem number {n}"
        message["Message-ID"] = f"<bench-{source}-{tag}-{n}@example.test>"
        message.set_content(f"Hello,\n\nMy service failed again (report {n}).\n\nOn Mon wrote:\n> earlier text\n")
        yield bytes(message)


def _email_ingestion(report: Report) -> None:
    import mailbox

    with tempfile.TemporaryDirectory() as folder:
        box = mailbox.Maildir(Path(folder) / "inbox", create=True)
        for raw in _backlog(MAILDIR_MESSAGES, "maildir"):
            box.add(raw)
        started = time.monotonic()
        call_command("ingest_email", "--maildir", str(Path(folder) / "inbox"), stdout=io.StringIO())
        seconds = time.monotonic() - started
    report.add(
        f"ingest_email --maildir, {MAILDIR_MESSAGES:,} messages",
        time=f"{seconds:.1f} s",
        rate=f"{MAILDIR_MESSAGES / seconds:,.0f} messages/s",
    )


IMAP_MESSAGES = 10_000


def imap(report: Report) -> None:
    """A 10,000-message backlog in an IMAP inbox (Debian's Dovecot on loopback), read by one poll: the rate and
    Python's peak memory (flat: one message at a time)."""
    import threading

    from django.test import override_settings

    from complaints.mail.imap import mailbox_poll
    from tests import dovecot

    if not dovecot.available():
        print("  imap: Dovecot is not installed (apt install dovecot-imapd); skipped", flush=True)
        return
    server = dovecot.Dovecot().start()
    try:
        client = server.client()
        started = time.monotonic()
        for raw in _backlog(IMAP_MESSAGES, "imap"):
            client.append("INBOX", None, None, raw)
        client.logout()
        print(f"  appended {IMAP_MESSAGES:,} messages in {time.monotonic() - started:.0f} s", flush=True)
        # Memory as the operating system sees it (tracemalloc would slow Python down threefold): the
        # process's resident size every half second while the poll runs.
        samples: list[float] = []
        polling = threading.Event()

        def watch() -> None:
            while not polling.wait(0.5):
                samples.append(tree_rss_mb(os.getpid()))

        watcher = threading.Thread(target=watch)
        with override_settings(IMAP_URL=server.url(), IMAP_CA_FILE=server.cafile):
            before = tree_rss_mb(os.getpid())
            watcher.start()
            started = time.monotonic()
            counts = mailbox_poll()
            seconds = time.monotonic() - started
            polling.set()
            watcher.join()
    finally:
        server.stop()
    read = sum((counts or {}).values())
    tenth = samples[len(samples) // 10] if samples else before
    report.add(
        f"IMAP poll of a {IMAP_MESSAGES:,}-message backlog (Dovecot on loopback, its default fsync)",
        time=f"{seconds:.1f} s",
        rate=f"{read / seconds:,.0f} messages/s",
        memory=f"{before:.0f} MB before, {tenth:.0f} MB at 10 %, {max(samples, default=before):.0f} MB at most",
    )


FANOUT_CUSTOMERS = int(os.environ.get("BENCH_FANOUT_CUSTOMERS", 100_000))
# Sending waits on the SMTP server and the database most of the time: more processes than cores.
WORKER_PROCESSES = 2
WORKER_CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", 4))
SENDERS = WORKER_PROCESSES * WORKER_CONCURRENCY
RAW_SINK_MESSAGES = 20_000  # about 8 s: a shorter sample swings with the host (5,000 gave 2,000 to 3,000 msg/s)


def _raw_sink_rate(sink, message_bytes: bytes) -> float:
    """What the sink takes from plain smtplib over reused connections, as many as our senders use,
    sending from another process (threads beside the sink would share its interpreter and slow it)."""
    import subprocess
    import sys

    sender = Path(__file__).with_name("raw_sender.py")
    result = subprocess.run(
        [sys.executable, str(sender), str(sink.port), str(RAW_SINK_MESSAGES), str(SENDERS)],
        input=message_bytes,
        capture_output=True,
        check=True,
    )
    return float(result.stdout)


def incidents(report: Report) -> None:
    """One incident update to 100,000 customers: PostgreSQL, Redis, 2 worker processes, a local SMTP sink."""
    import subprocess
    import sys

    from django.conf import settings

    from crm.models import OutboundEmail, Service, Subscription
    from tests.smtp_sink import Sink

    _seed_customers()
    service, _ = Service.objects.get_or_create(slug="bench-broadband", defaults={"name": "Bench broadband"})
    if Subscription.objects.filter(service=service).count() < FANOUT_CUSTOMERS:
        ids = Customer.objects.order_by("pk").values_list("pk", flat=True)[:FANOUT_CUSTOMERS]
        Subscription.objects.bulk_create(
            (Subscription(customer_id=pk, service=service, region="north") for pk in ids),
            ignore_conflicts=True,
            batch_size=SEED_BATCH,
        )
    lead = staff_create_or_update(username="bench-lead", role="lead", display_name="Bench Lead")
    client = Client()
    client.force_login(lead)
    incident = incident_services.incident_declare(by=lead, title="Bench outage", services=[service])

    # Earlier sections leave acknowledgements queued (no worker ran): drop them so only this fan-out is measured,
    # and vacuum away the rows earlier runs deleted (autovacuum would, between real incidents).
    OutboundEmail.objects.filter(state__in=["pending", "sending"]).delete()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {OutboundEmail._meta.db_table}")
    import redis

    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    sink = Sink().start()
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
        "LOG_LEVEL": "WARNING",
        "DJANGO_CONN_MAX_AGE": "60",
    }
    folder = Path(tempfile.mkdtemp(prefix="gemdesk-bench-"))
    workers = [
        subprocess.Popen(
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "config",
                "worker",
                "--concurrency",
                str(WORKER_CONCURRENCY),
                "--hostname",
                f"bench{n}@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
            ]
            + (["--beat", "--schedule", str(folder / "beat")] if n == 0 else []),
            env=env,
            cwd=Path(__file__).resolve().parents[2],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=open(folder / f"worker{n}.log", "wb"),  # noqa: SIM115
        )
        for n in range(WORKER_PROCESSES)
    ]
    try:
        time.sleep(8)  # workers connect
        client.get(f"/api/v1/incidents/{incident.pk}/")  # warm the client and connection, as a live server is
        worker_cpu_before = sum(cpu_seconds(tree_pids(w.pid)) for w in workers)
        database_cpu_before = cpu_seconds(pids_named("postgres"))
        started, published_at = time.monotonic(), time.time()
        response = client.post(
            f"/api/v1/incidents/{incident.pk}/updates/",
            {"subject": "Broadband outage", "body": "Engineers are repairing a cut cable."},
            content_type="application/json",
        )
        publish_ms = (time.monotonic() - started) * 1000
        update_id = response.json()["id"]
        memory_early = peak = 0.0
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline and sink.count() < FANOUT_CUSTOMERS:
            time.sleep(1)
            memory = sum(tree_rss_mb(w.pid) for w in workers)
            peak = max(peak, memory)
            if not memory_early and sink.count() >= FANOUT_CUSTOMERS // 10:
                memory_early = memory
        # From the database's and the sink's clocks: the rows from publishing to the last one written; the
        # sending from the first row written to the last message in the sink (what the raw rate is held to).
        update = IncidentUpdate.objects.get(pk=update_id)
        rows = OutboundEmail.objects.filter(batch=f"incident-update:{update_id}")
        # Every rate below is per customer of FANOUT_CUSTOMERS: the audience must be exactly that.
        assert rows.count() == FANOUT_CUSTOMERS, f"the update went to {rows.count():,} customers"
        first_row_at = rows.order_by("pk")[0].created_at
        rows_at = update.fanned_out_at.timestamp() - published_at if update.fanned_out_at else None
        sent_at = sink.last_accepted_at - first_row_at.timestamp() if sink.count() >= FANOUT_CUSTOMERS else None
        worker_cpu = sum(cpu_seconds(tree_pids(w.pid)) for w in workers) - worker_cpu_before
        database_cpu = cpu_seconds(pids_named("postgres")) - database_cpu_before
        memory_end = sum(tree_rss_mb(w.pid) for w in workers)
        rate = FANOUT_CUSTOMERS / sent_at if sent_at else 0
        raw = _raw_sink_rate(sink, sink.raw[0])
        report.add(
            f"Incident update to {FANOUT_CUSTOMERS:,} customers: publish request",
            p50=f"{publish_ms:.0f} ms",
            target="< 200 ms",
        )
        report.add(
            "  outbox rows for every customer",
            time=f"{rows_at:.1f} s" if rows_at else "not done",
            target="<= 4 s",
        )
        report.add(
            f"  first row written to last message in the SMTP sink ({WORKER_PROCESSES} workers x {WORKER_CONCURRENCY})",
            time=f"{sent_at:.1f} s" if sent_at else "timeout",
            rate=f"{rate:,.0f} msg/s",
            raw_sink_rate=f"{raw:,.0f} msg/s",
            fraction_of_raw=f"{rate / raw:.2f}" if raw else "n/a",
            worker_cpu_per_message=f"{worker_cpu / FANOUT_CUSTOMERS * 1000:.2f} ms",
            database_cpu_per_message=f"{database_cpu / FANOUT_CUSTOMERS * 1000:.2f} ms",
            target=">= 0.6 of raw",
        )
        report.add(
            "  worker memory (2 processes and their pools)",
            at_10_percent=f"{memory_early:.0f} MB",
            peak=f"{peak:.0f} MB",
            at_end=f"{memory_end:.0f} MB",
            target="flat",
        )
    finally:
        for worker in workers:
            os.killpg(worker.pid, 15)
        for worker in workers:
            worker.wait(timeout=60)
        sink.stop()
        OutboundEmail.objects.filter(batch=f"incident-update:{update_id}").delete()


SUGGESTIONS = 10_000
ENDORSEMENTS = 50_000


def _seed_suggestions() -> None:
    """10,000 suggestions over five policies (one in ten undecided and overdue, most decided) and 50,000
    endorsements from the 50 bench agents, inserted set-wise by SQL; each suggestion cites a case."""
    from feedback.models import Policy, Suggestion
    from feedback.policies.services import policy_save

    if Suggestion.objects.count() >= SUGGESTIONS:
        return
    _seed_cases()
    manager = staff_create_or_update(username="bench-manager", role="manager", display_name="Bench Manager")
    agents = list(get_user_model().objects.filter(username__startswith="bench-agent-").order_by("pk"))
    policies = [
        Policy.objects.filter(name=f"Bench policy {n}").first()
        or policy_save(by=manager, name=f"Bench policy {n}", manager=manager, root_causes=["policy"])
        for n in range(5)
    ]
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO feedback_suggestion (author_id, show_name, policy_id, subject, problem, proposal,
                expected_benefit, status, deciding_manager_id, submitted_at, decision_due_at, decision,
                endorsement_count, case_count, updated_at)
            SELECT (%(agents)s::bigint[])[1 + g %% %(n_agents)s], g %% 7 <> 0, (%(policies)s::bigint[])[1 + g %% 5],
                   'Bench suggestion ' || g, 'Customers wait.', 'Answer faster.', 'Fewer complaints.',
                   (ARRAY['submitted','under_review','needs_info','accepted','implemented','declined',
                          'declined','accepted','declined','accepted'])[1 + g %% 10],
                   %(manager)s, now() - (g || ' minutes')::interval,
                   now() - (g || ' minutes')::interval + interval '14 days'
                       - (CASE WHEN g %% 10 = 0 THEN interval '30 days' ELSE interval '0' END),
                   '', 5, 1, now()
            FROM generate_series(1, %(n)s) AS g
            """,
            {
                "agents": [a.pk for a in agents],
                "n_agents": len(agents),
                "policies": [p.pk for p in policies],
                "manager": manager.pk,
                "n": SUGGESTIONS,
            },
        )
        # Five endorsements each, from agents who did not write it.
        cursor.execute(
            """
            INSERT INTO feedback_endorsement (suggestion_id, user_id, created_at)
            SELECT s.id, (%(agents)s::bigint[])[1 + ((s.id + e * 7) %% %(n_agents)s)], now()
            FROM feedback_suggestion s, generate_series(1, 5) AS e
            WHERE (%(agents)s::bigint[])[1 + ((s.id + e * 7) %% %(n_agents)s)] <> s.author_id
            ON CONFLICT DO NOTHING
            """,
            {"agents": [a.pk for a in agents], "n_agents": len(agents)},
        )
        cursor.execute(
            "UPDATE feedback_suggestion s SET endorsement_count = "
            "(SELECT count(*) FROM feedback_endorsement e WHERE e.suggestion_id = s.id)"
        )
        cursor.execute(
            """
            INSERT INTO feedback_suggestion_cases (suggestion_id, case_id)
            SELECT s.id, (SELECT min(id) FROM complaints_case) + s.id %% %(cases)s FROM feedback_suggestion s
            ON CONFLICT DO NOTHING
            """,
            {"cases": CASES},
        )
        cursor.execute("ANALYZE")
    print(f"  seeded {SUGGESTIONS} suggestions in {time.monotonic() - started:.0f} s", flush=True)


def feedback(report: Report) -> None:
    from feedback.models import Endorsement, Suggestion

    _seed_suggestions()
    agent = get_user_model().objects.get(username="bench-agent-07")
    manager = get_user_model().objects.get(username="bench-manager")
    staff, boss = Client(), Client()
    staff.force_login(agent)
    boss.force_login(manager)
    label = f"({Suggestion.objects.count():,} suggestions, {Endorsement.objects.count():,} endorsements)"
    measure_requests(
        report, f"Suggestions board, first page {label}", lambda: staff.get("/feedback/"), target="< 30 ms p50"
    )
    measure_requests(report, "Review queue (manager)", lambda: boss.get("/feedback/review/"), target="< 30 ms p50")
    measure_requests(
        report, "API suggestions list, first page", lambda: staff.get("/api/v1/suggestions/"), target="< 30 ms p50"
    )
    measure_requests(
        report,
        "Suggestions board, overdue ones",
        lambda: staff.get("/feedback/", {"overdue": "on"}),
        target="< 30 ms p50",
    )


STORIES = 20_000
KUDOS_PER_STORY = 10
STAFF = 500


def _seed_staff() -> list[int]:
    """500 agents in 50 teams, written in bulk (no password: they never log in)."""
    from django.contrib.auth.models import Group

    from crm.models import StaffProfile, Team

    users = get_user_model().objects
    have = list(users.filter(username__startswith="bench-staff-").order_by("pk").values_list("pk", flat=True))
    if len(have) >= STAFF:
        return have
    teams = [Team.objects.get_or_create(name=f"Bench desk {n:02d}")[0] for n in range(50)]
    created = users.bulk_create(
        get_user_model()(username=f"bench-staff-{n:03d}", email=f"staff{n}@bench.test", password="!")
        for n in range(len(have), STAFF)
    )
    agent = Group.objects.get(name="agent")
    agent.user_set.add(*created)
    StaffProfile.objects.bulk_create(
        StaffProfile(user=user, display_name=f"Staff {user.username[-3:]}", team=teams[i % 50])
        for i, user in enumerate(created)
    )
    return list(users.filter(username__startswith="bench-staff-").order_by("pk").values_list("pk", flat=True))


def _seed_stories() -> None:
    """20,000 published stories over a year (a third recoveries), each about one of 500 staff, with ten
    kudos each (200,000), inserted set-wise by SQL."""
    from recognition.models import Story

    if Story.objects.count() >= STORIES:
        return
    staff = _seed_staff()
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO recognition_story (about_as_given, teller_kind, teller_id, customer_name, customer_email,
                kind, text, status, decline_reason, created_at, published_at, kudos_count)
            SELECT '', 'colleague', (%(staff)s::bigint[])[1 + (g * 7) %% %(n)s], '', '',
                   CASE WHEN g %% 3 = 0 THEN 'recovery' ELSE 'delight' END,
                   'Bench story ' || g || ': the customer wrote to say thank you.', 'published', '',
                   now() - (g * 26 || ' minutes')::interval, now() - (g * 26 || ' minutes')::interval, %(kudos)s
            FROM generate_series(1, %(stories)s) AS g
            """,
            {"staff": staff, "n": len(staff), "stories": STORIES, "kudos": KUDOS_PER_STORY},
        )
        cursor.execute(
            """
            INSERT INTO recognition_story_about (story_id, user_id)
            SELECT s.id, (%(staff)s::bigint[])[1 + (s.id * 13) %% %(n)s] FROM recognition_story s
            """,
            {"staff": staff, "n": len(staff)},
        )
        cursor.execute(
            """
            INSERT INTO recognition_storyperson (story_id, user_id, team_id, kind, published_at)
            SELECT a.story_id, a.user_id, p.team_id, s.kind, s.published_at
            FROM recognition_story_about a JOIN recognition_story s ON s.id = a.story_id
            JOIN crm_staffprofile p ON p.user_id = a.user_id
            """
        )
        cursor.execute(
            """
            INSERT INTO recognition_kudos (story_id, user_id, created_at)
            SELECT s.id, (%(staff)s::bigint[])[1 + (s.id * 31 + k * 17) %% %(n)s], now()
            FROM recognition_story s, generate_series(1, %(kudos)s) AS k
            ON CONFLICT DO NOTHING
            """,
            {"staff": staff, "n": len(staff), "kudos": KUDOS_PER_STORY},
        )
        cursor.execute("ANALYZE")
    print(f"  seeded {STORIES} stories in {time.monotonic() - started:.0f} s", flush=True)


def recognition(report: Report) -> None:
    from recognition.models import Kudos, Story

    _seed_stories()
    agent = get_user_model().objects.get(username="bench-staff-007")
    lead = staff_create_or_update(
        username="bench-lead", role="lead", display_name="Bench Lead", team_name="Bench desk 07"
    )
    staff, boss = Client(), Client()
    staff.force_login(agent)
    boss.force_login(lead)
    label = f"({Story.objects.count():,} stories, {Kudos.objects.count():,} kudos, {STAFF} staff)"
    measure_requests(
        report, f"Recognition board, first page {label}", lambda: staff.get("/recognition/"), target="< 30 ms p50"
    )
    measure_requests(
        report, "API board balance (90 days)", lambda: staff.get("/api/v1/board/balance/"), target="< 30 ms p50"
    )
    measure_requests(
        report,
        "Recognition board, delight in one team",
        lambda: staff.get("/recognition/", {"kind": "delight", "team": agent.staff_profile.team_id}),
    )
    measure_requests(
        report, "Recognition board as a lead (with who is not recognised)", lambda: boss.get("/recognition/")
    )
    measure_requests(report, "API stories list, first page", lambda: staff.get("/api/v1/stories/"))


def _seed_figure_histories() -> None:
    """What the figures measure, on the 100,000 bench cases (once): an acknowledgement for four in five,
    our first reply for two in three, a resolution with its root cause for the resolved fifth (half of them on
    first contact), a handover for one in seven, a rating for one in four resolved, a reopening for one in
    twenty; about 120,000 more events."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM complaints_caseevent WHERE kind = 'resolved' LIMIT 1")
        if cursor.fetchone():
            return
        started = time.monotonic()
        cursor.execute(
            "UPDATE complaints_case SET acknowledged_at = opened_at + ((id % 300) || ' seconds')::interval "
            "WHERE id % 5 <> 0"
        )
        kinds = [
            ("message_out", "id %% 3 <> 0", "(id %% 2880) || ' minutes'", "jsonb_build_object('text', 'On it')"),
            ("handed_over", "id %% 7 = 0", "'3 hours'", "jsonb_build_object('reason', 'Shift ends', 'to_owner', 'x')"),
            (
                "resolved",
                "status = 'resolved'",
                "(id %% 7200) || ' minutes'",
                "jsonb_build_object('root_cause', (ARRAY['policy','process','product','system'])[1 + id %% 4], "
                "'first_contact', id %% 2 = 0)",
            ),
            ("rated", "status = 'resolved' AND id %% 4 = 0", "'6 days'", "jsonb_build_object('score', 1 + id %% 5)"),
            ("reopened", "status = 'resolved' AND id %% 20 = 0", "'7 days'", "jsonb_build_object('reason', 'x')"),
        ]
        insert = (
            "INSERT INTO complaints_caseevent (case_id, kind, actor_kind, actor_id, created_at, data) "
            "SELECT id, %s, 'staff', owner_id, opened_at + ({after})::interval, {data} "
            "FROM complaints_case WHERE owner_id IS NOT NULL AND {which}"
        )
        for kind, which, after, data in kinds:
            cursor.execute(insert.format(after=after, data=data, which=which), [kind])
        cursor.execute(
            "UPDATE complaints_case SET root_cause = (ARRAY['policy','process','product','system'])[1 + id % 4] "
            "WHERE status = 'resolved'"
        )
        cursor.execute("ANALYZE")
    print(f"  seeded the figures' histories in {time.monotonic() - started:.0f} s", flush=True)


FIGURE_READERS = 200


def figures(report: Report) -> None:
    """The dashboard and GET figures/ over 90 days of 100,000 cases, the rollup's rebuild, the case list's CSV
    of 100,000 rows (memory) and the Monday digest to 200 executives and managers."""
    import tracemalloc
    from datetime import timedelta

    from django.core.cache import cache
    from django.utils import timezone

    from complaints.digest.services import figures_digest_send
    from complaints.figures.services import facts_catch_up, facts_rebuild
    from complaints.models import CaseEvent
    from crm.models import OutboundEmail

    _seed_cases()
    _seed_figure_histories()
    n_cases, n_events = Case.objects.count(), CaseEvent.objects.count()
    started = time.monotonic()
    facts_rebuild()
    report.add(
        f"rebuild_figures: every case's facts from its events ({n_cases:,} cases, {n_events:,} events)",
        took=f"{time.monotonic() - started:.1f} s",
    )
    readers = [
        staff_create_or_update(
            username=f"bench-reader-{n:03d}",
            role="executive" if n % 4 == 0 else "manager",
            email=f"reader{n}@bench.gemdesk.test",
            display_name=f"Reader {n}",
        )
        for n in range(FIGURE_READERS)
    ]
    manager = Client()
    manager.force_login(readers[1])
    lead = staff_create_or_update(
        username="bench-lead", role="lead", display_name="Bench lead", team_name="Bench team 2"
    )
    from crm.models import Team

    Team.objects.filter(name="Bench team 2").update(lead=lead)
    lead_client = Client()
    lead_client.force_login(lead)
    today = timezone.localdate()
    period = {"from": (today - timedelta(days=89)).isoformat(), "to": today.isoformat()}
    label = f"90 days, {n_cases:,} cases, {n_events:,} events"
    measure_requests(
        report,
        f"Figures dashboard ({label}; shared for FIGURES_CACHE_SECONDS)",
        lambda: manager.get("/cases/figures/", period),
        target="< 150 ms p50",
    )
    measure_requests(
        report, "API figures/ (90 days; shared)", lambda: manager.get("/api/v1/figures/", period), target="< 150 ms p50"
    )
    measure_requests(
        report, "Figures dashboard, a lead's team (90 days)", lambda: lead_client.get("/cases/figures/", period)
    )
    measure_requests(
        report,
        "Cases behind a figure (handed over, 90 days)",
        lambda: manager.get("/cases/figures/cases/", {**period, "figure": "handed_over"}),
    )

    def computed_afresh(path):
        def call():
            cache.clear()  # the bench's own Redis database: nothing shared yet, and one case's facts stale
            CaseEvent.objects.create(case_id=first_case, kind="note", actor_kind="system", data={"text": "x"})
            return manager.get(path, period)

        return call

    first_case = Case.objects.order_by("pk").values_list("pk", flat=True).first()
    measure_requests(
        report,
        "Figures dashboard, computed afresh (nothing shared yet, one case changed)",
        computed_afresh("/cases/figures/"),
        repeat=20,
    )
    measure_requests(report, "API figures/, computed afresh", computed_afresh("/api/v1/figures/"), repeat=20)
    facts_catch_up()

    # The case list as CSV, streamed: Python's peak allocation for the last week's 10,000 rows and for all.
    for since in (today - timedelta(days=7), None):
        params = {"opened_after": since.isoformat()} if since else {}
        tracemalloc.start()
        started = time.monotonic()
        response = manager.get("/api/v1/cases/export/", params)
        lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
        seconds = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        report.add(
            f"Cases CSV, streamed ({lines - 1:,} rows)",
            target="constant memory",
            took=f"{seconds:.1f} s",
            peak_Python_memory=f"{peak / 1e6:.1f} MB",
        )

    OutboundEmail.objects.filter(key__startswith="figures-digest:").delete()
    started = time.monotonic()
    queued = figures_digest_send()
    report.add(
        f"Weekly figures digest to {queued} executives and managers",
        target="< 30 s",
        took=f"{time.monotonic() - started:.1f} s",
    )


ALL = [customers, customer_import, cases, lists, figures, intake, imap, incidents, feedback, recognition]
