"""GET board/balance/: delight against recovery over the last 90 days, overall and per team."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.permissions import IsStaffMember
from recognition.board import selectors
from recognition.board.serializers import BalanceOutput


class BalanceView(APIView):
    permission_classes = [IsStaffMember]

    @extend_schema(responses=BalanceOutput)
    def get(self, request: Request) -> Response:
        overall, teams = selectors.current_balance()
        return Response(BalanceOutput({"days": selectors.BALANCE_DAYS, "overall": overall, "teams": teams}).data)
