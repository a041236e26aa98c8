"""Django's `migrate`, after creating the folder a SQLite database lives in (a fresh checkout
has no `var/`; the settings no longer create it on import)."""

from django.core.management.commands.migrate import Command as MigrateCommand

from brokerage.folders import make_var_dirs


class Command(MigrateCommand):
    def execute(self, *args, **options):
        # Before the system checks too: the JSON field's check opens the database.
        make_var_dirs()
        return super().execute(*args, **options)
