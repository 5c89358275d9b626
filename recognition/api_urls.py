"""/api/v1/ routes of recognition, assembled from its capabilities' api modules."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from recognition.board.api import BalanceView
from recognition.praise.api import PublicComplimentView
from recognition.stories.api import StoryViewSet

router = SimpleRouter()
router.register("stories", StoryViewSet, basename="story")

urlpatterns = [
    path("", include(router.urls)),
    path("board/balance/", BalanceView.as_view(), name="board-balance"),
    path("public/compliments/", PublicComplimentView.as_view(), name="public-compliment"),
]
