"""The filters of the stories list (API): status, kind, team, person."""

import django_filters
from django.db.models import QuerySet

from config.filters import IntegerFilter
from recognition.models import Story, StoryKind, StoryStatus


class StoryFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=StoryStatus.choices)
    kind = django_filters.ChoiceFilter(choices=StoryKind.choices)
    team = IntegerFilter(method="in_team", label="A team (id) of the people it is about")
    person = django_filters.CharFilter(method="about_person", label="The username of someone it is about")

    class Meta:
        model = Story
        fields = ["status", "kind", "team", "person"]

    def in_team(self, queryset: QuerySet[Story], name: str, value: int) -> QuerySet[Story]:
        return queryset.filter(about__staff_profile__team_id=value).distinct()

    def about_person(self, queryset: QuerySet[Story], name: str, value: str) -> QuerySet[Story]:
        return queryset.filter(about__username=value).distinct()
