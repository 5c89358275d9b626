"""The IDOR matrix's expectations (tests/config/test_idor_matrix.py): who may get a 2xx from which API
operation when the object it names belongs to someone else.

Every operation of the OpenAPI schema has one row in ALLOWED, and every row names a schema operation
(the test fails either way). A row lists the personas for whom a 2xx is right; every other cell must be
refused with 401, 403 or 404, except the few cells in OTHER_REFUSALS, each with its reason.

The personas are tests/conftest.py's: alice (agent, Team North), charlie (agent B, Team South), lena (lead
of Team North), mona (manager), erin (executive), and anonymous. The rules come from DESIGN.md (API shape,
and "every staff member can find and read every case and customer; changing a case belongs to its owner,
their lead and managers") and each app's permissions.py docstring.
"""

ANONYMOUS = "anonymous"
PERSONAS = (ANONYMOUS, "alice", "charlie", "lena", "mona", "erin")

NOBODY: frozenset[str] = frozenset()
STAFF = frozenset({"alice", "charlie", "lena", "mona", "erin"})
EVERYONE = STAFF | {ANONYMOUS}
MANAGERS = frozenset({"mona"})
MODERATORS = frozenset({"lena", "mona"})  # publish and decline stories; read them before they are published
INCIDENT_RUNNERS = frozenset({"lena", "mona"})
LEADS_AND_UP = frozenset({"lena", "mona", "erin"})  # figures, case exports, reading incidents

# Whose cases are outside each persona's scope: another team's agent for the agents and the lead (lena
# leads Team North, not charlie's team). Managers change every case and executives read every case, so
# theirs are simply someone else's. The story and the suggestion are told and written by people outside
# the matrix; incidents belong to no one (any lead or manager runs any of them). See test_idor_matrix.World.
FOREIGN_OWNER = {
    ANONYMOUS: "alice",
    "alice": "charlie",
    "charlie": "alice",
    "lena": "charlie",
    "mona": "charlie",
    "erin": "alice",
}

ALLOWED: dict[str, frozenset[str]] = {
    # Tokens: logging out ends the caller's own tokens only (the test checks the owner's token survives).
    "POST /api/v1/auth/logout/": STAFF,
    "POST /api/v1/auth/logout-all/": STAFF,
    "POST /api/v1/auth/token/": NOBODY,  # another person's username with a wrong password
    "GET /api/v1/board/balance/": STAFF,
    # Cases: every staff member finds, reads and notes every case; only the owner, their lead and managers
    # change one, so of the matrix only mona changes another person's case.
    "GET /api/v1/cases/": STAFF,
    "POST /api/v1/cases/": STAFF,  # for a customer someone else's case is about: customers are everyone's
    "GET /api/v1/cases/export/": LEADS_AND_UP,
    "GET /api/v1/cases/{reference}/": STAFF,
    "PATCH /api/v1/cases/{reference}/": MANAGERS,
    "POST /api/v1/cases/{reference}/assign/": NOBODY,  # only a queue case is assigned; this one is owned
    "POST /api/v1/cases/{reference}/escalate/": MANAGERS,
    "POST /api/v1/cases/{reference}/handover/": MANAGERS,
    "POST /api/v1/cases/{reference}/messages/": MANAGERS,
    "POST /api/v1/cases/{reference}/notes/": STAFF,
    "POST /api/v1/cases/{reference}/promises/": MANAGERS,
    "POST /api/v1/cases/{reference}/promises/{promise_id}/break/": MANAGERS,
    "POST /api/v1/cases/{reference}/promises/{promise_id}/keep/": MANAGERS,
    "POST /api/v1/cases/{reference}/promises/{promise_id}/reschedule/": MANAGERS,
    "POST /api/v1/cases/{reference}/promises/{promise_id}/withdraw/": MANAGERS,
    "POST /api/v1/cases/{reference}/reopen/": MANAGERS,
    "POST /api/v1/cases/{reference}/resolve/": MANAGERS,
    "POST /api/v1/cases/{reference}/take/": NOBODY,  # owned already
    "GET /api/v1/cases/{reference}/timeline/": STAFF,
    # Customers: every staff role reads and edits them; their personal data leaves only with a manager.
    "GET /api/v1/customers/": STAFF,
    "POST /api/v1/customers/": STAFF,
    "GET /api/v1/customers/similar/": STAFF,
    "GET /api/v1/customers/{id}/": STAFF,
    "PUT /api/v1/customers/{id}/": STAFF,
    "PATCH /api/v1/customers/{id}/": STAFF,
    "POST /api/v1/customers/{id}/confirm-name/": STAFF,
    "POST /api/v1/customers/{id}/erase/": MANAGERS,
    "GET /api/v1/customers/{id}/export/": MANAGERS,
    # Figures of a team the caller does not lead: only those who see every team.
    "GET /api/v1/figures/": frozenset({"mona", "erin"}),
    # Incidents: leads and managers run them, executives read them too.
    "GET /api/v1/incidents/": LEADS_AND_UP,
    "POST /api/v1/incidents/": INCIDENT_RUNNERS,
    "GET /api/v1/incidents/{id}/": LEADS_AND_UP,
    "PATCH /api/v1/incidents/{id}/": INCIDENT_RUNNERS,  # the status of an open incident
    "GET /api/v1/incidents/{id}/deliveries/": LEADS_AND_UP,
    "POST /api/v1/incidents/{id}/updates/": INCIDENT_RUNNERS,
    "GET /api/v1/policies/": STAFF,
    "GET /api/v1/policies/{id}/": STAFF,
    # The status link's token is the only key to a case from outside: its reference opens nothing.
    "GET /api/v1/public/cases/{token}/": NOBODY,
    "POST /api/v1/public/cases/{token}/escalate/": NOBODY,
    "POST /api/v1/public/cases/{token}/messages/": NOBODY,
    "POST /api/v1/public/cases/{token}/rating/": NOBODY,
    "POST /api/v1/public/cases/{token}/reopen/": NOBODY,
    # Anyone complains, even giving an address we know: the answer says nothing of that customer.
    "POST /api/v1/public/complaints/": EVERYONE,
    "POST /api/v1/public/compliments/": NOBODY,  # praise attached to someone else's case without its token
    # Stories: the foreign one is waiting for moderation, seen only by its teller and the moderators.
    "GET /api/v1/stories/": STAFF,
    "POST /api/v1/stories/": STAFF,  # about the foreign owner, naming their case
    "GET /api/v1/stories/{id}/": MODERATORS,
    "POST /api/v1/stories/{id}/comments/": NOBODY,
    "POST /api/v1/stories/{id}/decline/": MODERATORS,
    "POST /api/v1/stories/{id}/kudos/": NOBODY,
    "DELETE /api/v1/stories/{id}/kudos/": NOBODY,
    "POST /api/v1/stories/{id}/publish/": MODERATORS,
    # Suggestions: every staff member reads, endorses and comments on every one; its author edits it;
    # managers decide, merge and mark it implemented. The foreign one hides its author's name.
    "GET /api/v1/suggestions/": STAFF,
    "POST /api/v1/suggestions/": STAFF,  # with the foreign case as evidence
    "GET /api/v1/suggestions/{id}/": STAFF,
    "PATCH /api/v1/suggestions/{id}/": NOBODY,
    "POST /api/v1/suggestions/{id}/comments/": STAFF,
    "POST /api/v1/suggestions/{id}/decide/": MANAGERS,
    "POST /api/v1/suggestions/{id}/endorse/": STAFF,
    "DELETE /api/v1/suggestions/{id}/endorse/": STAFF,  # the caller's own endorsement; another's stays
    "POST /api/v1/suggestions/{id}/implemented/": MANAGERS,
    "POST /api/v1/suggestions/{id}/link-case/": STAFF,  # the foreign case as evidence
    "POST /api/v1/suggestions/{id}/merge/": MANAGERS,
}

# Refusals other than 401/403/404, each on an object the caller may read or with an answer that is the
# same whether the object exists or not, so nothing about it leaks.
OTHER_REFUSALS: dict[str, dict[str, int]] = {
    # One answer for every failed login, whoever the username belongs to.
    "POST /api/v1/auth/token/": dict.fromkeys(EVERYONE, 400),
    # Taking or assigning an owned case is a conflict naming its owner (RELIABILITY test 8 counts on the
    # 409); every staff member reads every case, so the owner is no secret.
    "POST /api/v1/cases/{reference}/take/": dict.fromkeys(("alice", "charlie", "lena"), 409),
    "POST /api/v1/cases/{reference}/assign/": dict.fromkeys(("lena", "mona"), 409),
    # A lead naming a team they do not lead gets the form's "choose one of your teams", the same 400 as
    # for a team that does not exist.
    "GET /api/v1/figures/": {"lena": 400},
    # A case reference in `about` needs that case's private token: 400 with the same words for any
    # reference, existing or not.
    "POST /api/v1/public/compliments/": dict.fromkeys(EVERYONE, 400),
    # Moderators read the pending story; it takes no kudos or comments before it is published (409).
    "POST /api/v1/stories/{id}/comments/": dict.fromkeys(MODERATORS, 409),
    "POST /api/v1/stories/{id}/kudos/": dict.fromkeys(MODERATORS, 409),
    "DELETE /api/v1/stories/{id}/kudos/": dict.fromkeys(MODERATORS, 409),
}

# Who may read each kind of foreign object: its words may appear in their answers (and lists must show
# it to them), never in anyone else's.
READERS: dict[str, frozenset[str]] = {
    "case": STAFF,
    "customer": STAFF,
    "incident": LEADS_AND_UP,
    "policy": STAFF,
    "pending story": MODERATORS,
    "suggestion": STAFF,
    "hidden author": MANAGERS,  # and the author, who is not in the matrix
    # The customer's private status link acts as the customer (rates the case, a figure; reopens it; writes
    # as them): it only ever goes by email to them, never to staff.
    "status link": NOBODY,
}

# The list operations and the kind of foreign object each must show or hide (the test fails for a list
# operation in the schema without a row here). The CSV export is no JSON list: the words check covers it.
LISTS: dict[str, str] = {
    "GET /api/v1/cases/": "case",
    "GET /api/v1/customers/": "customer",
    "GET /api/v1/customers/similar/": "customer",
    "GET /api/v1/incidents/": "incident",
    "GET /api/v1/policies/": "policy",
    "GET /api/v1/stories/": "pending story",
    "GET /api/v1/suggestions/": "suggestion",
}

# CASE_VISIBILITY=team (complaints/permissions.py): agents and leads see the queue, their team's cases and
# cases escalated to them. The foreign case is then hidden from alice, charlie and lena: 404, as if it did
# not exist, wherever it is named; managers and executives still see every case. The matrix runs again
# with this setting for every operation under cases/ and those naming a case in their body.
TEAM_VISIBILITY_HIDES_CASE_FROM = frozenset({"alice", "charlie", "lena"})
TEAM_VISIBILITY_READERS = {**READERS, "case": STAFF - TEAM_VISIBILITY_HIDES_CASE_FROM}
_HIDDEN = dict.fromkeys(TEAM_VISIBILITY_HIDES_CASE_FROM, 404)
# A case in a request body that the caller cannot see: the 400 "no case {reference} that you can see",
# the same words as for a reference that does not exist.
_NOT_SEEN = dict.fromkeys(TEAM_VISIBILITY_HIDES_CASE_FROM, 400)
TEAM_VISIBILITY_CHANGES: dict[str, dict[str, int]] = {
    "GET /api/v1/cases/{reference}/": _HIDDEN,
    "PATCH /api/v1/cases/{reference}/": _HIDDEN,
    "POST /api/v1/cases/{reference}/escalate/": _HIDDEN,
    "POST /api/v1/cases/{reference}/handover/": _HIDDEN,
    "POST /api/v1/cases/{reference}/messages/": _HIDDEN,
    "POST /api/v1/cases/{reference}/notes/": _HIDDEN,
    "POST /api/v1/cases/{reference}/promises/": _HIDDEN,
    "POST /api/v1/cases/{reference}/promises/{promise_id}/break/": _HIDDEN,
    "POST /api/v1/cases/{reference}/promises/{promise_id}/keep/": _HIDDEN,
    "POST /api/v1/cases/{reference}/promises/{promise_id}/reschedule/": _HIDDEN,
    "POST /api/v1/cases/{reference}/promises/{promise_id}/withdraw/": _HIDDEN,
    "POST /api/v1/cases/{reference}/reopen/": _HIDDEN,
    "POST /api/v1/cases/{reference}/resolve/": _HIDDEN,
    "GET /api/v1/cases/{reference}/timeline/": _HIDDEN,
    # take/ and assign/ keep their 409 naming the owner even for a case outside the caller's scope
    # (complaints/cases/api.py, _case_to_take: a race lost to another team is a conflict, not a vanished
    # case). That tells an agent the case exists and who owns it: a deliberate trade-off, reported.
    "POST /api/v1/stories/": _NOT_SEEN,
    "POST /api/v1/suggestions/": _NOT_SEEN,
    "POST /api/v1/suggestions/{id}/link-case/": _NOT_SEEN,
}
