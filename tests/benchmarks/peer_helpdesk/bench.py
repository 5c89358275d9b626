"""Run in the peer's virtualenv by tests/benchmarks/peer.py: `prepare N` (database, migrations, the public queue,
N tickets seeded once) and `count-sql` (the statements one public submission runs, printed)."""

import sys

import django
import psycopg2
from django.conf import settings

SEED_BATCH = 2_000
SEEDED = "Seeded ticket"


def _ensure_database() -> None:
    db = settings.DATABASES["default"]
    conn = psycopg2.connect(
        dbname="postgres", user=db["USER"], password=db["PASSWORD"], host=db["HOST"], port=db["PORT"]
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{db["NAME"]}"')
    conn.close()


def prepare(tickets: int) -> None:
    """Seeded by bulk_create, each ticket with the follow-up the form writes. The tickets earlier runs submitted
    are deleted and the dead rows vacuumed (this server may run without autovacuum), so that every run starts
    from the same N tickets in tables of the same shape."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from helpdesk.models import FollowUp, Queue, Ticket

    _ensure_database()
    call_command("migrate", verbosity=0, interactive=False)
    queue, _ = Queue.objects.get_or_create(
        slug=settings.HELPDESK_PUBLIC_TICKET_QUEUE, defaults={"title": "Public", "allow_public_submission": True}
    )
    Ticket.objects.exclude(title__startswith=SEEDED).delete()
    have = Ticket.objects.count()
    now = timezone.now()
    for start in range(have, tickets, SEED_BATCH):
        batch = Ticket.objects.bulk_create(
            Ticket(
                title=f"{SEEDED} {n}",
                queue=queue,
                submitter_email=f"seed{n}@example.test",
                description=f"The customer told us about problem {n}.",
                priority=3,
            )
            for n in range(start, min(start + SEED_BATCH, tickets))
        )
        FollowUp.objects.bulk_create(
            FollowUp(ticket=t, title="Ticket Opened Via Web", date=now, public=True, comment=t.description)
            for t in batch
        )
    if have < tickets:
        print(f"  peer: seeded {tickets - have} tickets", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def count_sql() -> None:
    """One warm-up submission first, so that per-process caches (site, content types) are not counted. The
    email is built as under gunicorn but kept in memory, so that stdout carries only the count."""
    from django.db import connection
    from django.test import Client, override_settings

    count = 0

    def counter(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    client = Client()
    for n in range(2):
        count = 0
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
            connection.execute_wrapper(counter),
        ):
            response = client.post(
                "/tickets/submit/",
                {
                    "title": "Broadband keeps dropping",
                    "body": "My broadband keeps dropping in the evening.",
                    "submitter_email": f"sql{n}@example.test",
                },
            )
        if response.status_code != 302:
            sys.exit(f"peer: the public form answered {response.status_code}, not the redirect to the new ticket")
    print(count)


if __name__ == "__main__":
    django.setup()
    if sys.argv[1] == "prepare":
        prepare(int(sys.argv[2]))
    else:
        count_sql()
