"""/api/v1/ routes of crm: tokens and customers."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from crm.customers.api import CustomerViewSet
from crm.staff.api import LogoutAllView, LogoutView, TokenView

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="customer")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/logout/", LogoutView.as_view(), name="api-logout"),
    path("auth/logout-all/", LogoutAllView.as_view(), name="api-logout-all"),
    path("", include(router.urls)),
]
