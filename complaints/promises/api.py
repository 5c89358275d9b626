"""Promise endpoints, under their case: POST cases/{reference}/promises/, …/promises/{id}/keep/,
…/reschedule/, …/withdraw/, …/break/. A mixin of the case viewset, so the URLs stay under the case."""

from collections.abc import Callable

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from complaints.models import Case, Promise
from complaints.promises import services
from complaints.promises.serializers import PromiseInput, PromiseOutput, RescheduleInput, SettleInput
from crm.permissions import acting_staff


class PromiseActions:
    """Needs the host viewset's `_case()`: the case by reference, within the caller's scope."""

    def _case(self) -> Case:
        raise NotImplementedError

    def _promise(self, promise_id: int) -> Promise:
        return get_object_or_404(
            Promise.objects.select_related("made_by__staff_profile"), pk=promise_id, case=self._case()
        )

    @extend_schema(request=PromiseInput, responses={201: PromiseOutput})
    @action(detail=True, methods=["post"])
    def promises(self, request: Request, reference: str | None = None) -> Response:
        data = PromiseInput(data=request.data)
        data.is_valid(raise_exception=True)
        promise = services.promise_make(case=self._case(), by=acting_staff(request), **data.validated_data)
        return Response(PromiseOutput(promise).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=PromiseOutput)
    @action(detail=True, methods=["post"], url_path=r"promises/(?P<promise_id>\d+)/keep")
    def keep_promise(self, request: Request, reference: str | None = None, promise_id: int = 0) -> Response:
        promise = services.promise_keep(promise=self._promise(promise_id), by=acting_staff(request))
        return Response(PromiseOutput(promise).data)

    @extend_schema(request=RescheduleInput, responses=PromiseOutput)
    @action(detail=True, methods=["post"], url_path=r"promises/(?P<promise_id>\d+)/reschedule")
    def reschedule_promise(self, request: Request, reference: str | None = None, promise_id: int = 0) -> Response:
        data = RescheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        successor = services.promise_reschedule(
            promise=self._promise(promise_id), by=acting_staff(request), **data.validated_data
        )
        return Response(PromiseOutput(successor).data)

    def _settle(self, request: Request, promise_id: int, settle: Callable[..., Promise]) -> Response:
        """Withdraw or break: a reason the customer is told."""
        data = SettleInput(data=request.data)
        data.is_valid(raise_exception=True)
        promise = settle(promise=self._promise(promise_id), by=acting_staff(request), **data.validated_data)
        return Response(PromiseOutput(promise).data)

    @extend_schema(request=SettleInput, responses=PromiseOutput)
    @action(detail=True, methods=["post"], url_path=r"promises/(?P<promise_id>\d+)/withdraw")
    def withdraw_promise(self, request: Request, reference: str | None = None, promise_id: int = 0) -> Response:
        return self._settle(request, promise_id, services.promise_withdraw)

    @extend_schema(request=SettleInput, responses=PromiseOutput)
    @action(detail=True, methods=["post"], url_path=r"promises/(?P<promise_id>\d+)/break")
    def break_promise(self, request: Request, reference: str | None = None, promise_id: int = 0) -> Response:
        return self._settle(request, promise_id, services.promise_break)
