from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from complaints import views as complaint_views
from config import converters, views
from crm.api.auth import LogoutAllView, LogoutView, TokenView

converters.register()

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/logout/", LogoutView.as_view(), name="api-logout"),
    path("auth/logout-all/", LogoutAllView.as_view(), name="api-logout-all"),
    path("", include("crm.api.urls")),
    path("", include("complaints.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("complain/", complaint_views.complain, name="complain"),
    path("incidents/", complaint_views.public_incidents, name="public-incidents"),
    path("notices/<token:token>/", complaint_views.service_notices, name="service-notices"),
    path("status/<token:token>/", complaint_views.case_status, name="case-status"),
    path("status/<token:token>/<word:action>/", complaint_views.case_status, name="case-status-action"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("customers/", include("crm.urls")),
    path("cases/", include("complaints.urls")),
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
]
