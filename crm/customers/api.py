"""Customers API: parse, call a service or selector, render."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from config.pagination import CappedCountPagination
from crm.customers import selectors, services
from crm.customers.filters import CustomerFilter
from crm.customers.serializers import CustomerInput, CustomerOutput, EraseInput, SimilarQueryInput
from crm.models import Customer
from crm.permissions import IsStaffMember, acting_staff


class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Customers: every staff role may list, read, create and update them."""

    permission_classes = [IsStaffMember]
    serializer_class = CustomerOutput
    filterset_class = CustomerFilter
    pagination_class = CappedCountPagination
    queryset = Customer.objects.select_related("name_confirmed_by__staff_profile").order_by("full_name", "id")

    def _render(self, customer: Customer, code: int = status.HTTP_200_OK) -> Response:
        customer = self.get_queryset().get(pk=customer.pk)
        return Response(CustomerOutput(customer).data, status=code)

    @extend_schema(request=CustomerInput, responses={201: CustomerOutput})
    def create(self, request: Request) -> Response:
        data = CustomerInput(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.customer_create(by=acting_staff(request), **data.validated_data)
        return self._render(customer, status.HTTP_201_CREATED)

    @extend_schema(request=CustomerInput, responses=CustomerOutput)
    def update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, partial=False)

    @extend_schema(request=CustomerInput, responses=CustomerOutput)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, partial=True)

    def _update(self, request: Request, *, partial: bool) -> Response:
        customer = self.get_object()
        data = CustomerInput(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        customer = services.customer_update(customer=customer, by=acting_staff(request), **data.validated_data)
        return self._render(customer)

    @extend_schema(request=None, responses=CustomerOutput)
    @action(detail=True, methods=["post"], url_path="confirm-name")
    def confirm_name(self, request: Request, pk: str | None = None) -> Response:
        customer = services.customer_confirm_name(customer=self.get_object(), by=acting_staff(request))
        return self._render(customer)

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str | None = None) -> Response:
        """Everything we hold about this customer, as one JSON file (GDPR articles 15 and 20): managers and
        staff given crm.export_personal_data; each export is recorded."""
        data = services.customer_export(customer=self.get_object(), by=acting_staff(request))
        disposition = f'attachment; filename="customer-{pk}-personal-data.json"'
        return Response(data, headers={"Content-Disposition": disposition})

    @extend_schema(request=EraseInput, responses=CustomerOutput)
    @action(detail=True, methods=["post"])
    def erase(self, request: Request, pk: str | None = None) -> Response:
        """Erase their personal data in every app (GDPR article 17), keeping every figure: managers only."""
        data = EraseInput(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.customer_erase(customer=self.get_object(), by=acting_staff(request), **data.validated_data)
        return self._render(customer)

    @extend_schema(
        parameters=[
            OpenApiParameter("name", str, required=False),
            OpenApiParameter("email", str, required=False),
            OpenApiParameter("phone", str, required=False),
        ],
        responses=CustomerOutput(many=True),
        filters=False,
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def similar(self, request: Request) -> Response:
        query = SimilarQueryInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = selectors.customers_similar(**query.validated_data)
        return Response(CustomerOutput(found, many=True).data)
