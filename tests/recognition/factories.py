"""Stories made the way the product makes them: through the services."""

from recognition.stories import services


def tell(
    by, about, *, kind="delight", story="She sorted my mother's account in one call and made her laugh.", case=None
):
    return services.story_nominate(
        by=by, about=[u.username for u in about], kind=kind, story=story, case=case.reference if case else None
    )


def published(by, about, *, moderator, kind="delight", **kwargs):
    story = tell(by, about, kind=kind, **kwargs)
    return services.story_publish(story=story, by=moderator)
