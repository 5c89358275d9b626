from celery import shared_task


@shared_task
def send_wins_digest() -> int:
    """Monday morning (beat, TIME_ZONE): each team's wins of the week. Once per team and week."""
    from recognition.board.services import wins_digest_send

    return wins_digest_send()
