from django.urls import path

from complaints.cases import views

# Under /cases/ (namespace "complaints"); the fixed paths come before the case reference.
fixed_urlpatterns = [
    path("mine/", views.my_cases, name="my-cases"),
    path("queue/", views.team_queue, name="team-queue"),
    path("queue/<reference:reference>/assign/", views.assign_from_queue, name="queue-assign"),
    path("search/", views.case_search, name="case-search"),
    path("new/", views.log_contact, name="log-call"),
    path("team/", views.team_view, name="lead-view"),
]

case_urlpatterns = [
    path("<reference:reference>/", views.case_detail, name="case-detail"),
    path("<reference:reference>/take/", views.take, name="take"),
    path("<reference:reference>/<word:action>/", views.case_action, name="case-action"),
]
