"""What make bench measures, one function per area. Each seeds what it needs once."""

import csv
import io
import random
import tempfile
import time
from pathlib import Path

from crm.services import staff_create_or_update
from django.core.management import call_command
from django.test import Client

from crm.models import Customer
from tests.benchmarks.harness import Report, measure_requests

CUSTOMERS = 200_000
IMPORT_ROWS = 100_000
SEED_BATCH = 5_000

FIRST = ["Ana", "Bill", "Chloé", "Dmitri", "Eilidh", "Fatima", "Giorgos", "Hiroshi", "Ingrid", "José", "Kwame",
         "Léa", "Mohammed", "Niamh", "Olumide", "Priya", "Quentin", "Rūta", "Siobhán", "Thomas", "Uwe", "Wei"]
LAST = ["Jackson", "Johnson", "Nguyen", "O'Brien", "van der Berg", "Müller", "Kowalski", "Okafor", "Papadopoulos",
        "Smith", "Tanaka", "Ivanova", "Haddad", "Cohen", "Sharma", "Jones", "García", "Rossi", "Kim", "Thomas"]


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
        Customer.objects.bulk_create(
            Customer(
                full_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                email=f"bench{n}@example.test",
                phone=f"+4479{n:08d}",
            )
            for n in range(start, min(start + SEED_BATCH, CUSTOMERS))
        )
    print(f"  seeded {CUSTOMERS - have} customers in {time.monotonic() - started:.0f} s", flush=True)


def customers(report: Report) -> None:
    _seed_customers()
    client = _agent_client()
    n = Customer.objects.count()
    measure_requests(report, f"API customers list, first page of 50 ({n:,} customers)",
                     lambda: client.get("/api/v1/customers/"), target="< 50 ms p50")
    measure_requests(report, "API customer search by name (q=Jackson)",
                     lambda: client.get("/api/v1/customers/", {"q": "Jackson"}), target="< 50 ms p50")
    measure_requests(report, "Customers page, first page", lambda: client.get("/customers/"), target="< 50 ms p50")
    measure_requests(report, "Customers page, search by name", lambda: client.get("/customers/", {"q": "van der Berg"}))
    measure_requests(report, "API similar customers (name=Jon Jakson)",
                     lambda: client.get("/api/v1/customers/similar/", {"name": "Jon Jakson"}))


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
            writer.writerow([f"{rng.choice(FIRST)} {last}", rng.choice(["", "Mr", "Ms", "Dr"]), last,
                             f"import{tag}-{n}@example.test", ""])
        path.write_text(buffer.getvalue(), encoding="utf-8")
        for label in ("new rows", "same rows again (updates)"):
            started = time.monotonic()
            call_command("import_customers", str(path), verbosity=0)
            seconds = time.monotonic() - started
            report.add(f"import_customers, {IMPORT_ROWS:,} {label}", target="< 60 s",
                       time=f"{seconds:.1f} s", rate=f"{IMPORT_ROWS / seconds:,.0f} rows/s")
    Customer.objects.filter(email__startswith=f"import{tag}-").delete()


ALL = [customers, customer_import]
