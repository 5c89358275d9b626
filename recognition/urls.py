"""Page routes of recognition: the board and stories under /recognition/ (namespace "recognition"), and the
public compliment form at /praise/ (public_urlpatterns)."""

from django.urls import path

from recognition.board import views as board_views
from recognition.praise import views as praise_views
from recognition.stories import views as story_views

app_name = "recognition"

urlpatterns = [
    path("", board_views.board, name="board"),
    path("new/", story_views.nominate, name="nominate"),
    path("moderate/", story_views.moderate, name="moderate"),
    path("<int:pk>/", story_views.story_page, name="story"),
    path("<int:pk>/kudos/", story_views.kudos, name="kudos"),
    path("<int:pk>/<word:action>/", story_views.story_action, name="action"),
]

public_urlpatterns = [
    path("praise/", praise_views.praise, name="praise"),
    path("praise/<token:token>/", praise_views.praise, name="praise-case"),
]
