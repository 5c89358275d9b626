"""The filters of the suggestions list (API): status, policy, team, mine, overdue."""

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from config.filters import BooleanFilter, IntegerFilter
from feedback import permissions
from feedback.models import Suggestion, SuggestionStatus


class SuggestionFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=SuggestionStatus.choices)
    policy = IntegerFilter(field_name="policy_id")
    team = IntegerFilter(method="in_team", label="The author's team (id)")
    mine = BooleanFilter(method="of_mine", label="Only mine")
    overdue = BooleanFilter(method="past_due", label="Waiting past the decision date")

    class Meta:
        model = Suggestion
        fields = ["status", "policy", "team", "mine", "overdue"]

    def in_team(self, queryset: QuerySet[Suggestion], name: str, value: int) -> QuerySet[Suggestion]:
        user = self.request.user
        matches = queryset.filter(author__staff_profile__team_id=value)
        # Filtering by team must not tell who wrote what someone chose to sign as "a colleague".
        return matches if permissions.can_decide(user) else matches.filter(Q(show_name=True) | Q(author=user))

    def of_mine(self, queryset: QuerySet[Suggestion], name: str, value: bool) -> QuerySet[Suggestion]:
        return queryset.filter(author=self.request.user) if value else queryset

    def past_due(self, queryset: QuerySet[Suggestion], name: str, value: bool) -> QuerySet[Suggestion]:
        overdue = Suggestion.objects.overdue(timezone.now()).values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)
