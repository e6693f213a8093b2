from django.urls import path

from shipments import views

app_name = "shipments"
urlpatterns = [
    path("", views.declaration_list, name="declaration-list"),
    path("new/", views.declaration_new, name="declaration-new"),
    path("new/line/", views.goods_line_row, name="goods-line-row"),
    path("new/check-plate/", views.check_plate, name="check-plate"),
    path("fruit-codes/", views.fruit_codes, name="fruit-codes"),
    path("<str:reference>/", views.declaration_detail, name="declaration-detail"),
    path("<str:reference>/amend/", views.declaration_amend, name="declaration-amend"),
    path(
        "<str:reference>/transition/", views.declaration_transition, name="declaration-transition"
    ),
]
