from django.urls import path

from complaints.incidents import views

# Under /cases/ (namespace "complaints").
staff_urlpatterns = [
    path("incidents/", views.incidents, name="incidents"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident"),
    path("incidents/<int:pk>/status/", views.incident_status, name="incident-status"),
    path("incidents/<int:pk>/progress/", views.incident_progress, name="incident-progress"),
    path("incidents/<int:pk>/updates/<int:update_id>/retry/", views.incident_retry, name="incident-retry"),
    path("<reference:reference>/incident/", views.link_incident, name="link-incident"),
]

public_urlpatterns = [
    path("incidents/", views.public_incidents, name="public-incidents"),
]
