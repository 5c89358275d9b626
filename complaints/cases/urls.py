from django.urls import path

from complaints.cases.views import case_page, lists, log_a_call

# Under /cases/ (namespace "complaints"); the fixed paths come before the case reference.
fixed_urlpatterns = [
    path("mine/", lists.my_cases, name="my-cases"),
    path("queue/", lists.team_queue, name="team-queue"),
    path("queue/<reference:reference>/assign/", lists.assign_from_queue, name="queue-assign"),
    path("search/", lists.case_search, name="case-search"),
    path("new/", log_a_call.log_contact, name="log-call"),
    path("team/", lists.team_view, name="lead-view"),
]

case_urlpatterns = [
    path("<reference:reference>/", case_page.case_detail, name="case-detail"),
    path("<reference:reference>/take/", lists.take, name="take"),
    path("<reference:reference>/<word:action>/", case_page.case_action, name="case-action"),
]
