from django.urls import path

from complaints.mail import views

# Under /cases/ (namespace "complaints").
staff_urlpatterns = [
    path("mail/", views.inbound_mail, name="inbound-mail"),
    path("mail/<word:kind>/<int:pk>/raw/", views.inbound_mail_raw, name="inbound-mail-raw"),
    path("mail/rejected/<int:pk>/open-case/", views.rejected_open_case, name="rejected-open-case"),
]
