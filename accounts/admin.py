from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit import services as audit
from cuakhau.admin_audit import AuditMixin
from cuakhau.requests import actor


@admin.register(User)
class UserAdmin(AuditMixin, DjangoUserAdmin):
    """Users, roles and gate postings changed here are audited like the board's own pages."""

    list_display = ("username", "get_full_name", "role", "enterprise", "is_active")
    list_filter = ("role", "is_active", "gates")
    filter_horizontal = ("gates", "groups", "user_permissions")
    autocomplete_fields = ("enterprise",)
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Role and scope"), {"fields": ("role", "enterprise", "gates", "preferred_language")}),
    )

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Setting a password in the admin is audited (without the password or its hash)."""
        before = User.objects.filter(pk=id).values_list("password", flat=True).first()
        response = super().user_change_password(request, id, form_url)
        user = User.objects.filter(pk=id).first()
        if user is not None and before is not None and user.password != before:
            audit.record(action="user.password_set", obj=user, actor=actor(request))
        return response
