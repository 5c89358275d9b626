from django.urls import include, path
from rest_framework.routers import SimpleRouter

from complaints.api.incidents import IncidentViewSet
from complaints.api.public import PublicCaseView, PublicComplaintView
from complaints.api.views import CaseViewSet

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="case")
router.register("incidents", IncidentViewSet, basename="incident")

urlpatterns = [
    path("", include(router.urls)),
    path("public/complaints/", PublicComplaintView.as_view(), name="public-complaint"),
    path("public/cases/<token:token>/", PublicCaseView.as_view(), name="public-case"),
]
