"""Items 12 (stored XSS) and 13 (mail header injection) of RELIABILITY.md on every surface.

The fields come from the code: every text field of every form and input serializer of the four apps (158: 83 on
forms, 75 on serializers) must have a row in hostile_input.TABLE, or the first test fails. 138 are shown, in 48
places; 20 nowhere, each with its reason.

XSS: all 209 payloads of tests/recognition/xss.py go through the services into each of the 41 places that keep
text (packed into as few records as the field's length allows, cut to it when longer), and every page showing
them (about 520) is drawn by its view, or for a place needing a record per payload by the view's template,
and parsed: 0 elements or attributes from a payload, and every payload back as text. Fields whose rules refuse
markup (title, email, phone) get all 209 refused; lookups a page types back, 21 each. A sample of every
journey goes over HTTP with all the middleware: each text/html answer has a CSP without 'unsafe-inline' in
script-src. Emails are plain text; an HTML part would be parsed like a page.

Headers: 100 payloads (12 line breaks and 8 spelled ones, each before 5 header lines) go into each of the 8
header-bound places through the services: refused naming the field, or kept without a line break and sent to
a real SMTP sink (335 letters), each with exactly 1 To, the intended one, and no header of the payload's. Every
form and API field writing one of them gets 3 over HTTP (84 requests): 400 naming it, or 201 and kept clean.
"""

import email
import email.policy
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django import forms as django_forms
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import timezone
from django_htmx.middleware import HtmxDetails

from complaints import emails as case_emails
from complaints.cases import services as case_services
from complaints.incidents import services as incident_services
from complaints.intake import services as intake_services
from complaints.mail.services import email_keep_rejected
from complaints.models import ActorKind, Case
from complaints.promises import services as promise_services
from complaints.resolution import services as resolution_services
from complaints.validation import typed_text
from crm.customers.services import customer_erase, customer_update
from crm.exceptions import InvalidInput
from crm.models import Customer, EmailState, OutboundEmail, Subscription
from crm.outbox import sending as outbox_sending
from crm.validation import clean_customer_fields, normalise_email
from feedback.policies.services import policy_save
from feedback.suggestions import services as suggestion_services
from recognition.models import Story
from recognition.praise.services import compliment_submit
from recognition.stories import services as story_services
from tests.complaints.factories import make_case
from tests.config.hostile_input import (
    FOREIGN_HEADERS,
    HEADER_PAYLOADS,
    REFUSED,
    TABLE,
    PageReport,
    Shown,
    destinations,
    has_line_break,
    header_destinations,
    inputs_of,
    writable_text_fields,
)
from tests.crm.factories import CustomerFactory, ServiceFactory, StaffFactory
from tests.feedback.factories import make_suggestion
from tests.recognition.factories import published, tell
from tests.recognition.xss import DRESSINGS, PAYLOADS, VECTORS

pytestmark = pytest.mark.django_db

# A place with a record per payload or two: this many records through the view, the rest through its template.
RECORDS_THROUGH_THE_VIEW = 5
# Lookups typed back: one request per payload, so every vector once, each in another dressing.
TYPED_BACK_SAMPLE = [DRESSINGS[n % len(DRESSINGS)](vector) for n, vector in enumerate(VECTORS)]
# Sent over HTTP to each form and API field bound for a header: CR LF, and two line breaks a CR/LF filter misses.
HTTP_HEADER_SAMPLE = ["\r\nBcc: victim@evil.test", "\u2028Bcc: victim@evil.test", "\x85Bcc: victim@evil.test"]
ALLOWED_HEADERS = {
    "content-type",
    "mime-version",
    "content-transfer-encoding",
    "subject",
    "from",
    "to",
    "date",
    "message-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "auto-submitted",
}
_addresses = itertools.count()


def tagged(tag: str, limit: int = 20_000, separator: str = "\n") -> list[str]:
    """Every payload, each marked `{tag}{n}:` so that a page shows it for this field and no other, cut to
    `limit` when longer, packed into as few values of at most `limit` characters as hold them."""
    values, current = [], ""
    for n, payload in enumerate(PAYLOADS):
        piece = f"{tag}{n}:{payload}"[:limit].strip()
        joined = f"{current}{separator}{piece}" if current else piece
        if len(joined) > limit:
            values.append(current)
            joined = piece
        current = joined
    return [*values, current]


def one_line(tag: str, limit: int) -> list[str]:
    return tagged(tag, limit, separator=" ")


def a_client_address() -> str:
    """A client address of its own for each public request, so the public throttles never answer instead."""
    n = next(_addresses)
    return f"10.9.{n // 250}.{n % 250 + 1}"


def an_email(prefix: str = "hostile") -> str:
    return f"{prefix}{next(_addresses)}@example.test"


def assert_csp(response, url: str) -> None:
    policy = response.get("Content-Security-Policy", "")
    assert policy, f"{url}: a text/html answer without Content-Security-Policy"
    directives = {part.split()[0]: part for part in (p.strip() for p in policy.split(";")) if part}
    script_src = directives.get("script-src", directives.get("default-src", ""))
    assert script_src and "'unsafe-inline'" not in script_src, f"{url}: script-src is {script_src!r}"


class Reader:
    """Reads pages (drawn by their views, their templates, or fetched over HTTP), checks each, and keeps
    the text a person sees for the 'it came back as text' checks of `shown`."""

    def __init__(self) -> None:
        self.readable: list[str] = []
        self.checked: set[str] = set()

    def view(self, user, url: str, data: dict | None = None, **query: str):
        """The page of `url` drawn by its view for `user` (POST when `data` is given)."""
        factory = RequestFactory()
        request = factory.post(url, data) if data is not None else factory.get(url, query)
        request.user = user or AnonymousUser()
        request.htmx = HtmxDetails(request)
        match = resolve(urlsplit(url).path)
        return self.read(match.func(request, *match.args, **match.kwargs), url)

    def template(self, user, name: str, context: dict) -> None:
        request = RequestFactory().get("/")
        request.user = user
        self.check(render_to_string(name, context, request=request), name)

    def fetch(self, client, url: str, **query: str):
        return self.read(client.get(url, query), url, over_http=True)

    def post(self, client, url: str, data: dict, status: int = 302, **extra: str):
        response = self.read(client.post(url, data, **extra), url, over_http=True)
        assert response.status_code == status, (url, response.status_code, form_errors(response))
        return response

    def read(self, response, url: str, *, over_http: bool = False):
        assert response.status_code < 500, f"{url}: {response.status_code}"
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
        if response.get("Content-Type", "").startswith("text/html"):
            if over_http:
                assert_csp(response, url)
            self.check(response.content.decode(), url)
        return response

    def check(self, html: str, where: str) -> None:
        report = PageReport(html)
        assert not report.injected, f"{where}: {len(report.injected)} injected, e.g. {report.injected[:3]}"
        self.readable.append("\x00".join(report.readable))

    def shown(self, stored: str, values: list[str]) -> None:
        """Every value (every line of it: pages break lines) is on a page read so far, as text."""
        text = "\x00".join(self.readable)
        missing = [line for value in values for line in value.split("\n") if line not in text]
        assert not missing, f"{stored}: {len(missing)} payloads not shown as text, e.g. {missing[:2]}"
        self.checked.add(stored)

    def records(self, user, records: list, url: Callable, template: str, context: Callable) -> None:
        """One page per record: the first few through the view, the rest through its template."""
        for record in records[:RECORDS_THROUGH_THE_VIEW]:
            self.view(user, url(record))
        for record in records[RECORDS_THROUGH_THE_VIEW:]:
            self.template(user, template, context(record))


@pytest.fixture
def people(alice, bob, charlie, lena, mona, erin, as_user, api_as, client):
    return SimpleNamespace(
        alice=alice,
        bob=bob,
        charlie=charlie,
        lena=lena,
        mona=mona,
        erin=erin,
        page=as_user,
        api=api_as,
        anonymous=client,
    )


def case_page(case) -> str:
    return reverse("complaints:case-detail", args=[case.reference])


def status_page(case) -> str:
    return reverse("case-status", args=[case.public_token])


def later(days: int = 2):
    return timezone.now() + timedelta(days=days)


# --- The journeys of item 12 -----------------------------------------------------------------------------------


def customer_journey(p, reader: Reader) -> None:
    fields = {
        "full_name": one_line("fn", 200),
        "preferred_name": one_line("pn", 100),
        "formal_name": one_line("fo", 150),
        "pronouns": one_line("pr", 40),
        "name_pronunciation": one_line("sp", 200),
        "notes": tagged("no"),
    }
    records = []
    for n in range(max(map(len, fields.values()))):
        typed = {field: values[n] for field, values in fields.items() if n < len(values)}
        typed.setdefault("full_name", f"Customer {n}")
        records.append(Customer(**clean_customer_fields(typed)))  # the services' rules, written in one statement
    customers = Customer.objects.bulk_create(records)
    reader.records(
        p.alice,
        customers,
        lambda customer: reverse("crm:customer-detail", args=[customer.pk]),
        "crm/customers/detail.html",
        lambda customer: {"customer": customer, "history": [], "sections": []},
    )
    for page in range(1, len(customers) // 50 + 2):
        reader.view(p.alice, reverse("crm:customer-list"), page=str(page))
    for field, values in fields.items():
        reader.shown(f"Customer.{field}", values)

    # Over HTTP: the new-customer form, its API twin, and a call logged for someone with no email or phone.
    staff = p.page(p.alice)
    typed = {field: values[0] for field, values in fields.items()}
    # The same names as the records above, which the form offers as look-alikes first: this one is new.
    new = typed | {"preferred_channel": "email", "not_a_duplicate": "on"}
    created = reader.post(staff, reverse("crm:customer-new"), new)
    reader.fetch(staff, created["Location"])
    answer = p.api(p.alice).post("/api/v1/customers/", typed | {"full_name": "By the API"}, format="json")
    assert answer.status_code == 201, answer.json()
    reader.fetch(staff, reverse("crm:customer-detail", args=[answer.json()["id"]]))
    why = tagged("nc", 400)[0]
    logged = {"full_name": "No Contact", "no_contact_reason": why, "channel": "phone", "subject": "s"}
    logged |= {"description": "d", "severity": "normal", "not_a_duplicate": "on"}
    reader.post(staff, reverse("complaints:log-call"), logged)
    reader.fetch(staff, reverse("crm:customer-detail", args=[Customer.objects.get(full_name="No Contact").pk]))
    reader.shown("Customer.notes", [why])


def case_journey(p, reader: Reader) -> None:
    customer = CustomerFactory()
    subjects, descriptions, outcomes = one_line("su", 200), tagged("de"), tagged("ou", 5_000)
    public_texts, orders = tagged("pd", 10_000), one_line("or", 100)
    for subject in subjects:
        case_services.case_create(customer=customer, channel="phone", subject=subject, description="d", by=p.alice)
    told = [make_case(by=p.alice, customer=customer, description=text) for text in descriptions]
    for outcome in outcomes:  # on the case as it is opened, and as it is edited
        told.append(make_case(by=p.alice, customer=customer, outcome_wanted=outcome))
        told.append(make_case(by=p.alice, customer=customer))
        case_services.case_update(case=told[-1], by=p.alice, outcome_wanted=outcome)
    public = [intake_services.complaint_submit(name="Ann", email=an_email(), description=t) for t in public_texts]
    order_cases = []
    for order_reference in orders:
        errors: dict[str, list[str]] = {}
        kept = typed_text(order_reference, field="order_reference", max_length=100, required=False, errors=errors)
        assert not errors, errors  # the public complaint's rule for it
        order_cases.append(make_case(customer=customer, order_reference=kept, acknowledge=False))
    for page in (1, 2):
        reader.view(p.alice, reverse("complaints:my-cases"), page=str(page))
    for page in (1, 2, 3):
        reader.view(p.lena, reverse("complaints:team-queue"), page=str(page))
    for case in told + public:
        reader.view(p.lena, case_page(case))
        reader.view(None, status_page(case))
    reader.records(p.lena, order_cases, case_page, "complaints/cases/_case_panel.html", lambda case: {"case": case})
    reader.shown("Case.subject", subjects)
    reader.shown("Case.description", descriptions)
    reader.shown("Case.description (public: its first line is the subject)", public_texts)
    reader.shown("Case.outcome_wanted", outcomes)
    reader.shown("Case.order_reference", orders)

    # Over HTTP: the public form and its API twin, the staff API, and a refused email made into a case.
    sample = {field: f"h{field}:{PAYLOADS[n]}" for n, field in enumerate(("subject", "description", "outcome"))}
    public_form = {"name": "Ann", "email": an_email(), "description": sample["description"]}
    reader.post(
        p.anonymous,
        reverse("complain"),
        public_form | {"order_reference": sample["subject"][:100]},
        status=201,
        REMOTE_ADDR=a_client_address(),
    )
    answer = p.api(None).post(
        "/api/v1/public/complaints/",
        public_form | {"email": an_email(), "outcome_wanted": sample["outcome"]},
        format="json",
        REMOTE_ADDR=a_client_address(),
    )
    assert answer.status_code == 201, answer.json()
    staff = p.api(p.alice).post(
        "/api/v1/cases/",
        {"customer": customer.pk, "channel": "phone", "subject": sample["subject"], "description": "By the API."},
        format="json",
    )
    assert staff.status_code == 201, staff.json()
    rejected = email_keep_rejected(f"From: {an_email()}\r\n\r\nhello\r\n".encode(), reason="unreadable")
    lead = p.page(p.lena)
    opened = reader.post(
        lead,
        reverse("complaints:rejected-open-case", args=[rejected.pk]),
        {"email": an_email(), "name": "Ann", "subject": "From the mail", "description": sample["outcome"]},
    )
    for url in (case_page(Case.objects.latest("pk")), reverse("complaints:team-queue"), opened["Location"]):
        reader.fetch(lead, url)
    reader.fetch(lead, reverse("complaints:case-detail", args=[staff.json()["reference"]]))
    reader.fetch(lead, reverse("complaints:case-detail", args=[answer.json()["reference"]]))
    reader.shown("Case.subject", [sample["subject"]])
    reader.shown("Case.description", [sample["description"], sample["outcome"]])
    reader.shown("Case.outcome_wanted", [sample["outcome"]])


def case_activity_journey(p, reader: Reader) -> None:
    case = make_case(by=p.alice, customer=CustomerFactory(email=an_email()))
    notes, messages, summaries = tagged("nt"), tagged("me"), tagged("rs")
    promised, reasons = tagged("pt", 500), {what: tagged(what, 2_000) for what in ("rr", "wr", "er", "hr", "or")}
    seniors = [p.lena, p.mona, p.erin] + [StaffFactory(role="manager") for _ in reasons["er"][3:]]
    # Over HTTP: the note and message forms.
    staff = p.page(p.alice)
    reader.post(staff, reverse("complaints:case-action", args=[case.reference, "note"]), {"text": notes[0]})
    reader.post(staff, reverse("complaints:case-action", args=[case.reference, "message"]), {"text": messages[0]})
    promises = [promise_services.promise_make(case=case, by=p.alice, text=text, due_at=later()) for text in promised]
    for promise, reason in zip(promises, reasons["rr"], strict=False):
        promise_services.promise_reschedule(promise=promise, by=p.alice, due_at=later(3), reason=reason)
    for promise, reason in zip(promises[len(reasons["rr"]) :], reasons["wr"], strict=False):
        promise_services.promise_withdraw(promise=promise, by=p.alice, reason=reason)
    for senior, reason in zip(seniors, reasons["er"], strict=True):
        case_services.case_escalate(case=case, by=p.alice, reason=reason, to=senior.username)
    for owner, reason in zip(itertools.cycle([p.bob, p.alice]), reasons["hr"], strict=False):
        case_services.case_handover(case=case, to=owner.username, reason=reason, by=p.lena)
    for promise in case.promises.filter(status="open"):  # a case is resolved with its promises settled
        promise_services.promise_keep(promise=promise, by=p.alice)
    for reason in reasons["or"]:
        resolution_services.case_resolve(case=case, by=p.lena, resolution_summary=summaries[0], root_cause="process")
        resolution_services.case_reopen(case=case, by=p.lena, reason=reason)
    resolution_services.case_resolve(case=case, by=p.lena, resolution_summary=summaries[0], root_cause="process")
    # A customer whose name no payload holds: erasure scrubs their name and address out of the reason.
    erased = make_case(by=p.alice, customer=CustomerFactory(full_name="Nadia Quist"))
    why = tagged("pe")
    customer_erase(customer=erased.customer, by=p.mona, reason=why[0])

    reader.fetch(p.page(p.lena), case_page(case))
    reader.view(p.lena, reverse("complaints:lead-view"))
    reader.view(None, status_page(case))
    reader.view(p.mona, case_page(erased))
    reader.shown("CaseEvent(note).text", notes)
    reader.shown("CaseEvent(message out).text", messages)
    reader.shown("Promise.text", promised)
    reader.shown("Promise.reason", reasons["rr"] + reasons["wr"])
    reader.shown("Collaborator.reason", reasons["er"])
    reader.shown("CaseEvent(handed over).reason", reasons["hr"])
    reader.shown("Case.resolution_summary", summaries)
    reader.shown("CaseEvent(reopened).reason", reasons["or"])
    reader.shown("CaseEvent(personal data erased).reason", why)


def status_page_journey(p, reader: Reader) -> None:
    replies, comments, reasons = tagged("cr", 10_000), tagged("cc", 5_000), tagged("cw", 5_000)
    asked = tagged("cm", 5_000)
    cases = [make_case(by=p.alice, customer=CustomerFactory(email=an_email())) for _ in comments]
    # Over HTTP: the customer's reply form on their status page.
    reply = reverse("case-status-action", args=[cases[0].public_token, "reply"])
    reader.post(p.anonymous, reply, {"reply-text": replies[0]}, REMOTE_ADDR=a_client_address())
    for text in replies[1:]:
        intake_services.case_receive_message(case=cases[0], text=text)
    for case, comment, reason in zip(cases, comments, reasons, strict=True):
        resolution_services.case_resolve(case=case, by=p.alice, resolution_summary="Fixed.", root_cause="process")
        intake_services.case_rate(case=case, score=2, comment=comment)
        resolution_services.case_reopen(case=case, by=None, reason=reason, actor_kind=ActorKind.CUSTOMER)
    for case, reason in zip(cases, asked, strict=True):  # the owner's lead joins: once per case
        intake_services.case_customer_asks_for_manager(case=case, reason=reason)
    reader.fetch(p.anonymous, status_page(cases[0]))
    for case in cases:
        reader.view(None, status_page(case))
        reader.view(p.alice, case_page(case))
    reader.shown("CaseEvent(message in).text", replies)
    reader.shown("CaseEvent(rated).comment", comments)
    reader.shown("CaseEvent(reopened, manager asked).reason", reasons + asked)


def incident_journey(p, reader: Reader) -> None:
    broadband = ServiceFactory()
    titles, subjects, bodies = one_line("it", 200), one_line("us", 200), tagged("ub")
    incidents = [incident_services.incident_declare(by=p.lena, title=title, services=[broadband]) for title in titles]
    described = incident_services.incident_declare(
        by=p.lena, title="Described", services=[broadband], description=tagged("id")[0]
    )
    regions = sorted(f"rg{n}:{payload}"[:60].strip().lower() for n, payload in enumerate(PAYLOADS))  # kept so
    for n in range(0, len(regions), 100):
        incident_services.incident_declare(
            by=p.lena, title=f"Regions {n}", services=[broadband], regions=regions[n : n + 100]
        )
    for subject, body in itertools.zip_longest(subjects, bodies, fillvalue="Still on it."):
        incident_services.incident_publish_update(incident=incidents[0], by=p.lena, subject=subject, body=body)
    Subscription.objects.create(customer=CustomerFactory(), service=broadband, region="")
    linked = make_case(by=p.alice)
    incident_services.incident_link_case(case=linked, incident=incidents[0], by=p.alice)
    # Over HTTP: the update form's preview, which draws the notice (a plain-text template) inside the page.
    preview = {"subject": "Preview", "body": tagged("pv")[0], "preview": "1"}
    reader.post(p.page(p.lena), reverse("complaints:incident", args=[incidents[1].pk]), preview, status=200)
    reader.view(p.lena, reverse("complaints:incidents"))
    for incident in (incidents[0], described):
        reader.view(p.lena, reverse("complaints:incident", args=[incident.pk]))
    reader.view(None, reverse("public-incidents"))
    reader.view(None, reverse("complain"))
    reader.view(p.alice, case_page(linked))
    reader.shown("Incident.title", titles)
    reader.shown("Incident.description", tagged("id"))
    reader.shown("Incident.regions", regions)
    reader.shown("IncidentUpdate.subject", subjects)
    reader.shown("IncidentUpdate.body", bodies + tagged("pv"))


def suggestion_journey(p, reader: Reader) -> None:
    subjects, comments, decisions = one_line("ss", 200), tagged("sc", 5_000), tagged("sd", 5_000)
    texts = {field: tagged(field[:2], 5_000) for field in ("problem", "proposal", "expected_benefit")}
    names, descriptions = one_line("pn", 120), tagged("pd", 2_000)
    for subject in subjects:
        make_suggestion(author=p.alice, subject=subject)
    written = []
    for chunk in zip(*texts.values(), strict=True):  # as a suggestion is made, and as its author edits it
        written.append(make_suggestion(author=p.alice, **dict(zip(texts, chunk, strict=True))))
        written.append(make_suggestion(author=p.alice))
        suggestion_services.suggestion_edit(suggestion=written[-1], by=p.alice, **dict(zip(texts, chunk, strict=True)))
    for text in comments:
        suggestion_services.suggestion_comment(suggestion=written[0], by=p.bob, text=text)
    for suggestion, decision in zip(written, decisions, strict=False):
        suggestion_services.suggestion_decide(suggestion=suggestion, by=p.mona, status="declined", decision=decision)
    policies = [
        policy_save(by=p.mona, name=name, manager=p.mona, description=description, root_causes=["policy"])
        for name, description in itertools.zip_longest(names, descriptions, fillvalue="")
    ]
    for page in (1, 2):
        reader.view(p.bob, reverse("feedback:board"), page=str(page))
    for suggestion in written:
        reader.view(p.alice, reverse("feedback:suggestion", args=[suggestion.pk]))
    reader.view(p.mona, reverse("feedback:review"))
    reader.view(p.mona, reverse("feedback:policies"))
    for policy in policies[: len(descriptions)]:
        reader.view(p.mona, reverse("feedback:policy", args=[policy.pk]))
    reader.shown("Suggestion.subject", subjects)
    for field, values in texts.items():
        reader.shown(f"Suggestion.{field}", values)
    reader.shown("feedback Comment.text", comments)
    reader.shown("Suggestion.decision", decisions)
    reader.shown("Policy.name", names)
    reader.shown("Policy.description", descriptions)

    # Over HTTP: the suggestion form.
    staff = p.page(p.bob)
    typed = {field: f"h{field}:{PAYLOADS[n]}" for n, field in enumerate(("subject", *texts))}
    sent = reader.post(staff, reverse("feedback:submit"), typed)
    reader.fetch(staff, sent["Location"])
    reader.shown("Suggestion.subject", [typed["subject"]])
    reader.shown("Suggestion.problem", [typed["problem"]])


def story_journey(p, reader: Reader) -> None:
    texts, comments, reasons = tagged("st", 5_000), tagged("sc", 5_000), tagged("dr", 2_000)
    about, names = one_line("ab", 200), one_line("cn", 200)
    stories = [published(p.charlie, [p.alice], moderator=p.lena, story=text) for text in texts]
    for text in comments:
        story_services.story_comment(story=stories[0], by=p.bob, text=text)
    declined = [tell(p.charlie, [p.bob]) for _ in reasons]
    for story, reason in zip(declined, reasons, strict=True):
        story_services.story_decline(story=story, by=p.lena, reason=reason)
    for words in about:
        compliment_submit(story="Thank you.", about=words)
    for name in names:
        thanked = compliment_submit(story="Thank you.", about="Alice", name=name, email=an_email())
        story_services.story_publish(story=thanked, by=p.lena, kind="delight")
    for page in (1, 2, 3):
        reader.view(p.bob, reverse("recognition:board"), page=str(page))
        reader.view(p.lena, reverse("recognition:moderate"), page=str(page))
    for story in stories + declined:
        reader.view(p.charlie, reverse("recognition:story", args=[story.pk]))
    reader.shown("Story.text", texts)
    reader.shown("recognition Comment.text", comments)
    reader.shown("Story.decline_reason", reasons)
    reader.shown("Story.about_as_given", about)
    # Shown in one place only, a plain-text email: its words are there, and it has no HTML part.
    letters = OutboundEmail.objects.filter(key__endswith=":teller", subject__startswith="Thank you")
    greetings = dict(letters.values_list("to_name", "body_text"))
    assert all(greetings[name].startswith(f"Hello {name},") for name in names), sorted(greetings)[:2]
    reader.checked.add("Story.customer_name")

    # Over HTTP: the public compliment form, whose thank-you page names whom it was about.
    about_one = f"hab:{PAYLOADS[0]}"
    praise = {"about": about_one, "story": f"hst:{PAYLOADS[1]}"}
    reader.post(p.anonymous, reverse("praise"), praise, status=201, REMOTE_ADDR=a_client_address())
    reader.fetch(p.page(p.lena), reverse("recognition:story", args=[Story.objects.latest("pk").pk]))
    reader.shown("Story.about_as_given", [about_one])
    reader.shown("Story.text", [f"hst:{PAYLOADS[1]}"])


def typed_back_journey(p, reader: Reader) -> None:
    suggestion = make_suggestion(author=p.alice)
    nominated, linked, person = (
        [f"{tag}{n}:{payload}" for n, payload in enumerate(TYPED_BACK_SAMPLE)] for tag in "nlb"
    )
    story = {"about": ["alice"], "kind": "delight", "story": "Kind."}
    for case, reference, username in zip(nominated, linked, person, strict=True):
        reader.view(p.bob, reverse("recognition:nominate"), story | {"case": case})
        reader.view(p.bob, reverse("feedback:action", args=[suggestion.pk, "link-case"]), {"reference": reference})
        reader.view(p.bob, reverse("recognition:board"), person=username)
    cases = one_line("sc", 2_000)
    for value in cases:
        texts = {"subject": "s", "problem": "p", "proposal": "q", "expected_benefit": "b"}
        reader.view(p.bob, reverse("feedback:submit"), texts | {"cases": value})
    reader.fetch(p.page(p.bob), reverse("recognition:board"), person=person[0])  # and once over HTTP
    reader.shown("nothing (a case reference looked up)", nominated)
    reader.shown("nothing (case references looked up)", cases + linked)
    reader.shown("nothing (a username filtered on)", [value for value in person if len(value) <= 150])


def refused_journey(p, reader: Reader) -> None:
    """These fields are shown, but their rules let none of the payloads in."""
    for field in ("title", "email", "phone"):
        for payload in PAYLOADS:
            with pytest.raises(InvalidInput) as refused:
                clean_customer_fields({field: payload})
            assert field in refused.value.errors
        reader.checked.add(f"Customer.{field}")
    for payload in PAYLOADS:
        with pytest.raises(ValidationError):
            normalise_email(payload)  # the compliment's address, by the customers' rule
    reader.checked.add("Story.customer_email")


JOURNEYS: dict[str, Callable] = {
    "customer": customer_journey,
    "case": case_journey,
    "case_activity": case_activity_journey,
    "status_page": status_page_journey,
    "incident": incident_journey,
    "suggestion": suggestion_journey,
    "story": story_journey,
    "typed_back": typed_back_journey,
    REFUSED: refused_journey,
}


def test_every_writable_text_field_has_a_row_saying_where_it_is_shown():
    fields = writable_text_fields()
    missing, gone = sorted(set(fields) - set(TABLE)), sorted(set(TABLE) - set(fields))
    assert not missing, f"{len(missing)} text fields with no row in hostile_input.TABLE: {missing}"
    assert not gone, f"rows for fields that no longer exist: {gone}"
    assert {row.journey for row in TABLE.values() if isinstance(row, Shown)} == set(JOURNEYS)
    assert set(HEADER_ROUTES) == header_destinations()


def test_the_reader_finds_every_payload_left_unescaped_and_none_escaped():
    for payload in PAYLOADS:
        escaped = PageReport(f"<p>{django_forms.Textarea().render('t', payload)}</p>")
        assert not escaped.injected and any(payload in text for text in escaped.readable), payload
        if not (payload.startswith("<!--") and payload.endswith("-->")):  # a whole comment runs nothing
            assert PageReport(f"<p>{payload}</p>").injected, payload


@pytest.mark.parametrize("journey", sorted(JOURNEYS))
def test_xss_payloads_come_back_as_text_on_every_page_and_in_every_email(journey, people):
    reader = Reader()
    JOURNEYS[journey](people, reader)
    assert reader.checked == destinations(journey), reader.checked ^ destinations(journey)
    for html in OutboundEmail.objects.exclude(body_html="").values_list("body_html", flat=True):
        reader.check(html, "an email's HTML part")


# --- Item 13: header injection ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """How a header-bound place is written: `send(value, n)` through its service returns the emails it queued
    (or raises InvalidInput naming `field`); `http` holds a request per form or API field that writes it. A
    place that keeps any text (`kept` reads back the last value stored) must keep it without a line break."""

    base: str  # a plausible value the payload is appended to
    field: str
    send: Callable[[str, int], list[OutboundEmail]]
    http: dict[str, Callable]
    kept: Callable[[], str] | None = None


def customer_route(p, field: str, public_field: str, *, base: str) -> Route:
    """The customer's name or address: its service, and every form and API field that writes it (called
    `public_field` on the public forms)."""
    case = make_case(by=p.alice, customer=CustomerFactory(email=an_email()))

    def send(value: str, n: int) -> list[OutboundEmail]:
        customer = customer_update(customer=case.customer, by=p.alice, **{field: value})
        case.customer = customer
        key = f"hostile:{field}:{n}"
        case_emails.email_customer(case, key=key, template="cases/email/message", subject="Hello", text="Hello.")
        return list(OutboundEmail.objects.filter(key=key))

    customer = CustomerFactory()
    rejected = email_keep_rejected(f"From: {an_email()}\r\nSubject: hi\r\n\r\nhello\r\n".encode(), reason="unread")
    valid = {"full_name": "Ann Example", "email": an_email(), "preferred_channel": "email"}
    public = {"name": "Ann Example", "email": an_email(), "description": "It broke."}
    logged = {"full_name": "Ann", "email": an_email(), "channel": "phone", "subject": "s", "description": "d"}
    logged |= {"severity": "normal", "not_a_duplicate": "on"}
    staff, lead = p.page(p.alice), p.page(p.lena)
    http = {
        f"crm.customers.forms.CustomerForm.{field}": lambda v: staff.post(
            reverse("crm:customer-edit", args=[customer.pk]), valid | {field: v}
        ),
        f"crm.customers.forms.NewCustomerForm.{field}": lambda v: staff.post(
            reverse("crm:customer-new"), valid | {field: v}
        ),
        f"crm.customers.serializers.CustomerInput.{field}": lambda v: p.api(p.alice).post(
            "/api/v1/customers/", valid | {field: v}, format="json"
        ),
        f"complaints.cases.forms.LogContactForm.{field}": lambda v: staff.post(
            reverse("complaints:log-call"), logged | {field: v}
        ),
        f"complaints.intake.forms.ComplaintForm.{public_field}": lambda v: p.anonymous.post(
            reverse("complain"), public | {public_field: v}, REMOTE_ADDR=a_client_address()
        ),
        f"complaints.intake.serializers.PublicComplaintInput.{public_field}": lambda v: p.api(None).post(
            "/api/v1/public/complaints/", public | {public_field: v}, format="json", REMOTE_ADDR=a_client_address()
        ),
        f"complaints.mail.forms.RejectedToCaseForm.{public_field}": lambda v: lead.post(
            reverse("complaints:rejected-open-case", args=[rejected.pk]), public | {"subject": "s", public_field: v}
        ),
    }
    return Route(base=base, field=field, send=send, http=http)


def subject_route(p) -> Route:
    def send(value: str, n: int) -> list[OutboundEmail]:
        customer = CustomerFactory(email=an_email())  # a fresh address each time: acknowledgements are rationed
        case = case_services.case_create(customer=customer, channel="phone", subject=value, description="d", by=p.alice)
        return list(OutboundEmail.objects.filter(key=case_emails.acknowledgement_key(case)))

    case = make_case(by=p.alice)
    rejected = email_keep_rejected(f"From: {an_email()}\r\nSubject: hi\r\n\r\nhello\r\n".encode(), reason="unread")
    new = {"customer": case.customer_id, "channel": "phone", "description": "d"}
    http = {
        "complaints.cases.serializers.CaseCreateInput.subject": lambda v: p.api(p.alice).post(
            "/api/v1/cases/", new | {"subject": v}, format="json"
        ),
        "complaints.cases.serializers.CaseUpdateInput.subject": lambda v: p.api(p.alice).patch(
            f"/api/v1/cases/{case.reference}/", {"subject": v}, format="json"
        ),
        "complaints.cases.forms.LogContactForm.subject": lambda v: p.page(p.alice).post(
            reverse("complaints:log-call"),
            {"full_name": "Ann", "email": an_email(), "channel": "phone", "subject": v, "description": "d"}
            | {"severity": "normal", "not_a_duplicate": "on"},
        ),
        "complaints.mail.forms.RejectedToCaseForm.subject": lambda v: p.page(p.lena).post(
            reverse("complaints:rejected-open-case", args=[rejected.pk]),
            {"email": an_email(), "name": "Ann", "subject": v, "description": "d"},
        ),
    }
    return Route(base="Router broken", field="subject", send=send, http=http)


def public_description_route(p) -> Route:
    """A public complaint's first line becomes its subject; the text itself may hold any line break."""

    def send(value: str, n: int) -> list[OutboundEmail]:
        case = intake_services.complaint_submit(name="Ann", email=an_email(), description=f"{value}\nMore words.")
        return list(OutboundEmail.objects.filter(key=case_emails.acknowledgement_key(case)))

    public = {"name": "Ann Example"}
    http = {
        "complaints.intake.forms.ComplaintForm.description": lambda v: p.anonymous.post(
            reverse("complain"), public | {"email": an_email(), "description": v}, REMOTE_ADDR=a_client_address()
        ),
        "complaints.intake.serializers.PublicComplaintInput.description": lambda v: p.api(None).post(
            "/api/v1/public/complaints/",
            public | {"email": an_email(), "description": v},
            format="json",
            REMOTE_ADDR=a_client_address(),
        ),
    }

    def kept() -> str:
        return Case.objects.latest("pk").subject

    return Route(base="Router broken", field="description", send=send, http=http, kept=kept)


def incident_title_route(p) -> Route:
    broadband = ServiceFactory()
    linked = make_case(by=p.alice)

    def send(value: str, n: int) -> list[OutboundEmail]:
        incident = incident_services.incident_declare(by=p.lena, title=value, services=[broadband])
        Case.objects.filter(pk=linked.pk).update(incident=incident)
        update = incident_services.incident_publish_update(
            incident=incident, by=p.lena, subject="Fixed", body="It works again.", is_resolution=True
        )
        incident_services.incident_fan_out(update_id=update.pk)
        return list(OutboundEmail.objects.filter(key=case_emails.incident_owner_key(update, linked)))

    http = {
        "complaints.incidents.forms.IncidentForm.title": lambda v: p.page(p.lena).post(
            reverse("complaints:incidents"), {"title": v, "services": [broadband.slug], "severity": "high"}
        ),
        "complaints.incidents.serializers.IncidentInput.title": lambda v: p.api(p.lena).post(
            "/api/v1/incidents/", {"title": v, "services": [broadband.slug]}, format="json"
        ),
    }
    return Route(base="Broadband outage", field="title", send=send, http=http)


def update_subject_route(p) -> Route:
    broadband = ServiceFactory()
    Subscription.objects.create(customer=CustomerFactory(email=an_email()), service=broadband, region="")

    def send(value: str, n: int) -> list[OutboundEmail]:
        incident = incident_services.incident_declare(by=p.lena, title=f"Outage {n}", services=[broadband])
        update = incident_services.incident_publish_update(incident=incident, by=p.lena, subject=value, body="Fixing.")
        incident_services.incident_fan_out(update_id=update.pk)
        return list(OutboundEmail.objects.filter(bulk=update.email))

    incident = incident_services.incident_declare(by=p.lena, title="Outage", services=[broadband])
    http = {
        "complaints.incidents.forms.IncidentUpdateForm.subject": lambda v: p.page(p.lena).post(
            reverse("complaints:incident", args=[incident.pk]), {"subject": v, "body": "Fixing."}
        ),
        "complaints.incidents.serializers.UpdateInput.subject": lambda v: p.api(p.lena).post(
            f"/api/v1/incidents/{incident.pk}/updates/", {"subject": v, "body": "Fixing."}, format="json"
        ),
    }
    return Route(base="Broadband outage", field="subject", send=send, http=http)


def compliment_route(p, field: str, *, base: str) -> Route:
    """A compliment's name (kept with line breaks made spaces) or address (refused)."""

    def send(value: str, n: int) -> list[OutboundEmail]:
        story = compliment_submit(story="Thank you.", about="Alice", **({"email": an_email()} | {field: value}))
        story_services.story_publish(story=story, by=p.lena, kind="delight")
        return list(OutboundEmail.objects.filter(key=f"story:{story.pk}:teller"))

    praise = {"about": "Alice", "story": "Thank you.", "email": an_email()}
    http = {
        f"recognition.praise.forms.ComplimentForm.{field}": lambda v: p.anonymous.post(
            reverse("praise"), praise | {field: v}, REMOTE_ADDR=a_client_address()
        ),
        f"recognition.praise.serializers.ComplimentInput.{field}": lambda v: p.api(None).post(
            "/api/v1/public/compliments/", praise | {field: v}, format="json", REMOTE_ADDR=a_client_address()
        ),
    }

    def kept() -> str:
        return Story.objects.latest("pk").customer_name

    return Route(base=base, field=field, send=send, http=http, kept=kept if field == "name" else None)


HEADER_ROUTES: dict[str, Callable[..., Route]] = {
    "Customer.full_name": lambda p: customer_route(p, "full_name", "name", base="Ann Example"),
    "Customer.email": lambda p: customer_route(p, "email", "email", base="ann@example.test"),
    "Case.subject": subject_route,
    "Case.description (public: its first line is the subject)": public_description_route,
    "Incident.title": incident_title_route,
    "IncidentUpdate.subject": update_subject_route,
    "Story.customer_name": lambda p: compliment_route(p, "name", base="Ann Example"),
    "Story.customer_email": lambda p: compliment_route(p, "email", base="ann@example.test"),
}


def form_errors(response) -> set[str]:
    """The fields named by the errors of the forms a page was drawn with."""
    contexts = response.context if isinstance(response.context, list) else [response.context]
    named: set[str] = set()
    for context in filter(None, contexts):
        for value in context.flatten().values():
            if isinstance(value, django_forms.BaseForm):
                named |= set(value.errors)
    return named


def assert_refused(response, fields: set[str], where: str) -> None:
    """400 naming the field, as the form or API calls it or as the service does (the public complaint API
    names its `name` after the customer's `full_name`)."""
    assert response.status_code == 400, f"{where}: {response.status_code}, not 400"
    if response["Content-Type"].startswith("application/json"):
        named = set(response.json()["errors"])
    else:
        assert_csp(response, where)
        named = form_errors(response)
    assert fields & named, f"{where}: the errors name {named}, not {fields}"


def assert_one_clean_letter(raw: bytes, to_email: str) -> None:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    names = [name.lower() for name in message]
    assert not set(names) - ALLOWED_HEADERS, f"headers no letter of ours has: {set(names) - ALLOWED_HEADERS}"
    assert not FOREIGN_HEADERS & set(names) and names.count("to") == 1, names
    assert [address.addr_spec for address in message["To"].addresses] == [to_email], message["To"]


@pytest.mark.parametrize("stored", sorted(HEADER_ROUTES))
def test_header_payloads_are_refused_or_never_leave_their_header(stored, people, sink):
    route = HEADER_ROUTES[stored](people)
    letters: list[OutboundEmail] = []
    for n, payload in enumerate(HEADER_PAYLOADS):
        value = f"{route.base}{payload}"
        try:
            letters += route.send(value, n)
        except InvalidInput as error:
            assert route.field in error.errors, f"{value!r} refused naming {set(error.errors)}, not {route.field}"
        else:
            assert route.kept or not has_line_break(value), f"{value!r} accepted"
    sent_before = len(sink.raw)
    outbox_sending.send_pending([row.pk for row in letters])
    unsent = OutboundEmail.objects.filter(pk__in=[row.pk for row in letters]).exclude(state=EmailState.SENT)
    assert not unsent.exists(), list(unsent.values_list("subject", "last_error")[:3])
    for raw, row in zip(sink.raw[sent_before:], sorted(letters, key=lambda row: row.pk), strict=True):
        assert_one_clean_letter(raw, row.to_email)

    assert set(route.http) == set(inputs_of(stored)), "each form and API field that writes it needs its request"
    for key, post in route.http.items():
        for payload in HTTP_HEADER_SAMPLE:
            response = post(f"{route.base}{payload}")
            if route.kept is None or response.status_code == 400:
                assert_refused(response, {key.rsplit(".", 1)[1], route.field}, key)
            else:
                assert response.status_code == 201 and not has_line_break(route.kept()), (key, response.status_code)
