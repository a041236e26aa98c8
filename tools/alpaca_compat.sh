#!/usr/bin/env bash
# Alpaca's own clients, unchanged, against a live server: a fresh PostgreSQL database with the
# demo data, API keys for the traders alice (buyer) and bob (seller), daphne, then each
# client's script (tools/compat/) through the host root and through /api, each with and
# without a trailing slash. Exits non-zero if any supported call failed.
#
#   tools/alpaca_compat.sh                              # alpaca-py and alpaca-trade-api
#   CLIENTS="alpaca-py alpaca-trade-api ccxt lumibot" COMPAT_DB=mine PORT=8200 tools/alpaca_compat.sh
#
# alpaca-trade-api pins versions the project's own virtualenv cannot hold (websockets < 11,
# msgpack 1.0.3, urllib3 < 2), so it runs from its own virtualenv (COMPAT_VENV, made once from
# requirements-compat.txt); ccxt and Lumibot likewise (tools/compat/README.md).
# Needs PostgreSQL (PG_URL) and Redis (REDIS_URL) running; drops and recreates COMPAT_DB.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL="${PG_URL:-postgres://root@127.0.0.1:5432}"
COMPAT_DB="${COMPAT_DB:-alpaca_compat}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
CLIENTS="${CLIENTS:-alpaca-py alpaca-trade-api}"
# Kept between runs (remade when the pins change): pandas and numpy take a while to install.
COMPAT_VENV="${COMPAT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/brokerage-compat}"
PORT="${PORT:-$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
host="http://127.0.0.1:$PORT"

export DATABASE_URL="$PG_URL/$COMPAT_DB"
export REDIS_URL
export DJANGO_SETTINGS_MODULE=brokerage.settings
export DJANGO_DEBUG=false
export DJANGO_SECRET_KEY="compat-only-$(date +%s)-not-a-production-secret"
export DJANGO_ALLOWED_HOSTS="127.0.0.1"
export DJANGO_SECURE_SSL_REDIRECT=false
export DJANGO_SECURE_COOKIES=false
export API_RATE_LIMIT="100000/min"
export API_ANON_RATE_LIMIT="100000/min"
export CHANNEL_LAYER_PREFIX="compat-$PORT"

# A client's own virtualenv, made once from its pinned requirements (remade when they change).
client_venv() {
  local name=$1 requirements=$2
  local dir="$COMPAT_VENV/$name" stamp
  stamp=$(sha256sum "$requirements" | cut -c1-16)
  if [ ! -x "$dir/bin/python" ] || [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$dir"
    python3 -m venv "$dir"
    if ! "$dir/bin/pip" install -q --disable-pip-version-check -r "$requirements" \
      >"$dir.log" 2>&1; then
      tail -30 "$dir.log" >&2
      exit 1
    fi
    echo "$stamp" >"$dir/.stamp"
  fi
  echo "$dir/bin/python"
}

declare -A python_of
for client in $CLIENTS; do
  case "$client" in
    alpaca-py) python_of[$client]=.venv/bin/python ;;
    alpaca-trade-api) python_of[$client]=$(client_venv ata requirements-compat.txt) ;;
    ccxt) python_of[$client]=$(client_venv ccxt tools/compat/requirements-ccxt.txt) ;;
    lumibot) python_of[$client]=$(client_venv lumibot tools/compat/requirements-lumibot.txt) ;;
    *) echo "unknown client $client"; exit 2 ;;
  esac
done

work=$(mktemp -d)
export BROKERAGE_VAR_DIR="$work/var"
server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 20); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop_server EXIT

psql "$PG_URL/postgres" -qAt -c "DROP DATABASE IF EXISTS \"$COMPAT_DB\" WITH (FORCE)"
psql "$PG_URL/postgres" -qAt -c "CREATE DATABASE \"$COMPAT_DB\""
.venv/bin/python manage.py migrate --no-input -v 0
.venv/bin/python manage.py setup_demo >/dev/null
.venv/bin/python manage.py shell -v 0 -c '
from accounts.models import User
from accounts.services import api_key_create
for name in ("alice", "bob"):
    key, secret = api_key_create(user=User.objects.get(username=name), name="compat")
    print(key.key_id, secret)
' >"$work/keys"
{ read -r COMPAT_KEY COMPAT_SECRET; read -r COMPAT_KEY2 COMPAT_SECRET2; } <"$work/keys"
export COMPAT_HOST="$host" COMPAT_KEY COMPAT_SECRET COMPAT_KEY2 COMPAT_SECRET2

.venv/bin/daphne -b 127.0.0.1 -p "$PORT" brokerage.asgi:application >"$work/daphne.log" 2>&1 &
server_pid=$!
for _ in $(seq 60); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$host/healthz")" = "200" ] && break
  sleep 0.5
done

status=0
for client in $CLIENTS; do
  script="tools/compat/${client//-/_}_calls.py"
  for base in "$host" "$host/" "$host/api" "$host/api/"; do
    echo "== $client, base URL $base"
    timeout 300 "${python_of[$client]}" "$script" "$base" || status=1
  done
done
if [ "$status" != 0 ]; then
  echo "== the server's log (last 60 lines)"
  tail -60 "$work/daphne.log"
fi
exit "$status"
