"""GET/POST suggestions/, GET/PATCH suggestions/{id}/, and the actions: endorse (POST, DELETE), comments,
link-case, decide, implemented, merge. Thin: each calls one service and answers the suggestion."""

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.permissions import IsStaffMember, acting_staff
from feedback.models import Suggestion
from feedback.suggestions import selectors, services
from feedback.suggestions.filters import SuggestionFilter
from feedback.suggestions.serializers import (
    DecideInput,
    ImplementedInput,
    LinkCaseInput,
    MergeInput,
    SuggestionCommentInput,
    SuggestionCommentOutput,
    SuggestionCreateInput,
    SuggestionDetailOutput,
    SuggestionListOutput,
    SuggestionUpdateInput,
)


class SuggestionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsStaffMember]
    filterset_class = SuggestionFilter
    serializer_class = SuggestionListOutput

    def get_queryset(self) -> QuerySet[Suggestion]:
        if getattr(self, "swagger_fake_view", False):
            return Suggestion.objects.none()
        return selectors.board(user=acting_staff(self.request))

    def _suggestion(self, pk: int | str | None = None) -> Suggestion:
        try:
            return selectors.suggestion_detail(pk=int(pk if pk is not None else self.kwargs["pk"]))
        except (Suggestion.DoesNotExist, ValueError):
            raise Http404 from None

    def _render(self, suggestion: Suggestion, code: int = status.HTTP_200_OK) -> Response:
        fresh = self._suggestion(suggestion.pk)
        return Response(SuggestionDetailOutput(fresh, context={"request": self.request}).data, status=code)

    @extend_schema(request=SuggestionCreateInput, responses={201: SuggestionDetailOutput})
    def create(self, request: Request) -> Response:
        data = SuggestionCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        suggestion = services.suggestion_submit(author=acting_staff(request), **data.validated_data)
        return self._render(suggestion, status.HTTP_201_CREATED)

    @extend_schema(responses=SuggestionDetailOutput)
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return self._render(self._suggestion())

    @extend_schema(request=SuggestionUpdateInput, responses=SuggestionDetailOutput)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        data = SuggestionUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        suggestion = services.suggestion_edit(
            suggestion=self._suggestion(), by=acting_staff(request), **data.validated_data
        )
        return self._render(suggestion)

    @extend_schema(methods=["POST", "DELETE"], request=None, responses={200: SuggestionDetailOutput})
    @action(detail=True, methods=["post", "delete"])
    def endorse(self, request: Request, pk: str | None = None) -> Response:
        """POST endorses (once; never your own); DELETE withdraws your endorsement."""
        suggestion, user = self._suggestion(), acting_staff(request)
        if request.method == "DELETE":
            return self._render(services.suggestion_withdraw_endorsement(suggestion=suggestion, by=user))
        return self._render(services.suggestion_endorse(suggestion=suggestion, by=user))

    @extend_schema(request=SuggestionCommentInput, responses={201: SuggestionCommentOutput})
    @action(detail=True, methods=["post"])
    def comments(self, request: Request, pk: str | None = None) -> Response:
        data = SuggestionCommentInput(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.suggestion_comment(
            suggestion=self._suggestion(), by=acting_staff(request), **data.validated_data
        )
        return Response(SuggestionCommentOutput(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LinkCaseInput, responses=SuggestionDetailOutput)
    @action(detail=True, methods=["post"], url_path="link-case")
    def link_case(self, request: Request, pk: str | None = None) -> Response:
        data = LinkCaseInput(data=request.data)
        data.is_valid(raise_exception=True)
        suggestion = services.suggestion_link_case(
            suggestion=self._suggestion(), by=acting_staff(request), **data.validated_data
        )
        return self._render(suggestion)

    @extend_schema(request=DecideInput, responses=SuggestionDetailOutput)
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        data = DecideInput(data=request.data)
        data.is_valid(raise_exception=True)
        suggestion = services.suggestion_decide(
            suggestion=self._suggestion(), by=acting_staff(request), **data.validated_data
        )
        return self._render(suggestion)

    @extend_schema(request=ImplementedInput, responses=SuggestionDetailOutput)
    @action(detail=True, methods=["post"])
    def implemented(self, request: Request, pk: str | None = None) -> Response:
        data = ImplementedInput(data=request.data)
        data.is_valid(raise_exception=True)
        suggestion = services.suggestion_mark_implemented(
            suggestion=self._suggestion(), by=acting_staff(request), **data.validated_data
        )
        return self._render(suggestion)

    @extend_schema(request=MergeInput, responses=SuggestionDetailOutput)
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str | None = None) -> Response:
        """Merge this suggestion into another (`into`); answers the merged one, now pointing there."""
        data = MergeInput(data=request.data)
        data.is_valid(raise_exception=True)
        suggestion = services.suggestion_merge(
            suggestion=self._suggestion(), by=acting_staff(request), **data.validated_data
        )
        return self._render(suggestion)
