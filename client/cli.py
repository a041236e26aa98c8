"""The `brokerage` command: trade and watch a Brokerage server from a shell.

Every command takes `--json` (the server's JSON, one document; `watch` prints one per line).
An expected failure prints one line on stderr and exits non-zero:

    1  the server refused (its message and code), or the stream ended on an error
    2  bad usage or input on the command line (a malformed number, a missing argument)
    3  the server cannot be reached
    4  no API key, or the server refused the key

Commands are registered with `@command` in `client.commands`: a new one (auctions and bids, say) is one
function and its arguments.
"""

from __future__ import annotations

import json
import sys

from client import commands  # noqa: F401  (registers the commands)
from client.api import ApiError, ClientError
from client.config import Config, ConfigError, normalize_url
from client.registry import (
    COMMANDS,
    EXIT_AUTH,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    Context,
    NoKey,
    build_parser,
)

EXIT_CODES = {
    "refused": EXIT_REFUSED,
    "usage": EXIT_USAGE,
    "unreachable": EXIT_UNREACHABLE,
    "auth": EXIT_AUTH,
}


def _fail(ctx_json: bool, code: int, message: str, extra: dict | None = None) -> int:
    if ctx_json:
        print(json.dumps({"error": {"message": message, **(extra or {})}}), file=sys.stderr)
    else:
        print(f"brokerage: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    cmd = COMMANDS[args.command]
    as_json = bool(getattr(args, "json", False))
    try:
        config = Config.load()
        if getattr(args, "url", None):
            config = Config(normalize_url(args.url), config.key_id, config.secret_key)
        if cmd.needs_key and not config.has_key:
            raise NoKey(
                "no API key: run `brokerage login`, or set APCA_API_KEY_ID and APCA_API_SECRET_KEY"
            )
        return cmd.run(args, Context(config, as_json))
    except ConfigError as exc:
        return _fail(as_json, EXIT_REFUSED, str(exc), {"code": "config"})
    except ClientError as exc:
        message, extra = exc.message, {"code": exc.kind}
        if isinstance(exc, ApiError):
            message, extra = f"{exc.message} ({exc.code})", exc.as_dict()
        if exc.kind == "auth" and not isinstance(exc, NoKey):
            message += "; check the key with `brokerage login`"
        return _fail(as_json, EXIT_CODES[exc.kind], message, extra)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `brokerage orders | head`: the reader left, nothing is wrong
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
