"""How each event of a case reads on its page, built in Python: the same lines as a template would draw,
but a template of a dozen branches per event cost a millisecond each (50 ms for a case of 50 events,
half the page). Everything a person typed is escaped by format_html."""

from typing import Any

from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from complaints.models import Case, CaseChannel, CaseEvent, EventKind
from crm.names import staff_display_name
from crm.times import when_html

PROMISE_DUE_KINDS = {
    EventKind.PROMISE_MADE,
    EventKind.PROMISE_WARNED,
    EventKind.PROMISE_BROKEN,
    EventKind.PROMISE_WITHDRAWN,
    EventKind.PROMISE_OVERDUE,
}


def _quote(text: Any) -> SafeString:
    return format_html("<blockquote>{}</blockquote>", linebreaksbr(str(text), autoescape=True))


def _who(event: CaseEvent) -> SafeString:
    data = event.data
    if event.kind == EventKind.MESSAGE_IN_UNVERIFIED:
        return format_html(
            'from {}: <span class="at-risk">not the customer\'s own words ({}); check with them before acting on it'
            "</span>",
            data.get("sender", ""),
            data.get("reason", ""),
        )
    if event.actor is not None:
        return format_html("by {}", staff_display_name(event.actor) or "nobody")
    return format_html("by {}", event.get_actor_kind_display().lower())


def _detail(event: CaseEvent, name: Any) -> SafeString:
    """What this kind of event adds on its line (`name`: username -> the name staff go by)."""
    data, kind = event.data, event.kind
    if kind == EventKind.CREATED:
        return format_html('<span class="muted">({})</span>', data.get("channel", ""))
    if kind == EventKind.MESSAGE_IN:
        logged = format_html(", taken down by {}", name(data["logged_by"])) if data.get("logged_by") else ""
        return format_html('<span class="muted">({}{})</span>', data.get("channel", ""), logged)
    if kind == EventKind.HANDED_OVER:
        return format_html("from {} to {}", name(data.get("from_owner")), name(data.get("to_owner")))
    if kind == EventKind.ASSIGNED:
        return format_html("to {}", name(data.get("to_owner")))
    if kind == EventKind.ESCALATED:
        asked = "(asked for by the customer) " if data.get("requested_by") == "customer" else ""
        return format_html("{}to {}", asked, name(data.get("to")) or "nobody available")
    if kind == EventKind.UPDATED:
        changes = format_html_join(
            "; ", "{}: {} → {}", ((f, c[0] or "—", c[1] or "—") for f, c in data.get("changes", {}).items())
        )
        return format_html('<span class="muted">{}</span>', changes)
    if kind in PROMISE_DUE_KINDS:
        return format_html('<span class="muted">due {}</span>', when_html(data.get("due_at")))
    if kind == EventKind.PROMISE_KEPT:
        return format_html('<span class="muted">{}</span>', "on time" if data.get("on_time") else "late")
    if kind == EventKind.PROMISE_RESCHEDULED:
        return format_html(
            '<span class="muted">from {} to {}</span>', when_html(data.get("old_due_at")), when_html(data.get("due_at"))
        )
    if kind == EventKind.RATED:
        return format_html('<span class="muted">{} of 5</span>', data.get("score"))
    if kind == EventKind.REOPENED and data.get("owner_change"):
        return format_html(
            '<span class="muted">(to {}: {})</span>',
            name(data.get("owner")) or "the team queue",
            data["owner_change"],
        )
    return SafeString("")


def event_line(event: CaseEvent, people: dict[str, str], *, focus: bool = False) -> SafeString:
    """One event as a compact line of the conversation (what happened to the case, not what was said)."""

    def name(username: str | None) -> str:
        return people.get(username, username) if username else ""

    data = event.data
    parts = [
        format_html(
            '<span class="muted">{}</span> <strong>{}</strong>', when_html(event.created_at), event.get_kind_display()
        ),
        _who(event),
        _detail(event, name),
    ]
    if data.get("to_status"):
        moved = f"{data['from_status']} → " if data.get("from_status") else ""
        parts.append(format_html('<span class="muted">({}{})</span>', moved, data["to_status"]))
    for key in ("text", "comment"):
        # A logged call's text is the complaint itself, the first message of the conversation.
        if data.get(key) and event.kind != EventKind.CALL_LOGGED:
            parts.append(_quote(data[key]))
    if data.get("resolution_summary"):
        summary = linebreaksbr(str(data["resolution_summary"]), autoescape=True)
        parts.append(format_html("<blockquote>{} ({})</blockquote>", summary, data.get("root_cause", "")))
    if data.get("reason") and event.kind != EventKind.MESSAGE_IN_UNVERIFIED:
        parts.append(format_html("<p>Reason: {}</p>", data["reason"]))
    return format_html(
        '<li id="event-{}" class="event event-{}"{}>{}</li>',
        event.pk,
        event.kind,
        _focus(focus),
        format_html_join(" ", "{}", ((p,) for p in parts)),
    )


# --- The conversation: what the customer and we said, as messages -------------------------------------------

# How the customer's words reached us, after "complained" or "wrote" (a case's channel, a message's).
_BY_CHANNEL: dict[str, str] = {
    CaseChannel.PHONE: "by phone",
    CaseChannel.WEB: "on the web",
    CaseChannel.EMAIL: "by email",
    CaseChannel.LETTER: "by letter",
    CaseChannel.IN_PERSON: "in person",
    CaseChannel.SOCIAL: "on social media",
    CaseChannel.CHAT: "by chat",
}
NOTE_LABEL = "Internal note — not sent to the customer"


def _focus(focus: bool) -> SafeString:
    """The item an action just added: htmx focuses the element with autofocus in what it swaps in."""
    return SafeString(' tabindex="-1" autofocus') if focus else SafeString("")


def _text(text: Any) -> SafeString:
    return format_html('<p class="msg-text">{}</p>', linebreaksbr(str(text), autoescape=True))


def _message(event: CaseEvent, classes: str, head: SafeString, body: SafeString, *, focus: bool) -> SafeString:
    return format_html(
        '<li id="event-{}" class="msg {} event-{}"{}>{}{}</li>',
        event.pk,
        classes,
        event.kind,
        _focus(focus),
        head,
        body,
    )


def _head(who: str, how: Any, event: CaseEvent) -> SafeString:
    """Who said it, how, and when: the first line of a message."""
    return format_html(
        '<p class="msg-head"><strong>{}</strong> <span class="muted">{} · {}</span></p>',
        who,
        how,
        when_html(event.created_at),
    )


def _logged_by(name: str | None) -> SafeString:
    return format_html(", taken down by {}", name) if name else SafeString("")


def conversation_item(event: CaseEvent, people: dict[str, str], *, case: Case, focus: bool = False) -> SafeString:
    """One event of the case page's conversation: the customer's words (the complaint itself where the case
    opened) and ours as messages, an internal note set apart and saying it is not sent, an unverified message
    marked, anything else as a compact line. `people`: username -> the name staff go by."""
    kind, data = event.kind, event.data
    customer = case.customer.full_name
    if kind == EventKind.CREATED:
        how = format_html(
            "complained {}{}",
            _BY_CHANNEL.get(case.channel, case.get_channel_display()),
            _logged_by(staff_display_name(event.actor)),
        )
        body = _text(case.description)
        if case.outcome_wanted:
            wanted = linebreaksbr(case.outcome_wanted, autoescape=True)
            body = format_html('{}<p class="msg-text"><strong>What they want:</strong> {}</p>', body, wanted)
        return _message(event, "from-customer", _head(customer, how, event), body, focus=focus)
    if kind == EventKind.MESSAGE_IN:
        channel = data.get("channel", "")
        by = "on their status page" if channel == CaseChannel.WEB else _BY_CHANNEL.get(channel, channel)
        logged_by = data.get("logged_by")
        how = format_html("wrote {}{}", by, _logged_by(people.get(logged_by, logged_by) if logged_by else None))
        return _message(event, "from-customer", _head(customer, how, event), _text(data.get("text", "")), focus=focus)
    if kind == EventKind.MESSAGE_IN_UNVERIFIED:
        head = format_html(
            '<p class="msg-head"><strong>{}</strong> {} · {}</p>',
            event.get_kind_display(),
            _who(event),
            when_html(event.created_at),
        )
        return _message(event, "from-customer unverified", head, _text(data.get("text", "")), focus=focus)
    if kind == EventKind.MESSAGE_OUT:
        head = _head(staff_display_name(event.actor) or "We", "wrote to the customer, by email", event)
        return _message(event, "from-us", head, _text(data.get("text", "")), focus=focus)
    if kind == EventKind.NOTE:
        who = staff_display_name(event.actor) or "Gemdesk"
        head = format_html('<p class="note-label">{}</p>{}', NOTE_LABEL, _head(who, "noted", event))
        return _message(event, "note", head, _text(data.get("text", "")), focus=focus)
    return event_line(event, people, focus=focus)
