"""Demo data for `make run`: one staff user per role, 200 customers with real-world names, services,
complaint categories, a few cases in every state, twelve weeks of complaints with their histories (the
figures' dashboard), an incident ready to publish, and what the apps built on
complaints add (feedback: policies and suggestions in every status).

Idempotent: a second run finds everything in place and changes nothing. The passwords are
printed because they are for a local demo only.
"""

import importlib
import importlib.util
import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from complaints.cases.services import case_create, case_escalate
from complaints.demo import seed_history
from complaints.incidents.services import incident_declare, incident_link_case
from complaints.intake.services import complaint_submit
from complaints.models import Case, Category, Incident
from complaints.promises.services import promise_make
from complaints.resolution.services import case_resolve
from crm.customers.services import customer_create
from crm.models import Customer, Service, Subscription
from crm.staff.services import staff_create_or_update

DEMO_TEAM = "Customer Care"
DEMO_STAFF = [
    # username, role, display name, password (demo only)
    ("lead", "lead", "Grace Okafor", "gemdesk-demo-lead-2026"),
    ("agent", "agent", "Tom Evans", "gemdesk-demo-agent-2026"),
    ("agent2", "agent", "Mei Lin", "gemdesk-demo-agent2-2026"),
    ("manager", "manager", "Sofia Rossi", "gemdesk-demo-manager-2026"),
    ("executive", "executive", "Daniel Cohen", "gemdesk-demo-executive-2026"),
]
SERVICES = ["Broadband", "Mobile", "TV", "Billing portal"]
REGIONS = ["north", "south", "east", "west"]
CUSTOMERS = 200

# (full name as written, title or "", formal name, preferred name, pronunciation). Titles are the
# customer's own choice: most have none, and none is ever inferred from a name.
NAMES = [
    ("Siân Llewellyn", "Ms", "Llewellyn", "Siân", "SHAHN hlu-WEL-in"),
    ("Aoife Ní Bhriain", "", "", "Aoife", "EE-fa nee VREE-in"),
    ("Niamh O'Sullivan", "Dr", "O'Sullivan", "", "NEEV"),
    ("Bill Thomas", "Mr", "Thomas", "Bill", ""),
    ("Margaret Thomas", "Mrs", "Thomas", "Peggy", ""),
    ("Jan van der Berg", "Mr", "van der Berg", "Jan", "YAHN fun der BERKH"),
    ("Ludwig van Beethoven", "", "", "", ""),
    ("José María García López", "Sr.", "García López", "Pepe", ""),
    ("Zoë Brontë", "Mx", "Brontë", "", ""),
    ("François Lefèvre", "", "", "", "frahn-SWAH luh-FEV-ruh"),
    ("Søren Kierkegaard", "Prof", "Kierkegaard", "", ""),
    ("Małgorzata Wiśniewska", "", "", "Gosia", "mow-go-ZHAH-ta"),
    ("Γιώργος Παπαδόπουλος", "", "", "Γιώργος", "YOR-gos"),
    ("Анна Иванова", "", "", "Аня", ""),
    ("محمد عبد الله", "", "", "", "mu-HAM-mad"),
    ("فاطمة الزهراء", "", "", "", ""),
    ("דוד כהן", "", "", "", "da-VEED ko-HEN"),
    ("प्रिया शर्मा", "", "", "Priya", "PREE-ya"),
    ("王伟", "", "", "", "wahng way"),
    ("李娜", "", "", "", ""),
    ("山田 太郎", "", "", "", "ya-MA-da TAH-roh"),
    ("김민준", "", "", "", "kim min-jun"),
    ("Nguyễn Thị Minh Khai", "", "", "Minh", ""),
    ("Oluwaseun Adeyemi", "", "", "Seun", "sheh-OON"),
    ("Kwame Mensah", "Rev", "Mensah", "", ""),
    ("Sukarno", "", "", "", ""),
    ("Dame Judith Anderson", "Dame", "Judith", "", ""),
    ("Sir Alan Jackson", "Sir", "Alan", "", ""),
    ("Alan Johnson", "", "", "", ""),
    ("Ingrid Bergström", "", "", "", ""),
]
FIRST_NAMES = [
    "Amira",
    "Bogdan",
    "Chiara",
    "Dafydd",
    "Eilidh",
    "Farid",
    "Hana",
    "Ioana",
    "Jiho",
    "Kofi",
    "Lucía",
    "Mateus",
    "Nadia",
    "Oisín",
    "Pavel",
    "Rania",
    "Sakura",
    "Tomasz",
    "Ulla",
    "Yusuf",
]
LAST_NAMES = [
    "Abboud",
    "Bianchi",
    "Costa",
    "Dubois",
    "Evans",
    "Fischer",
    "Horvat",
    "Jensen",
    "Kowalczyk",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Okonkwo",
    "Pereira",
    "Quinn",
    "Rahman",
    "Schmidt",
    "Tanaka",
]


def demo_customers() -> Iterator[dict[str, str]]:
    """200 deterministic customers: the hand-picked names first, then generated combinations."""
    rng = random.Random(2026)
    for n in range(CUSTOMERS):
        if n < len(NAMES):
            full_name, title, formal_name, preferred, pronunciation = NAMES[n]
        else:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            full_name, preferred, pronunciation = f"{first} {last}", "", ""
            title = rng.choice(["", "", "", "Mr", "Ms", "Mrs", "Dr", "Mx"])
            formal_name = last if title else ""
        yield {
            "full_name": full_name,
            "title": title,
            "formal_name": formal_name,
            "preferred_name": preferred,
            "name_pronunciation": pronunciation,
            "email": f"customer.{n}@example.test",
            "phone": f"+44 20 7946 {n:04d}",  # Ofcom drama range: never a real line
        }


class Command(BaseCommand):
    help = "Create demo staff (one per role), 200 customers, services and subscriptions. Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        # No outer transaction: each step is a service with its own, and every step checks before it creates.
        for username, role, display_name, password in DEMO_STAFF:
            staff_create_or_update(
                username=username,
                role=role,
                email=f"{username}@gemdesk.localhost",
                password=password,
                display_name=display_name,
                team_name=DEMO_TEAM,
            )
        services = [
            Service.objects.get_or_create(slug=name.lower().replace(" ", "-"), defaults={"name": name})[0]
            for name in SERVICES
        ]
        rng = random.Random(7)
        created = 0
        for fields in demo_customers():
            customer = Customer.objects.filter(email=fields["email"]).first()
            if customer is None:
                customer = customer_create(by=None, **fields)
                created += 1
            for service in rng.sample(services, k=rng.randint(1, 3)):
                Subscription.objects.get_or_create(
                    customer=customer, service=service, defaults={"region": rng.choice(REGIONS)}
                )
        self.seed_cases_and_incident(services)
        # Apps built on complaints (feedback, recognition) add theirs: complaints cannot import them, so each
        # keeps its demo in `<app>/demo.py` with a seed() that is safe to run again.
        for config in apps.get_app_configs():
            if config.name != "complaints" and importlib.util.find_spec(f"{config.name}.demo") is not None:
                importlib.import_module(f"{config.name}.demo").seed()
        self.stdout.write(f"Demo data ready: {created} new customers, {Customer.objects.count()} in all.")
        self.stdout.write("\nDemo logins (for this local demo only):")
        self.stdout.write(f"  {'username':<10} {'role':<10} password")
        for username, role, _, password in DEMO_STAFF:
            self.stdout.write(f"  {username:<10} {role:<10} {password}")

    def seed_cases_and_incident(self, services: list[Service]) -> None:
        for name in ("Billing", "Outage", "Engineer visit", "Customer service", "Contract"):
            Category.objects.get_or_create(slug=name.lower().replace(" ", "-"), defaults={"name": name})
        if Case.objects.exists():
            return  # cases are demo history: made once
        users = get_user_model().objects
        agent, agent2, lead = users.get(username="agent"), users.get(username="agent2"), users.get(username="lead")
        customers = list(Customer.objects.order_by("pk")[:8])
        billing = Category.objects.get(slug="billing")
        for customer, text in zip(
            customers[:3],
            [
                "I was charged twice for November and nobody answers my emails.",
                "The engineer did not come on Tuesday although I took the day off.",
                "My broadband drops every evening around 8pm.",
            ],
            strict=True,
        ):
            complaint_submit(name=customer.full_name, email=customer.email, description=text)
        owned = case_create(
            customer=customers[3],
            channel="phone",
            subject="Refund still missing",
            description="Promised a refund a month ago.",
            by=agent,
            category=billing,
        )
        promise_make(
            case=owned, by=agent, text="Refund of £42 on your card", due_at=timezone.now() + timedelta(hours=3)
        )
        escalated = case_create(
            customer=customers[4],
            channel="letter",
            subject="Third outage",
            description="Third outage this month; I want compensation.",
            by=agent2,
        )
        case_escalate(case=escalated, by=agent2, level="lead", reason="Repeated outages, asks for goodwill")
        done = case_create(
            customer=customers[5],
            channel="phone",
            subject="Wrong tariff",
            description="Moved to the wrong tariff.",
            by=agent,
        )
        case_resolve(
            case=done, by=agent, resolution_summary="Tariff corrected, difference refunded", root_cause="process"
        )
        # Billing complaints are feedback's demo story (the policy change that cut them): not added to here.
        history = seed_history(
            agents=[agent, agent2, lead],
            customers=list(Customer.objects.exclude(email="")),
            categories=list(Category.objects.exclude(slug="billing").order_by("pk")),
        )
        self.stdout.write(f"Twelve weeks of history for the figures: {history} complaints.")
        if not Incident.objects.exists():
            incident = incident_declare(
                by=lead,
                title="Broadband outage in the north",
                services=[s for s in services if s.slug == "broadband"],
                regions=["north"],
                description="Fibre cut near the exchange; engineers on site.",
            )
            incident_link_case(case=escalated, incident=incident, by=lead)
