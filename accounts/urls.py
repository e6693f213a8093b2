from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("home/", views.role_home, name="role-home"),
    path("password/", views.password_change, name="password-change"),
    path("users/", views.users, name="accounts-users"),
    path("users/<int:user_id>/", views.user_detail, name="accounts-user"),
]
