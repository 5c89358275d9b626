import django_filters

from config.filters import BooleanFilter
from crm.models import ContactChannel, Customer, CustomerQuerySet


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search name, email or phone")
    title = django_filters.CharFilter()
    language = django_filters.CharFilter()
    preferred_channel = django_filters.ChoiceFilter(choices=ContactChannel.choices)
    name_confirmed = BooleanFilter(field_name="name_confirmed_at", lookup_expr="isnull", exclude=True)
    service = django_filters.CharFilter(method="uses_service", label="Slug of a service with an active subscription")

    class Meta:
        model = Customer
        fields = ["q", "title", "language", "preferred_channel", "name_confirmed", "service"]

    def search(self, queryset: CustomerQuerySet, name: str, value: str) -> CustomerQuerySet:
        return queryset.search(value)

    def uses_service(self, queryset: CustomerQuerySet, name: str, value: str) -> CustomerQuerySet:
        return queryset.filter(
            pk__in=Customer.objects.filter(subscriptions__service__slug=value, subscriptions__active=True).values("pk")
        )
