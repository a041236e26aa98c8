"""Where the client finds its server and API key: a private config file, then the environment.

The file is TOML, `$BROKERAGE_CONFIG` or `$XDG_CONFIG_HOME/brokerage/config.toml` (by default
`~/.config/brokerage/config.toml`), written by `brokerage login` with 0600 permissions because
it holds a secret. `BROKERAGE_URL`, `APCA_API_KEY_ID` and `APCA_API_SECRET_KEY` override it,
as Alpaca's own tools read them.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8000"

ENV_URL = "BROKERAGE_URL"
ENV_KEY_ID = "APCA_API_KEY_ID"
ENV_SECRET = "APCA_API_SECRET_KEY"


class ConfigError(Exception):
    """The config file cannot be read or written."""


@dataclass(frozen=True)
class Config:
    base_url: str = DEFAULT_URL
    key_id: str = ""
    secret_key: str = ""

    @property
    def has_key(self) -> bool:
        return bool(self.key_id and self.secret_key)

    @classmethod
    def load(cls, path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
        """The file's values, with the environment's on top."""
        environ = os.environ if environ is None else environ
        config = read_file(path or config_path(environ))
        overrides = {
            field: environ[name].strip()
            for field, name in (
                ("base_url", ENV_URL),
                ("key_id", ENV_KEY_ID),
                ("secret_key", ENV_SECRET),
            )
            if environ.get(name, "").strip()
        }
        config = replace(config, **overrides)
        return replace(config, base_url=normalize_url(config.base_url))


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    if environ.get("BROKERAGE_CONFIG"):
        return Path(environ["BROKERAGE_CONFIG"]).expanduser()
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "brokerage" / "config.toml"


def normalize_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = f"http://{url}"
    return url


def websocket_url(base_url: str) -> str:
    """The stream endpoint beside an API base URL (`http` → `ws`, `https` → `wss`)."""
    scheme, rest = base_url.split("://", 1)
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/ws/"


def read_file(path: Path) -> Config:
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        return Config()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    server = data.get("server", {})
    return Config(
        base_url=str(server.get("url") or DEFAULT_URL),
        key_id=str(server.get("key_id") or ""),
        secret_key=str(server.get("secret_key") or ""),
    )


def write_file(config: Config, path: Path | None = None) -> Path:
    """Save `config`; the file is created 0600 (never readable by others, not even briefly)."""
    path = path or config_path()
    # A JSON string is a valid TOML basic string for everything a URL or key can hold.
    text = (
        "# Written by `brokerage login`. Keep it private: it holds your API secret.\n"
        "[server]\n"
        f"url = {json.dumps(config.base_url)}\n"
        f"key_id = {json.dumps(config.key_id)}\n"
        f"secret_key = {json.dumps(config.secret_key)}\n"
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)  # an older file of that name may have had wider permissions
        os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc}") from None
    return path
