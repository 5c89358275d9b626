from django.urls import path

from complaints import views

app_name = "complaints"

urlpatterns = [
    path("mine/", views.my_cases, name="my-cases"),
    path("queue/", views.team_queue, name="team-queue"),
    path("new/", views.log_contact, name="log-call"),
    path("team/", views.lead_view, name="lead-view"),
    path("mail/", views.inbound_mail, name="inbound-mail"),
    path("mail/<word:kind>/<int:pk>/raw/", views.inbound_mail_raw, name="inbound-mail-raw"),
    path("mail/rejected/<int:pk>/open-case/", views.rejected_open_case, name="rejected-open-case"),
    path("incidents/", views.incidents, name="incidents"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident"),
    path("incidents/<int:pk>/progress/", views.incident_progress, name="incident-progress"),
    path("incidents/<int:pk>/updates/<int:update_id>/retry/", views.incident_retry, name="incident-retry"),
    path("<reference:reference>/incident/", views.link_incident, name="link-incident"),
    path("<reference:reference>/", views.case_detail, name="case-detail"),
    path("<reference:reference>/take/", views.take, name="take"),
    path("<reference:reference>/<word:action>/", views.case_action, name="case-action"),
]
