from django.urls import path

from crm import views

app_name = "crm"

urlpatterns = [
    path("", views.customer_list, name="customer-list"),
    path("new/", views.customer_new, name="customer-new"),
    path("similar/", views.customer_similar, name="customer-similar"),
    path("<int:pk>/", views.customer_detail, name="customer-detail"),
    path("<int:pk>/edit/", views.customer_edit, name="customer-edit"),
    path("<int:pk>/confirm-name/", views.customer_confirm_name, name="customer-confirm-name"),
]
