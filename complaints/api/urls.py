from django.urls import include, path
from rest_framework.routers import SimpleRouter

from complaints.api.views import CaseViewSet

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="case")

urlpatterns = [
    path("", include(router.urls)),
]
