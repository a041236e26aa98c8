"""What the `brokerage` command is made of: exit codes, argument types, the command registry,
the parser built from it, and the context a command runs in.

A command is registered with `@command` (in `client.commands`): one function and its arguments.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from client.api import Client, ClientError
from client.config import Config

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_AUTH = 4

_SYMBOL_RE = re.compile(r"^[A-Z0-9][A-Z0-9.\-/]{0,11}$")


# --------------------------------------------------------------------------- argument types
def symbol(text: str) -> str:
    value = text.strip().upper()
    if not _SYMBOL_RE.match(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a stock symbol")
    return value


def _positive_decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace("_", ""))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise argparse.ArgumentTypeError(f"{what} must be a positive number, not {text!r}")
    return value


def quantity(text: str) -> Decimal:
    return _positive_decimal(text, "a quantity")


def price(text: str) -> Decimal:
    return _positive_decimal(text, "a price")


def count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text!r}")
    return value


# --------------------------------------------------------------------------- the registry
@dataclass
class Command:
    name: str
    help: str
    run: Callable[[argparse.Namespace, Context], int]
    arguments: list[tuple[tuple, dict]]
    needs_key: bool = True
    exclusive: list[list[tuple[tuple, dict]]] = field(default_factory=list)


COMMANDS: dict[str, Command] = {}


def arg(*names, **options) -> tuple[tuple, dict]:
    return names, options


def command(name: str, help: str, *arguments, needs_key: bool = True, one_of=()):
    """Register `fn(args, ctx) -> exit code` as `brokerage NAME`."""

    def register(fn):
        COMMANDS[name] = Command(
            name, help, fn, list(arguments), needs_key, [list(group) for group in one_of]
        )
        return fn

    return register


class Parser(argparse.ArgumentParser):
    """argparse, with a mistake said in one line (and exit code 2) instead of usage + error."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> Parser:
    parser = Parser(
        prog="brokerage",
        description="Trade and watch a Brokerage server from the terminal.",
        epilog="Credentials: `brokerage login`, or BROKERAGE_URL, APCA_API_KEY_ID and "
        "APCA_API_SECRET_KEY in the environment.",
    )
    parser.add_argument("--json", action="store_true", help="print the server's JSON")
    parser.add_argument("--url", help="server base URL for this command (default: config)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for cmd in COMMANDS.values():
        sub = subparsers.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        # Also accepted after the command; SUPPRESS keeps a global --json from being reset.
        sub.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="JSON")
        sub.add_argument("--url", default=argparse.SUPPRESS, help="server base URL")
        for names, options in cmd.arguments:
            sub.add_argument(*names, **options)
        for group in cmd.exclusive:
            exclusive = sub.add_mutually_exclusive_group(required=True)
            for names, options in group:
                exclusive.add_argument(*names, **options)
    return parser


class NoKey(ClientError):
    """No API key in the config or the environment."""

    kind = "auth"


class Context:
    """What a command needs: the configuration, a lazily built client, and output."""

    def __init__(self, config: Config, as_json: bool) -> None:
        self.config = config
        self.as_json = as_json
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = Client.from_config(self.config)
        return self._client

    def emit(self, data: Any, text: str | Callable[[], str]) -> None:
        if self.as_json:
            print(json.dumps(data, indent=2), flush=True)
        else:
            out = text() if callable(text) else text
            if out:
                print(out, flush=True)
