from django.urls import path

from complaints import views

app_name = "complaints"

urlpatterns = [
    path("mine/", views.my_cases, name="my-cases"),
    path("queue/", views.team_queue, name="team-queue"),
    path("new/", views.log_contact, name="log-call"),
    path("team/", views.lead_view, name="lead-view"),
    path("<str:reference>/", views.case_detail, name="case-detail"),
    path("<str:reference>/take/", views.take, name="take"),
    path("<str:reference>/<str:action>/", views.case_action, name="case-action"),
]
