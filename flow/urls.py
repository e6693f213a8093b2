from django.urls import path

from flow import views

app_name = "flow"
urlpatterns = [
    path("board/", views.gate_board, name="board"),
    path("board/<slug:code>/", views.gate_board, name="board-gate"),
    path("yard/", views.yard, name="yard"),
    path("yard/<slug:code>/", views.yard, name="yard-gate"),
    path("yard/<slug:code>/action/", views.yard_action, name="yard-action"),
    path("trip/", views.my_trip, name="my-trip"),
    path("cameras/", views.cameras, name="cameras"),
    path("admission/", views.admission, name="admission"),
    path("admission/action/", views.admission_action, name="admission-action"),
    path("declarations/<str:reference>/booking/", views.book, name="book"),
]
