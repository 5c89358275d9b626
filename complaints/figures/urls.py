from django.urls import path

from complaints.figures import views

# Under /cases/ (namespace "complaints").
staff_urlpatterns = [
    path("figures/", views.dashboard, name="figures"),
    path("figures/figures.csv", views.figures_csv, name="figures-csv"),
    path("figures/cases/", views.figure_cases, name="figure-cases"),
]
