"""The filters of the case list (API): the case search (q), status, severity, owner, customer, category,
overdue, opened, ordering."""

import django_filters
from django.db.models import QuerySet
from django.utils import timezone

from complaints.cases import selectors
from complaints.models import Case, CaseStatus, Severity
from config.filters import BooleanFilter, IntegerFilter, OrderingFilter
from crm.forms import UtcDateTimeField


class UtcDateTimeFilter(django_filters.DateTimeFilter):
    field_class = UtcDateTimeField


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="matching",
        label="Reference (GD-000123 or 123), customer name (any part), email, phone (any format) or order reference",
        max_length=200,
    )
    status = django_filters.MultipleChoiceFilter(choices=CaseStatus.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    owner = django_filters.CharFilter(method="owned_by", label="'me' or a staff username")
    customer = IntegerFilter(field_name="customer_id")
    category = django_filters.CharFilter(field_name="category__slug")
    overdue = BooleanFilter(method="with_overdue_promise", label="Has an open promise past due")
    opened_after = UtcDateTimeFilter(field_name="opened_at", lookup_expr="gte")
    opened_before = UtcDateTimeFilter(field_name="opened_at", lookup_expr="lt")
    ordering = OrderingFilter(fields=["opened_at", "severity", "status", "next_promise_due_at"], label="Order by")

    class Meta:
        model = Case
        fields = [
            "q",
            "status",
            "severity",
            "owner",
            "customer",
            "category",
            "overdue",
            "opened_after",
            "opened_before",
        ]

    def matching(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        # As the search page orders them, unless `ordering` (applied after) says otherwise.
        return selectors.open_first(queryset.filter(selectors.case_search_match(value)))

    def owned_by(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        if value == "me":
            return queryset.filter(owner=self.request.user)
        return queryset.filter(owner__username=value)

    def with_overdue_promise(self, queryset: QuerySet[Case], name: str, value: bool) -> QuerySet[Case]:
        overdue = Case.objects.overdue(timezone.now()).values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)
