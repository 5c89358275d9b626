"""Reads for the policies list and a policy's page: its suggestions and the complaints it covers."""

from django.db.models import Count, Q, QuerySet

from feedback.models import UNDECIDED_STATUSES, Policy, Suggestion


def policy_list(*, active_only: bool = False) -> QuerySet[Policy]:
    policies = Policy.objects.filter(active=True) if active_only else Policy.objects.all()
    return (
        policies.select_related("manager__staff_profile")
        .prefetch_related("categories")
        .annotate(
            suggestions_count=Count("suggestions", distinct=True),
            waiting_count=Count("suggestions", filter=Q(suggestions__status__in=UNDECIDED_STATUSES), distinct=True),
        )
        .order_by("name")
    )


def policy_detail(*, pk: int) -> Policy:
    return Policy.objects.select_related("manager__staff_profile").prefetch_related("categories").get(pk=pk)


def policy_suggestions(policy: Policy) -> QuerySet[Suggestion]:
    return (
        Suggestion.objects.filter(policy=policy)
        .select_related("author__staff_profile")
        .order_by("-submitted_at", "-id")
    )
