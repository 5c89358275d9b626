from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

import complaints.urls
import crm.staff.urls
import crm.urls
import recognition.urls
from config import metrics, views

api_v1: list[URLPattern | URLResolver] = [
    path("", include("crm.api_urls")),
    path("", include("complaints.api_urls")),
    path("", include("feedback.api_urls")),
    path("", include("recognition.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    # First: Django tries patterns in order, and the API takes most requests (the public complaint's among them).
    path("api/v1/", include(api_v1)),
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    *complaints.urls.public_urlpatterns,
    *crm.urls.public_urlpatterns,
    *recognition.urls.public_urlpatterns,
    *crm.staff.urls.urlpatterns,
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("customers/", include("crm.urls")),
    path("cases/", include("complaints.urls")),
    path("feedback/", include("feedback.urls")),
    path("recognition/", include("recognition.urls")),
    path("admin/", admin.site.urls),
]
