"""Page routes of crm: the customer pages (namespace "crm", mounted at /customers/), and the public
stop-notices page (public_urlpatterns, mounted at the root)."""

from django.urls import path

from crm.customers import views

app_name = "crm"

urlpatterns = [
    path("", views.customer_list, name="customer-list"),
    path("new/", views.customer_new, name="customer-new"),
    path("similar/", views.customer_similar, name="customer-similar"),
    path("<int:pk>/", views.customer_detail, name="customer-detail"),
    path("<int:pk>/edit/", views.customer_edit, name="customer-edit"),
    path("<int:pk>/confirm-name/", views.customer_confirm_name, name="customer-confirm-name"),
    path("<int:pk>/export/", views.customer_export, name="customer-export"),
    path("<int:pk>/erase/", views.customer_erase, name="customer-erase"),
]

public_urlpatterns = [
    path("notices/<token:token>/", views.service_notices, name="service-notices"),
]
