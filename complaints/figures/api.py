"""GET figures/: the dashboard's figures as JSON, for leads (their teams) and up."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import permissions
from complaints.figures import selectors, services
from complaints.figures.forms import FigureFilterForm
from complaints.figures.serializers import FiguresOutput
from crm.exceptions import InvalidInput, NotPermitted
from crm.permissions import IsStaffMember, acting_staff

PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day (TIME_ZONE); default 27 days before `to`."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, included; default today."),
    OpenApiParameter("team", OpenApiTypes.INT, description="The owner's team (a lead: one of the teams they lead)."),
    OpenApiParameter("category", OpenApiTypes.STR, description="Category slug."),
    OpenApiParameter("channel", OpenApiTypes.STR, description="phone, web, email, letter, in_person, social, chat."),
    OpenApiParameter("service", OpenApiTypes.INT, description="Service id."),
    OpenApiParameter("root_cause", OpenApiTypes.STR, description="Root cause of the resolution."),
]


class FiguresView(APIView):
    permission_classes = [IsStaffMember]

    @extend_schema(
        parameters=PARAMETERS,
        responses=FiguresOutput,
        description="The figures of the complaints opened in the period, with the previous period's, computed from "
        "the cases' histories. Leads see their teams', managers and executives everyone's.",
    )
    def get(self, request: Request) -> Response:
        user = acting_staff(request)
        if not permissions.can_see_figures(user):
            raise NotPermitted("Leads, managers and executives see the figures.")
        form = FigureFilterForm(request.query_params, user=user)
        if not form.is_valid():
            errors = {
                ("non_field_errors" if field == "__all__" else field): [str(message) for message in messages]
                for field, messages in form.errors.items()
            }
            raise InvalidInput("The period or a filter needs another look.", errors=errors)
        figure_filter = form.figure_filter()
        services.facts_catch_up_now_and_then()
        result = selectors.shared_figures(figure_filter)
        previous = figure_filter.previous()
        result["period"] = {"from": figure_filter.start, "to": figure_filter.end}
        result["previous_period"] = {"from": previous.start, "to": previous.end}
        return Response(FiguresOutput(result).data)
