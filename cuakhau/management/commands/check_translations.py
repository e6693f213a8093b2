from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

LOCALES = ("vi", "zh_Hans")
IGNORE = [".venv/*", "var/*", "build/*", "*/tests/*", "tests/*"]


class Command(BaseCommand):
    help = (
        "Fail unless the vi and zh_Hans catalogues hold every translatable string of the code "
        "and templates, each translated and none fuzzy. Needs GNU gettext (xgettext)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        locale_dir = Path(settings.LOCALE_PATHS[0])
        problems: list[str] = []
        with tempfile.TemporaryDirectory() as backup:
            saved = Path(backup) / "locale"
            shutil.copytree(locale_dir, saved)
            before = {
                loc: self._ids(locale_dir / loc / "LC_MESSAGES" / "django.po") for loc in LOCALES
            }
            cwd = os.getcwd()
            try:
                os.chdir(settings.BASE_DIR)
                call_command(
                    "makemessages",
                    locale=list(LOCALES),
                    ignore_patterns=IGNORE,
                    no_obsolete=True,
                    verbosity=0,
                )
                after = {
                    loc: self._ids(locale_dir / loc / "LC_MESSAGES" / "django.po")
                    for loc in LOCALES
                }
            finally:
                os.chdir(cwd)
                shutil.rmtree(locale_dir)
                shutil.copytree(saved, locale_dir)
        for loc in LOCALES:
            missing = sorted(after[loc] - before[loc])
            problems += [f"{loc}: not in the catalogue: {msgid!r}" for msgid in missing]
            catalogue = polib.pofile(str(locale_dir / loc / "LC_MESSAGES" / "django.po"))
            problems += [
                f"{loc}: untranslated: {e.msgid!r}" for e in catalogue.untranslated_entries()
            ]
            problems += [f"{loc}: fuzzy: {e.msgid!r}" for e in catalogue.fuzzy_entries()]
        if problems:
            for line in problems:
                self.stderr.write(line)
            raise CommandError(
                f"{len(problems)} translation problems; run `make messages` and translate"
            )
        self.stdout.write(
            f"translations complete: {len(after['vi'])} strings in {', '.join(LOCALES)}"
        )

    @staticmethod
    def _ids(path: Path) -> set[tuple[str, str]]:
        if not path.exists():
            return set()
        return {
            (e.msgctxt or "", e.msgid)
            for e in polib.pofile(str(path))
            if not e.obsolete and e.msgid
        }
