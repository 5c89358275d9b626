"""`make bench`: seed PostgreSQL at scale, measure, print a Markdown table.

Runs against its own database (gemdesk_bench on the PostgreSQL of DATABASE_URL, or
127.0.0.1:5432), kept between runs so seeding happens once. Latency is measured through
Django's test client in-process (view + ORM + database, no HTTP server), so the figures are
what the code costs, not the network. Results also go to bench-results/bench.md.
"""

import argparse
import os
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BENCH_REDIS = "redis://127.0.0.1:6379/8"
sys.path.insert(0, str(ROOT))


def database_name(cases: int | None) -> str:
    """gemdesk_bench for the usual size; another size has a database of its own (gemdesk_bench_10k)."""
    if cases is None:
        return "gemdesk_bench"
    return f"gemdesk_bench_{cases // 1000}k" if cases % 1000 == 0 else f"gemdesk_bench_{cases}"


def configure_environment(cases: int | None = None) -> None:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gemdesk")
    if not base.startswith("postgres"):
        sys.exit("make bench needs PostgreSQL: set DATABASE_URL=postgres://… or start it on 127.0.0.1:5432")
    os.environ["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + database_name(cases)
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(64))
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("AXES_ENABLED", "false")
    # Emails are queued, as in production, to a Redis database of the benchmark's own (emptied at the end):
    # the benchmark measures the request, not an SMTP server.
    os.environ.setdefault("REDIS_URL", BENCH_REDIS)
    os.environ.setdefault("DJANGO_MANIFEST_STATIC", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def ensure_database() -> None:
    import psycopg2
    from django.conf import settings

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
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def setup(cases: int | None = None) -> None:
    """Django on the bench database; with `cases`, the sections seed that many cases (ten events each) in a
    database of that size's own."""
    configure_environment(cases)
    import django

    django.setup()
    ensure_database()
    # In-process requests are served as gunicorn's workers serve them: the views loaded, the start-up heap frozen.
    import config.wsgi  # noqa: F401

    if cases is not None:
        from tests.benchmarks import sections

        sections.CASES = cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="run only the sections whose name contains this text")
    parser.add_argument(
        "--cases", type=int, help="seed and measure this many cases instead of 100,000, in gemdesk_bench_<n>k"
    )
    args = parser.parse_args()

    setup(args.cases)

    from tests.benchmarks import sections
    from tests.benchmarks.harness import Report

    report = Report()
    started = time.monotonic()
    for section in sections.ALL:
        if args.only and args.only not in section.__name__:
            continue
        section(report)
    table = report.markdown(total_seconds=time.monotonic() - started)
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    print(table)
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "bench.md").write_text(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
