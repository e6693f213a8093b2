from django.urls import path

from gates import views

app_name = "gates"
urlpatterns = [
    path("hours/", views.hours, name="hours"),
    path("hours/<slug:code>/", views.hours, name="hours-gate"),
    path("hours/<slug:code>/action/", views.hours_action, name="hours-action"),
]
