from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(set_session_lifetime, dispatch_uid="cuakhau-session-lifetime")


def set_session_lifetime(sender: object, request: object, user: object, **kwargs: object) -> None:
    """Staff sessions last CUAKHAU_STAFF_SESSION_HOURS (12), others CUAKHAU_SESSION_HOURS."""
    from django.conf import settings

    from accounts.choices import Role

    session = getattr(request, "session", None)
    if session is None:
        return
    public = getattr(user, "role", "") in (Role.DECLARANT, Role.DRIVER)
    hours = settings.CUAKHAU_SESSION_HOURS if public else settings.CUAKHAU_STAFF_SESSION_HOURS
    session.set_expiry(int(hours) * 3600)
