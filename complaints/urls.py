"""Page routes of complaints, assembled from its capabilities: staff pages (namespace "complaints",
mounted at /cases/) and public pages (public_urlpatterns, mounted at the root). The case reference
patterns come last, so /cases/mine/ is never read as a case."""

from complaints.cases.urls import case_urlpatterns, fixed_urlpatterns
from complaints.figures import urls as figures
from complaints.incidents import urls as incidents
from complaints.intake import urls as intake
from complaints.mail import urls as mail

app_name = "complaints"

urlpatterns = [
    *fixed_urlpatterns,
    *mail.staff_urlpatterns,
    *figures.staff_urlpatterns,
    *incidents.staff_urlpatterns,
    *case_urlpatterns,
]

public_urlpatterns = [*intake.public_urlpatterns, *incidents.public_urlpatterns]
