"""Page routes of feedback, under /feedback/ (namespace "feedback"), assembled from its capabilities."""

from django.urls import path

from feedback.policies import views as policy_views
from feedback.suggestions import views as suggestion_views

app_name = "feedback"

urlpatterns = [
    path("", suggestion_views.board, name="board"),
    path("new/", suggestion_views.submit, name="submit"),
    path("mine/", suggestion_views.mine, name="mine"),
    path("review/", suggestion_views.review, name="review"),
    path("<int:pk>/", suggestion_views.suggestion_page, name="suggestion"),
    path("<int:pk>/edit/", suggestion_views.edit, name="edit"),
    path("<int:pk>/<word:action>/", suggestion_views.suggestion_action, name="action"),
    path("policies/", policy_views.policy_list, name="policies"),
    path("policies/new/", policy_views.policy_form, name="policy-new"),
    path("policies/<int:pk>/", policy_views.policy_page, name="policy"),
    path("policies/<int:pk>/edit/", policy_views.policy_form, name="policy-edit"),
]
