from django.urls import path

from clearance import views

app_name = "clearance"
urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("rules/", views.check_rules, name="check-rules"),
    path("rules/<slug:code>/switch/", views.switch_check_rule, name="check-rule-switch"),
    path("selectivity/", views.selectivity_rules, name="selectivity"),
    path("advice/", views.channel_advice, name="advice"),
    path("performance/", views.clearance_performance, name="performance"),
    path("selectivity/new/", views.selectivity_rule_edit, name="selectivity-new"),
    path("selectivity/preview/", views.selectivity_preview, name="selectivity-preview"),
    path("selectivity/<slug:code>/", views.selectivity_rule_edit, name="selectivity-edit"),
    path("documents/<int:document_id>/", views.download_document, name="document"),
    path(
        "declarations/<str:reference>/checks/<int:check_id>/inspect/",
        views.record_inspection,
        name="inspect",
    ),
    path(
        "declarations/<str:reference>/checks/<int:check_id>/escalate/",
        views.escalate_check,
        name="escalate",
    ),
    path("declarations/<str:reference>/channel/", views.record_channel, name="record-channel"),
    path("declarations/<str:reference>/documents/", views.upload_document, name="upload-document"),
]
