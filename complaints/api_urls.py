"""/api/v1/ routes of complaints, assembled from its capabilities' api modules."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from complaints.cases.api import CaseViewSet
from complaints.figures.api import FiguresView
from complaints.incidents.api import IncidentViewSet
from complaints.intake.api import (
    PublicCaseView,
    PublicComplaintView,
    PublicEscalateView,
    PublicMessageView,
    PublicRatingView,
    PublicReopenView,
)

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="case")
router.register("incidents", IncidentViewSet, basename="incident")

urlpatterns = [
    path("", include(router.urls)),
    path("figures/", FiguresView.as_view(), name="figures"),
    path("public/complaints/", PublicComplaintView.as_view(), name="public-complaint"),
    path("public/cases/<token:token>/", PublicCaseView.as_view(), name="public-case"),
    path("public/cases/<token:token>/messages/", PublicMessageView.as_view(), name="public-case-message"),
    path("public/cases/<token:token>/rating/", PublicRatingView.as_view(), name="public-case-rating"),
    path("public/cases/<token:token>/reopen/", PublicReopenView.as_view(), name="public-case-reopen"),
    path("public/cases/<token:token>/escalate/", PublicEscalateView.as_view(), name="public-case-escalate"),
]
