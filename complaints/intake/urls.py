from django.urls import path

from complaints.intake import views

public_urlpatterns = [
    path("complain/", views.complain, name="complain"),
    path("status/<token:token>/", views.case_status, name="case-status"),
    path("status/<token:token>/<word:action>/", views.case_status, name="case-status-action"),
]
