"""/api/v1/ routes of feedback, assembled from its capabilities' api modules."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from feedback.policies.api import PolicyViewSet
from feedback.suggestions.api import SuggestionViewSet

router = SimpleRouter()
router.register("suggestions", SuggestionViewSet, basename="suggestion")
router.register("policies", PolicyViewSet, basename="policy")

urlpatterns = [path("", include(router.urls))]
