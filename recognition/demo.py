"""Demo data for recognition, added by `seed_demo` after complaints' own: stories of both kinds on the
board, a customer's compliment waiting for a moderator, and a second team whose stories are mostly
recoveries, so the board shows its nudge. Everything through the services."""

from django.contrib.auth import get_user_model

from crm.staff.services import staff_create_or_update
from recognition.models import Story
from recognition.praise.services import compliment_submit
from recognition.stories.services import story_give_kudos, story_nominate, story_publish

STORIES = [
    # teller, about, kind, story
    (
        "agent2",
        ["agent"],
        "delight",
        "A customer rang to cancel; Tom noticed she was moving house and set up the new address instead. She stayed.",
    ),
    (
        "agent",
        ["agent2"],
        "delight",
        "Mei remembered a customer's daughter was sitting exams and timed the engineer visit around them.",
    ),
    ("lead", ["agent", "agent2"], "delight", "The whole morning queue answered before ten, every customer by name."),
    (
        "agent",
        ["agent2"],
        "recovery",
        "A double charge went unnoticed for a month; Mei refunded it on the call and sent flowers.",
    ),
    (
        "lead",
        ["billing1"],
        "recovery",
        "Priya untangled three months of wrong bills for a small shop in one afternoon.",
    ),
    (
        "lead",
        ["billing2"],
        "recovery",
        "Sam found the customer whose direct debit failed and fixed it before the late fee.",
    ),
    (
        "lead",
        ["billing1", "billing2"],
        "recovery",
        "The billing run failed; the desk called every affected customer before they noticed.",
    ),
    (
        "billing2",
        ["billing1"],
        "delight",
        "Priya explained a tariff so clearly the customer emailed to say she finally understood her bill.",
    ),
]


def seed() -> None:
    if Story.objects.exists():
        return  # demo history: made once
    for username, name in (("billing1", "Priya Nair"), ("billing2", "Sam Osei")):
        staff_create_or_update(
            username=username,
            role="agent",
            email=f"{username}@gemdesk.localhost",
            display_name=name,
            team_name="Billing Desk",
        )
    users = get_user_model().objects
    lead, manager, executive = (users.get(username=u) for u in ("lead", "manager", "executive"))
    for teller, about, kind, text in STORIES:
        story = story_nominate(by=users.get(username=teller), about=about, kind=kind, story=text)
        story_publish(story=story, by=manager)
        for fan in (lead, executive):
            if fan.username not in about and fan.username != teller:
                story_give_kudos(story=story, by=fan)
    compliment_submit(
        story="The lady who answered on Saturday stayed on the line until my internet was back. Thank you!",
        about="the lady on Saturday",
        name="Mrs Okonkwo",
    )
