"""The server's stream contract, as the terminal client's tests check messages against it."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "stream-messages.schema.json").read_text()
)


def valid(message: dict) -> dict:
    """`message`, after checking it against its type's definition in the server's schema."""
    definition = {"$ref": f"#/$defs/{message['type']}", "$defs": SCHEMA["$defs"]}
    Draft202012Validator(definition).validate(message)
    return message
