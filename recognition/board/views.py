"""The recognition board: published stories with filters and kudos in place, the balance of delight against
recovery, and for leads and managers who has not been recognised this quarter."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from config.http import StaffRequest
from config.pagination import CappedPaginator
from crm.models import Team
from crm.names import staff_display_name
from crm.permissions import staff_required
from recognition import permissions
from recognition.board import selectors
from recognition.stories.forms import BoardFilterForm
from recognition.stories.selectors import pending

PAGE_SIZE = 20


@staff_required
def board(request: StaffRequest) -> HttpResponse:
    user = request.user
    filters = BoardFilterForm(request.GET)
    chosen = filters.filters()
    # Counting stops at 1,000 stories: nobody pages that far, and counting 20,000 was a tenth of the page.
    stories = selectors.published_stories(user=user, **chosen)
    page = CappedPaginator(stories, PAGE_SIZE).get_page(request.GET.get("page"))
    for story in page:  # what each card shows, from the prefetched people: no query, no include per name
        story.can_kudos = permissions.can_give_kudos(user, story)
        story.names = ", ".join(staff_display_name(person) for person in story.about.all())
        story.teller_name = staff_display_name(story.teller) or "a customer"
    context = {
        "page": page,
        "filters": filters,
        "chosen": chosen,
        "teams": Team.objects.order_by("name"),
        "balance_section": selectors.balance_section(),
        "query": request.GET.urlencode(),
        "pending_count": pending().count() if permissions.can_moderate(user) else None,
    }
    if permissions.can_see_team_figures(user):
        context |= {
            "not_recognised": selectors.not_recognised(user=user),
            "per_person": selectors.stories_per_person(user=user)[:50],
            "per_team": selectors.stories_per_team(user=user),
            "quarter_start": selectors.quarter_start(),
        }
    return render(request, "recognition/board/board.html", context)


def dashboard_section(request: HttpRequest, figure_filter: object) -> str:
    """On the figures dashboard (complaints): delight against recovery stories over 90 days."""
    return render_to_string(
        "recognition/board/_dashboard_section.html", {"balance": selectors.balance_section()}, request=request
    )
