from django.urls import path

from fees import views

app_name = "fees"
urlpatterns = [
    path("", views.schedules, name="schedules"),
    path("schedules/<slug:code>/", views.schedules, name="schedule"),
    path("schedules/", views.schedule_action, name="schedule-action"),
    path("declarations/<str:reference>/pay/", views.pay, name="pay"),
    path("demo-pay/<str:request_ref>/", views.demo_checkout, name="demo-checkout"),
    path("receipts/<str:token>/", views.receipt, name="receipt"),
    path("v/", views.verify_by_number, name="verify-number"),
    path("v/<str:token>/", views.verify, name="verify"),
    path("revenue/", views.revenue, name="revenue"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("reconciliation/yard-stays/<int:visit_id>/charge/", views.charge_stay, name="charge-stay"),
]
