"""/api/v1/ routes of complaints, assembled from its capabilities' api modules."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from complaints.cases.api import CaseViewSet
from complaints.incidents.api import IncidentViewSet
from complaints.intake.api import PublicCaseView, PublicComplaintView

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="case")
router.register("incidents", IncidentViewSet, basename="incident")

urlpatterns = [
    path("", include(router.urls)),
    path("public/complaints/", PublicComplaintView.as_view(), name="public-complaint"),
    path("public/cases/<token:token>/", PublicCaseView.as_view(), name="public-case"),
]
