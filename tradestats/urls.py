from django.urls import path

from tradestats import opendata, views

app_name = "tradestats"
urlpatterns = [
    path("statistics/", views.statistics_page, name="statistics"),
    path("open-data/", opendata.index, name="open-data"),
    path("open-data/datapackage.json", opendata.datapackage, name="datapackage"),
    path("open-data/<slug:name>.<str:fmt>", opendata.dataset, name="dataset"),
]
