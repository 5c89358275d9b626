import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from feedback.models import Suggestion, SuggestionStatus

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_has_suggestions_in_every_status_and_a_change_that_worked(as_user, django_user_model):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # twice: nothing more
    statuses = set(Suggestion.objects.values_list("status", flat=True))
    assert statuses == set(SuggestionStatus.values)
    assert Suggestion.objects.count() == 8
    assert Suggestion.objects.overdue(timezone.now()).exists()
    implemented = Suggestion.objects.get(status=SuggestionStatus.IMPLEMENTED)
    page = (
        as_user(django_user_model.objects.get(username="agent"))
        .get(reverse("feedback:suggestion", args=[implemented.pk]))
        .content.decode()
    )
    assert "<svg" in page and "5.0</strong> a week before" in page and "-60.0 %" in page
