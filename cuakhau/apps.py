from django.apps import AppConfig


class CuakhauConfig(AppConfig):
    """The project itself: base templates, static files, translations, the console command."""

    name = "cuakhau"
    verbose_name = "cuakhau"
