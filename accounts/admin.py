from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "get_full_name", "role", "enterprise", "is_active")
    list_filter = ("role", "is_active", "gates")
    filter_horizontal = ("gates", "groups", "user_permissions")
    autocomplete_fields = ("enterprise",)
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Role and scope"), {"fields": ("role", "enterprise", "gates", "preferred_language")}),
    )
