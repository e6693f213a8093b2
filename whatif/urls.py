from django.urls import path

from whatif import views

app_name = "whatif"
urlpatterns = [
    path("", views.runs, name="runs"),
    path("<int:pk>/", views.run_page, name="run"),
    path("<int:pk>/<slug:which>.json", views.scenario_json, name="scenario"),
]
