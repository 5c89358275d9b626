from django.urls import include, path
from rest_framework.routers import SimpleRouter

from crm.api.views import CustomerViewSet

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="customer")

urlpatterns = [
    path("", include(router.urls)),
]
