"""`manage.py stream_schema`: print, write or check `docs/stream-messages.schema.json`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from streams.contract import SCHEMA_PATH, render


class Command(BaseCommand):
    help = "The JSON Schema of the /ws/ messages, rendered from their TypedDicts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true", help=f"write {SCHEMA_PATH.name}")
        parser.add_argument("--check", action="store_true", help="fail if it is out of date")

    def handle(self, *args: Any, **options: Any) -> None:
        text = render()
        if options["check"]:
            if SCHEMA_PATH.read_text() != text:
                raise CommandError(f"{SCHEMA_PATH} is out of date: run stream_schema --write")
            return
        if options["write"]:
            SCHEMA_PATH.write_text(text)
            return
        self.stdout.write(text, ending="")
