"""The backup drill: what the README says to run, pg_dump and pg_restore, gives
back the same database: every table's row count, and the case history to the byte."""

import subprocess
import uuid

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

from complaints.cases import services as case_services
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HISTORY_CHECKSUM = (
    "SELECT md5(string_agg(id || kind || actor_kind || coalesce(actor_id::text, '') || data::text "
    "|| created_at::text, ',' ORDER BY id)) FROM complaints_caseevent"
)


def _libpq_args(name: str) -> list[str]:
    db = settings.DATABASES["default"]
    return ["-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"], "-d", name]


def _snapshot(cursor) -> dict:
    cursor.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    tables = [row[0] for row in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from the catalogue
        counts[table] = cursor.fetchone()[0]
    cursor.execute(HISTORY_CHECKSUM)
    return {"rows": counts, "history": cursor.fetchone()[0]}


def test_a_dump_restores_into_an_empty_database_with_the_same_rows_and_history(alice, tmp_path):
    for n in range(20):
        case = make_case(by=alice, customer=CustomerFactory(full_name=f"Siân Llewellyn {n}"))
        case_services.case_add_note(case=case, by=alice, text=f"Called back, note {n} — «quoted»")
    with connection.cursor() as cursor:
        before = _snapshot(cursor)
    assert before["rows"]["complaints_caseevent"] >= 40 and before["history"]

    dump = tmp_path / "gemdesk.dump"
    source = settings.DATABASES["default"]["NAME"]
    subprocess.run(["pg_dump", "--format=custom", "--file", str(dump), *_libpq_args(source)], check=True)
    restored = f"{source}_restore_{uuid.uuid4().hex[:8]}"
    subprocess.run(["createdb", *_libpq_args(restored)[:-2], restored], check=True)
    try:
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", *_libpq_args(restored), str(dump)], check=True)
        db = settings.DATABASES["default"]
        with (
            psycopg2.connect(
                dbname=restored, user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
            ) as conn,
            conn.cursor() as cursor,
        ):
            after = _snapshot(cursor)
        conn.close()
    finally:
        subprocess.run(["dropdb", "--if-exists", *_libpq_args(restored)[:-2], restored], check=True)
    assert after == before
