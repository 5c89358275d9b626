"""GET/POST stories/, GET stories/{id}/, and the actions: publish, decline, kudos (POST, DELETE), comments.
Thin: each calls one service and answers the story."""

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.permissions import IsStaffMember, acting_staff
from recognition.models import Story
from recognition.stories import selectors, services
from recognition.stories.filters import StoryFilter
from recognition.stories.serializers import (
    DeclineInput,
    PublishInput,
    StoryCommentInput,
    StoryCommentOutput,
    StoryCreateInput,
    StoryDetailOutput,
    StoryOutput,
)


class StoryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsStaffMember]
    filterset_class = StoryFilter
    serializer_class = StoryOutput

    def get_queryset(self) -> QuerySet[Story]:
        if getattr(self, "swagger_fake_view", False):
            return Story.objects.none()
        return selectors.story_list(user=acting_staff(self.request))

    def _story(self, pk: str | int | None = None) -> Story:
        try:
            return selectors.story_detail(user=acting_staff(self.request), pk=int(pk or self.kwargs["pk"]))
        except (Story.DoesNotExist, ValueError):
            raise Http404 from None

    def _render(self, story: Story, code: int = status.HTTP_200_OK) -> Response:
        fresh = self._story(story.pk)
        return Response(StoryDetailOutput(fresh, context={"request": self.request}).data, status=code)

    @extend_schema(request=StoryCreateInput, responses={201: StoryDetailOutput})
    def create(self, request: Request) -> Response:
        data = StoryCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        story = services.story_nominate(by=acting_staff(request), **data.validated_data)
        return self._render(story, status.HTTP_201_CREATED)

    @extend_schema(responses=StoryDetailOutput)
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return self._render(self._story())

    @extend_schema(request=PublishInput, responses=StoryDetailOutput)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        data = PublishInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._render(
            services.story_publish(story=self._story(), by=acting_staff(request), **data.validated_data)
        )

    @extend_schema(request=DeclineInput, responses=StoryDetailOutput)
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        data = DeclineInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._render(
            services.story_decline(story=self._story(), by=acting_staff(request), **data.validated_data)
        )

    @extend_schema(methods=["POST", "DELETE"], request=None, responses={200: StoryDetailOutput})
    @action(detail=True, methods=["post", "delete"])
    def kudos(self, request: Request, pk: str | None = None) -> Response:
        """POST gives kudos (once; not on a story about you); DELETE takes them back."""
        story, user = self._story(), acting_staff(request)
        if request.method == "DELETE":
            return self._render(services.story_withdraw_kudos(story=story, by=user))
        return self._render(services.story_give_kudos(story=story, by=user))

    @extend_schema(request=StoryCommentInput, responses={201: StoryCommentOutput})
    @action(detail=True, methods=["post"])
    def comments(self, request: Request, pk: str | None = None) -> Response:
        data = StoryCommentInput(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.story_comment(story=self._story(), by=acting_staff(request), **data.validated_data)
        return Response(StoryCommentOutput(comment).data, status=status.HTTP_201_CREATED)
