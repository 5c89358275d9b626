"""Instruments of test_hostile_input_everywhere: every text field a form or input serializer lets someone write
(found by walking the apps' forms and serializers modules, so a new field is found too), the table saying where
each one ends up, an HTML reader that finds any element or attribute a payload put into a page, and one hundred
mail-header injection payloads."""

import importlib
import inspect
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import django
import django_htmx
from django import forms
from rest_framework import serializers

ROOT = Path(__file__).resolve().parents[2]
APPS = ("crm", "complaints", "feedback", "recognition")


# --- Every writable text field ---------------------------------------------------------------------------------


def _form_and_serializer_modules() -> list[str]:
    paths = sorted(path for app in APPS for name in ("forms.py", "serializers.py") for path in (ROOT / app).rglob(name))
    return [".".join(path.relative_to(ROOT).with_suffix("").parts) for path in paths]


def _is_text(field: serializers.Field) -> bool:
    child = getattr(field, "child", None)
    return isinstance(field, serializers.CharField) or isinstance(child, serializers.CharField)


def writable_text_fields() -> list[str]:
    """`module.Class.field` for every text field of every form, and of every serializer but the outputs (a
    serializer called anything but `...Output` counts as one a client writes to)."""
    found = []
    for module_name in _form_and_serializer_modules():
        module = importlib.import_module(module_name)
        for class_name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module_name:
                continue
            if issubclass(cls, forms.BaseForm):
                names = [name for name, field in cls.base_fields.items() if isinstance(field, forms.CharField)]
            elif issubclass(cls, serializers.BaseSerializer) and not class_name.endswith("Output"):
                names = [name for name, field in cls().fields.items() if not field.read_only and _is_text(field)]
            else:
                continue
            found += [f"{module_name}.{class_name}.{name}" for name in names]
    return found


# --- Where each one ends up ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """Kept as `stored` and shown on `pages` (and in the plain-text emails named there). `journey` is the test
    that writes every payload into it and reads those pages back; `header` names the email header it reaches."""

    stored: str
    journey: str
    pages: str
    header: str = ""


@dataclass(frozen=True)
class NotShown:
    reason: str


def _each(destination: Shown | NotShown, *keys: str) -> dict[str, Shown | NotShown]:
    return dict.fromkeys(keys, destination)


CF, NCF, CI = "crm.customers.forms.CustomerForm", "crm.customers.forms.NewCustomerForm", "crm.customers.serializers"
CASE_F, CASE_S = "complaints.cases.forms", "complaints.cases.serializers"
LOG = "complaints.cases.forms.LogContactForm"
INTAKE_F, INTAKE_S = "complaints.intake.forms", "complaints.intake.serializers"
REJECTED = "complaints.mail.forms.RejectedToCaseForm"
PROMISE_F, PROMISE_S = "complaints.promises.forms", "complaints.promises.serializers"
INCIDENT_F, INCIDENT_S = "complaints.incidents.forms", "complaints.incidents.serializers"
SUGGEST_F, SUGGEST_S = "feedback.suggestions.forms", "feedback.suggestions.serializers"
PRAISE_F, PRAISE_S = "recognition.praise.forms.ComplimentForm", "recognition.praise.serializers.ComplimentInput"
STORY_F, STORY_S = "recognition.stories.forms", "recognition.stories.serializers"
CASE_PAGE = "case page (panel and timeline)"
LOOKED_UP = NotShown("looked up (a username, a case reference, a status token) and never stored; the API answers JSON")
# The rules of crm.validation let none of the payloads in: the "refused" journey proves it for every payload.
REFUSED = "refused"

TABLE: dict[str, Shown | NotShown] = {
    # crm: the customer record
    **_each(
        Shown(
            "Customer.full_name",
            "customer",
            "customer list and page, case lists and panel; the To name of every letter to them",
            header="To",
        ),
        f"{CF}.full_name",
        f"{NCF}.full_name",
        f"{CI}.CustomerInput.full_name",
        f"{LOG}.full_name",
        f"{INTAKE_F}.ComplaintForm.name",
        f"{INTAKE_S}.PublicComplaintInput.name",
        f"{REJECTED}.name",
    ),
    **_each(
        Shown("Customer.preferred_name", "customer", "customer list and page (the salutation), letters' greeting"),
        f"{CF}.preferred_name",
        f"{NCF}.preferred_name",
        f"{CI}.CustomerInput.preferred_name",
        f"{LOG}.preferred_name",
    ),
    **_each(
        Shown("Customer.formal_name", "customer", "customer list and page (the salutation), letters' greeting"),
        f"{CF}.formal_name",
        f"{NCF}.formal_name",
        f"{CI}.CustomerInput.formal_name",
        f"{LOG}.formal_name",
        f"{INTAKE_F}.ComplaintForm.formal_name",
        f"{INTAKE_S}.PublicComplaintInput.formal_name",
    ),
    **_each(
        Shown("Customer.pronouns", "customer", "customer page, case panel"),
        f"{CF}.pronouns",
        f"{NCF}.pronouns",
        f"{CI}.CustomerInput.pronouns",
    ),
    **_each(
        Shown("Customer.name_pronunciation", "customer", "customer page, case panel"),
        f"{CF}.name_pronunciation",
        f"{NCF}.name_pronunciation",
        f"{CI}.CustomerInput.name_pronunciation",
        f"{LOG}.name_pronunciation",
    ),
    **_each(
        Shown("Customer.notes", "customer", "customer page (notes)"),
        f"{CF}.notes",
        f"{NCF}.notes",
        f"{CI}.CustomerInput.notes",
        f"{LOG}.no_contact_reason",  # kept as a note: "No email or phone given when … was logged: <reason>"
    ),
    **_each(
        Shown("Customer.title", REFUSED, "customer page; salutation (letters only: crm.names.normalise_title)"),
        f"{CF}.title",
        f"{NCF}.title",
        f"{CI}.CustomerInput.title",
        f"{LOG}.title",
        f"{INTAKE_F}.ComplaintForm.title",
        f"{INTAKE_S}.PublicComplaintInput.title",
    ),
    **_each(
        Shown("Customer.email", REFUSED, "customer list and page, case panel; the To address", header="To"),
        f"{CF}.email",
        f"{NCF}.email",
        f"{CI}.CustomerInput.email",
        f"{LOG}.email",
        f"{INTAKE_F}.ComplaintForm.email",
        f"{INTAKE_S}.PublicComplaintInput.email",
        f"{REJECTED}.email",
    ),
    **_each(
        Shown("Customer.phone", REFUSED, "customer list and page, case panel (E.164 only)"),
        f"{CF}.phone",
        f"{NCF}.phone",
        f"{CI}.CustomerInput.phone",
        f"{LOG}.phone",
        f"{INTAKE_F}.ComplaintForm.phone",
        f"{INTAKE_S}.PublicComplaintInput.phone",
    ),
    **_each(
        NotShown("a two-letter code (nothing else gets in), kept for the figures and the data export"),
        f"{CI}.CustomerInput.country",
    ),
    **_each(
        NotShown("kept for the customer's own data export (a JSON download); no page or email shows it"),
        f"{CI}.CustomerInput.address_line1",
        f"{CI}.CustomerInput.address_line2",
        f"{CI}.CustomerInput.city",
        f"{CI}.CustomerInput.postcode",
        f"{CI}.CustomerInput.language",
    ),
    **_each(
        NotShown("a search: matched against customers and answered as JSON, never stored"),
        f"{CI}.SimilarQueryInput.name",
        f"{CI}.SimilarQueryInput.email",
        f"{CI}.SimilarQueryInput.phone",
    ),
    **_each(
        Shown("CaseEvent(personal data erased).reason", "case_activity", "the timeline of each of their cases"),
        f"{CI}.EraseInput.reason",
    ),
    # complaints: the case
    **_each(
        Shown("Case.subject", "case", "case lists and page; the Subject of every email about the case", "Subject"),
        f"{CASE_S}.CaseCreateInput.subject",
        f"{CASE_S}.CaseUpdateInput.subject",
        f"{LOG}.subject",
        f"{REJECTED}.subject",
    ),
    **_each(
        Shown("Case.description", "case", f"{CASE_PAGE}, the customer's status page"),
        f"{CASE_S}.CaseCreateInput.description",
        f"{LOG}.description",
        f"{REJECTED}.description",
    ),
    **_each(
        Shown(
            "Case.description (public: its first line is the subject)",
            "case",
            f"{CASE_PAGE}, status page, case lists; its first line the Subject of every email about the case",
            "Subject",
        ),
        f"{INTAKE_F}.ComplaintForm.description",
        f"{INTAKE_S}.PublicComplaintInput.description",
    ),
    **_each(
        Shown("Case.outcome_wanted", "case", CASE_PAGE),
        f"{CASE_S}.CaseCreateInput.outcome_wanted",
        f"{CASE_S}.CaseUpdateInput.outcome_wanted",
        f"{LOG}.outcome_wanted",
        f"{INTAKE_F}.ComplaintForm.outcome_wanted",
        f"{INTAKE_S}.PublicComplaintInput.outcome_wanted",
    ),
    **_each(
        Shown("Case.order_reference", "case", "case panel"),
        f"{INTAKE_F}.ComplaintForm.order_reference",
        f"{INTAKE_S}.PublicComplaintInput.order_reference",
    ),
    # complaints: what staff do on a case
    **_each(
        Shown("CaseEvent(note).text", "case_activity", "case timeline"),
        f"{CASE_F}.NoteForm.text",
        f"{CASE_S}.TextInput.text",
    ),
    **_each(
        Shown("CaseEvent(message out).text", "case_activity", "case timeline, status page; the message email"),
        f"{CASE_F}.MessageForm.text",
        f"{CASE_S}.MessageInput.text",
    ),
    **_each(
        Shown("Collaborator.reason", "case_activity", "case panel and timeline, lead's team page; escalation email"),
        f"{CASE_F}.EscalateForm.reason",
        f"{CASE_S}.EscalateInput.reason",
    ),
    **_each(
        Shown("CaseEvent(handed over).reason", "case_activity", "case timeline; handover emails"),
        f"{CASE_F}.HandoverForm.reason",
        f"{CASE_S}.HandoverInput.reason",
    ),
    **_each(
        Shown("Case.resolution_summary", "case_activity", f"{CASE_PAGE}, status page; resolution email"),
        f"{CASE_F}.ResolveForm.resolution_summary",
        f"{CASE_S}.ResolveInput.resolution_summary",
    ),
    **_each(
        Shown("CaseEvent(reopened).reason", "case_activity", "case timeline"),
        f"{CASE_F}.ReopenForm.reason",
        f"{CASE_S}.ReasonInput.reason",
    ),
    **_each(
        Shown("Promise.text", "case_activity", "case page, lead's team page, status page; promise emails"),
        f"{PROMISE_F}.PromiseForm.text",
        f"{PROMISE_S}.PromiseInput.text",
    ),
    **_each(
        Shown("Promise.reason", "case_activity", "case page (promises, timeline); promise emails"),
        f"{PROMISE_F}.RescheduleForm.reason",
        f"{PROMISE_S}.RescheduleInput.reason",
        f"{PROMISE_F}.SettleForm.reason",
        f"{PROMISE_S}.SettleInput.reason",
    ),
    # complaints: what customers do on their status page
    **_each(
        Shown("CaseEvent(message in).text", "status_page", "status page, case timeline; email to the owner"),
        f"{INTAKE_F}.CustomerReplyForm.text",
        f"{INTAKE_S}.PublicMessageInput.text",
    ),
    **_each(
        Shown("CaseEvent(rated).comment", "status_page", "status page, case timeline"),
        f"{INTAKE_F}.RatingForm.comment",
        f"{INTAKE_S}.PublicRatingInput.comment",
    ),
    **_each(
        Shown("CaseEvent(reopened, manager asked).reason", "status_page", "case timeline; email to the owner"),
        f"{INTAKE_F}.CustomerReasonForm.reason",
        f"{INTAKE_S}.PublicReasonInput.reason",
    ),
    # complaints: incidents
    **_each(
        Shown(
            "Incident.title",
            "incident",
            "incident list and page, public incidents page, complaint form, case panel; "
            "the Subject of the owners' resolution email",
            "Subject",
        ),
        f"{INCIDENT_F}.IncidentForm.title",
        f"{INCIDENT_S}.IncidentInput.title",
    ),
    **_each(
        Shown("Incident.description", "incident", "incident page (staff only)"),
        f"{INCIDENT_F}.IncidentForm.description",
        f"{INCIDENT_S}.IncidentInput.description",
    ),
    **_each(
        Shown("Incident.regions", "incident", "incident page, public incidents page, complaint form"),
        f"{INCIDENT_F}.IncidentForm.regions",
        f"{INCIDENT_S}.IncidentInput.regions",
    ),
    **_each(
        Shown(
            "IncidentUpdate.subject",
            "incident",
            "incident page, public incidents page; the Subject of every notice",
            "Subject",
        ),
        f"{INCIDENT_F}.IncidentUpdateForm.subject",
        f"{INCIDENT_S}.UpdateInput.subject",
    ),
    **_each(
        Shown("IncidentUpdate.body", "incident", "incident page, public incidents page; every notice"),
        f"{INCIDENT_F}.IncidentUpdateForm.body",
        f"{INCIDENT_S}.UpdateInput.body",
    ),
    # feedback
    **_each(
        Shown("Suggestion.subject", "suggestion", "suggestion board, review page, suggestion page"),
        f"{SUGGEST_F}.SuggestionForm.subject",
        f"{SUGGEST_F}.EditForm.subject",
        f"{SUGGEST_S}.SuggestionCreateInput.subject",
        f"{SUGGEST_S}.SuggestionUpdateInput.subject",
    ),
    **{
        f"{module}.{form}.{field}": Shown(f"Suggestion.{field}", "suggestion", "suggestion page, review page")
        for field in ("problem", "proposal", "expected_benefit")
        for module, form in (
            (SUGGEST_F, "SuggestionForm"),
            (SUGGEST_F, "EditForm"),
            (SUGGEST_S, "SuggestionCreateInput"),
            (SUGGEST_S, "SuggestionUpdateInput"),
        )
    },
    **_each(
        Shown("feedback Comment.text", "suggestion", "suggestion page"),
        f"{SUGGEST_F}.CommentForm.text",
        f"{SUGGEST_S}.SuggestionCommentInput.text",
    ),
    **_each(
        Shown("Suggestion.decision", "suggestion", "suggestion page; the status email"),
        f"{SUGGEST_F}.DecideForm.decision",
        f"{SUGGEST_S}.DecideInput.decision",
    ),
    **_each(
        Shown("Policy.name", "suggestion", "policy list and page, suggestion board and page"),
        "feedback.policies.forms.PolicyForm.name",
    ),
    **_each(Shown("Policy.description", "suggestion", "policy page"), "feedback.policies.forms.PolicyForm.description"),
    # recognition
    **_each(
        Shown("Story.text", "story", "recognition board, story page, moderation page"),
        f"{STORY_F}.NominateForm.story",
        f"{STORY_S}.StoryCreateInput.story",
        f"{PRAISE_F}.story",
        f"{PRAISE_S}.story",
    ),
    **_each(
        Shown("Story.about_as_given", "story", "moderation page, story page, the compliment's thank-you page"),
        f"{PRAISE_F}.about",
        f"{PRAISE_S}.about",
    ),
    **_each(
        Shown("Story.customer_name", "story", "only the 'passed on' email: its To name and greeting", header="To"),
        f"{PRAISE_F}.name",
        f"{PRAISE_S}.name",
    ),
    **_each(
        Shown("Story.customer_email", REFUSED, "only the 'passed on' email: its To address", header="To"),
        f"{PRAISE_F}.email",
        f"{PRAISE_S}.email",
    ),
    **_each(
        Shown("Story.decline_reason", "story", "story page (teller, moderators); the declined email"),
        f"{STORY_F}.DeclineForm.reason",
        f"{STORY_S}.DeclineInput.reason",
    ),
    **_each(
        Shown("recognition Comment.text", "story", "story page"),
        f"{STORY_F}.CommentForm.text",
        f"{STORY_S}.StoryCommentInput.text",
    ),
    # Looked up, not stored: pages type them back (a form with its error, the board's filter); the API does not.
    **_each(
        Shown("nothing (a case reference looked up)", "typed_back", "the story form, shown again with its error"),
        f"{STORY_F}.NominateForm.case",
    ),
    **_each(
        Shown("nothing (case references looked up)", "typed_back", "the suggestion forms, shown again with an error"),
        f"{SUGGEST_F}.SuggestionForm.cases",
        f"{SUGGEST_F}.LinkCaseForm.reference",
    ),
    **_each(
        Shown("nothing (a username filtered on)", "typed_back", "the recognition board's filter"),
        f"{STORY_F}.BoardFilterForm.person",
    ),
    **_each(
        LOOKED_UP,
        f"{CASE_S}.AssignInput.to",
        f"{CASE_S}.HandoverInput.to",
        f"{CASE_S}.EscalateInput.to",
        f"{SUGGEST_S}.LinkCaseInput.reference",
        f"{SUGGEST_S}.SuggestionCreateInput.cases",
        f"{STORY_S}.StoryCreateInput.about",
        f"{STORY_S}.StoryCreateInput.case",
        f"{STORY_S}.PublishInput.about",
        f"{PRAISE_S}.token",
    ),
    **_each(
        NotShown("a honeypot: when it is filled in the sender is thanked and nothing is kept"),
        f"{INTAKE_F}.ComplaintForm.website",
        f"{PRAISE_F}.website",
    ),
}


def destinations(journey: str) -> set[str]:
    return {row.stored for row in TABLE.values() if isinstance(row, Shown) and row.journey == journey}


def header_destinations() -> set[str]:
    return {row.stored for row in TABLE.values() if isinstance(row, Shown) and row.header}


def inputs_of(stored: str) -> list[str]:
    return [key for key, row in TABLE.items() if isinstance(row, Shown) and row.stored == stored]


# --- What a payload could put into a page ----------------------------------------------------------------------


def _tags_written_in(paths: list[Path]) -> set[str]:
    return {tag.lower() for path in paths for tag in re.findall(r"<([a-zA-Z][a-zA-Z0-9-]*)", path.read_text())}


# Every tag our templates, our Python (format_html), Django's form widgets and django-htmx's script tag
# write, and the line breaks of the linebreaks filters. A payload's tag that none of them writes is its own.
TEMPLATE_TAGS = _tags_written_in(
    [
        *ROOT.glob("templates/**/*.html"),
        *(path for app in APPS for path in (ROOT / app).glob("templates/**/*.html")),
        *(path for app in APPS for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts),
        *(Path(django.__file__).parent / "forms" / "templates").rglob("*.html"),
        Path(django_htmx.__file__).parent / "jinja.py",
    ]
) | {"br", "p"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "background", "xlink:href", "srcdoc"}
SCRIPT_URL = re.compile(r"^(javascript|vbscript|data:text/html)", re.IGNORECASE)
# Every XSS payload calls alert(): in a script or a style it is running code, in an attribute of its own a sign
# that the payload made the tag.
CANARY = "alert"


class PageReport(HTMLParser):
    """Reads a page: `injected` lists each element or attribute no template put there (script with inline
    code, a tag no template writes, an event handler, a script URL, a meta refresh, a base); `readable` holds
    the text and attribute values a person sees, to check that a payload came back as text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.injected: list[str] = []
        self.readable: list[str] = []
        self._raw: str | None = None  # inside <script> or <style>
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.readable.extend(values.values())
        shown = f"<{tag} {' '.join(f'{n}={v!r}' for n, v in values.items())}>"[:160]
        if tag not in TEMPLATE_TAGS:
            self.injected.append(f"a <{tag}>, which no template writes: {shown}")
        for name, value in values.items():
            bare = re.sub(r"[\x00-\x20]", "", value)
            if name.startswith("on"):
                self.injected.append(f"an event handler: {shown}")
            elif name in URL_ATTRIBUTES and SCRIPT_URL.match(bare):
                self.injected.append(f"a script URL: {shown}")
            elif name == "style" and ("javascript:" in bare.lower() or "expression(" in bare.lower()):
                self.injected.append(f"script in a style: {shown}")
            elif (
                CANARY in value.lower()
                and "<" not in value
                and name not in URL_ATTRIBUTES
                and (name, value)
                != (
                    "role",
                    "alert",
                )
            ):
                # A payload typed into a value keeps its "<"; without it, the canary came from a tag of its own.
                # (A bare "alert" is no call: it is the templates' own role="alert", e.g. the error summary.)
                self.injected.append(f"an attribute of a payload's own tag: {shown}")
        if tag == "script" and not values.get("src", "").startswith("/static/"):
            self.injected.append(f"a script not served from /static/: {shown}")
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self.injected.append(f"a refresh: {shown}")
        if tag == "base":
            self.injected.append(f"a base URL: {shown}")
        if tag in ("script", "style"):
            self._raw = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._raw:
            self._raw = None

    def handle_data(self, data: str) -> None:
        if self._raw is None:
            self.readable.append(data)
        elif CANARY in data.lower() or "javascript:" in data.lower():
            self.injected.append(f"code inside <{self._raw}>: {data[:120]!r}")


# --- Mail header injection -------------------------------------------------------------------------------------

# Real line breaks (and what Python's str.splitlines or a mail client may take for one) ...
LINE_BREAKS = ["\r\n", "\n", "\r", "\r\n\t", "\r\n ", "\n\n", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c"]
# ... and line breaks spelled as text, which must stay text.
SPELLED_BREAKS = ["%0d%0a", "%0A", "%E2%80%A8", "\\r\\n", "&#13;&#10;", "=0D=0A", "=?utf-8?q?=0D=0A?=", "\\u2028"]
INJECTED_HEADERS = [
    "Bcc: victim@evil.test",
    "Cc: victim@evil.test",
    "To: victim@evil.test",
    "Reply-To: victim@evil.test",
    "X-Injected: yes",
]
# Each is appended to a plausible value ("Ann Example", "ann@example.test") by the test.
HEADER_PAYLOADS = [f"{brk}{header}" for brk in LINE_BREAKS + SPELLED_BREAKS for header in INJECTED_HEADERS]
assert len(HEADER_PAYLOADS) == 100, len(HEADER_PAYLOADS)
# A payload's own header must never become one; Bcc and Cc are the classic targets.
FOREIGN_HEADERS = {"bcc", "cc", "reply-to", "x-injected"}


def has_line_break(payload: str) -> bool:
    return any(brk in payload for brk in LINE_BREAKS)
