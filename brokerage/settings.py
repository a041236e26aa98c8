"""Django settings: every value that varies between deployments comes from the environment.

See `.env.example` for the full list. Readers in `core.env` are strict: a malformed
value stops the process at start-up with a message naming the variable.

Importing this module has no side effects: it starts no server, creates no folder and builds
no provider. `runstack` and the pytest plugin start the embedded Redis (when REDIS_URL is
unset) and create the folders under VAR_DIR; `marketdata.checks` checks the provider.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab

from core.env import (
    ConfigError,
    env_bool,
    env_decimal,
    env_float,
    env_int,
    env_list,
    env_rate,
    env_secret,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
# Created by the commands that write there (runstack, migrate, beat, the tests), not here.
VAR_DIR = Path(env_str("BROKERAGE_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ConfigError(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is false "
            "(set DJANGO_DEBUG=true for local development)"
        )
    # Development only: a fixed, obviously unsafe key so sessions survive restarts.
    SECRET_KEY = "dev-insecure-key-do-not-use-in-production-0123456789abcdefghijklmnop"

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    "brokerage",
    "accounts",
    "marketdata",
    "trading",
    "streams",
    "alpaca_adapter",
]

MIDDLEWARE = [
    # Before anything reads the path: `/api//v2/...` (a base URL ending in a slash) routes.
    "brokerage.middleware.RepeatedSlashMiddleware",
    # First, so that its figure covers every other middleware.
    "brokerage.middleware.ServerTimingMiddleware",
    "brokerage.middleware.DatabaseUnavailablePageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the request: control characters and oversized bodies refused.
    "brokerage.middleware.InputGuardMiddleware",
    "brokerage.middleware.ApiErrorShapeMiddleware",
    "brokerage.throttles.RateLimitHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "brokerage.middleware.ApiUtcMiddleware",
    "brokerage.middleware.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "brokerage.urls"
ASGI_APPLICATION = "brokerage.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
# Health checks: a connection (pooled or kept) is tested before use, so one whose backend was
# terminated (a failover, pg_terminate_backend) is replaced instead of failing a request. With
# the pool this is psycopg_pool's `check`, which Django sets from CONN_HEALTH_CHECKS.
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite has no row locks: IMMEDIATE transactions take the write lock when they begin,
    # so concurrent order placements from web and worker processes queue instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DATABASE_POOL", False
):
    # A pool per process, for threads that come and go. A web process runs its requests in
    # one thread (brokerage.handler), where the pool only adds a way to stall: while a new
    # connection fails, it retries in the background, backing off, and the request waits for
    # it up to `timeout` (20 s, measured with backends terminated every 2 s) instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "pool": {
            "min_size": 1,
            "max_size": env_int("DATABASE_POOL_SIZE", 10, minimum=1),
            "timeout": 20,
        }
    }
else:
    # No pool (the default): each thread keeps its connection this long, tested before each
    # request that reuses it; a dead one is replaced there and then, or the request fails
    # at once (a 503).
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 300, minimum=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database host that stops answering (cut off, its machine gone) fails a request within
    # about this many seconds, a 503, instead of holding it for the kernel's TCP timeouts
    # (minutes): libpq's connect timeout, TCP_USER_TIMEOUT for sent data never acknowledged,
    # and keepalives (after as many idle seconds, two probes a second apart) for a query
    # waiting on a silent peer.
    _db_timeout = env_int("DATABASE_TIMEOUT_SECONDS", 3, minimum=2)  # libpq's floor is 2
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": _db_timeout,
            "tcp_user_timeout": _db_timeout * 1000,
            "keepalives": 1,
            "keepalives_idle": _db_timeout,
            "keepalives_interval": 1,
            "keepalives_count": 2,
        }
    )
    # Django's backend, but after a failed connection attempt a process answers 503 at once
    # for DATABASE_RETRY_SECONDS before trying again (core.postgres.base says why).
    DATABASES["default"]["ENGINE"] = "core.postgres"
DATABASE_RETRY_SECONDS = env_float("DATABASE_RETRY_SECONDS", 2.0, minimum=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- redis: channel layer and celery broker ---------------------------------------------
# Unset: `make run` (runstack) and `make test` (the pytest plugin) start a private server and
# export its URL before anything reads the settings; any other process assumes a local Redis.
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")

# Redis pub/sub: a group message is published once and each process fans it out to its own
# sockets; the core layer stores a copy per process in a sorted set and ran out of pooled
# connections under a thousand subscribing sockets (figures in bench/README.md).
CHANNEL_LAYERS: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        # Deployments (or test runs) sharing one Redis keep their streams apart by prefix.
        "CONFIG": {"hosts": [REDIS_URL], "prefix": env_str("CHANNEL_LAYER_PREFIX", "asgi")},
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_RESULT_EXPIRES = 3600
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE = env_str("TIME_ZONE", "America/New_York")
# The clock (beat) keeps its schedule in Redis and acts only while it holds a lock there
# (RedBeat): run beat on every app host, one acts, and another takes over within
# BEAT_LOCK_SECONDS of the active one dying or being cut off.
CELERY_BEAT_SCHEDULER = "brokerage.celery:ClockScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = 1  # seconds: how often the lock is renewed, or tried for
CELERY_REDBEAT_KEY_PREFIX = f"{env_str('CHANNEL_LAYER_PREFIX', 'asgi')}:redbeat"
CELERY_REDBEAT_LOCK_TIMEOUT = env_int("BEAT_LOCK_SECONDS", 3, minimum=2)

# --- auth -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"

# Log-in lockout (django-axes): this many wrong passwords for one username from one address
# locks that pair out for LOGIN_LOCKOUT_MINUTES; the right password resets the count. The
# log-in form says so (`accounts.views.locked_out`); API keys are not passwords and not counted.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_float("LOGIN_LOCKOUT_MINUTES", 15.0, minimum=0.1) / 60  # hours
# Failures count per account and per address, each on its own: a new address (or a forged
# X-Forwarded-For, which brokerage.proxies drops) does not reset an account's count.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "brokerage.proxies.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- the product ------------------------------------------------------------------------
STARTING_CASH = env_decimal("STARTING_CASH", "100000.00", minimum=Decimal("0"))
# The price band a new stock starts with: orders within this fraction of the reference price
# (staff set each stock's own in the admin, up to 1).
PRICE_BAND_PCT = env_decimal("PRICE_BAND_PCT", "0.10", minimum=Decimal("0.0001"))
if PRICE_BAND_PCT > 1:
    raise ConfigError(f"PRICE_BAND_PCT={PRICE_BAND_PCT} must be at most 1")
# Fees in basis points of each fill's notional, paid to the house account.
TRADING_MAKER_FEE_BPS = env_decimal("TRADING_MAKER_FEE_BPS", "0", minimum=Decimal("0"))
TRADING_TAKER_FEE_BPS = env_decimal("TRADING_TAKER_FEE_BPS", "0", minimum=Decimal("0"))
# Timed auctions: default length, the soft-close window and the cap on its extensions.
AUCTION_DURATION_SECONDS = env_int("AUCTION_DURATION_SECONDS", 300, minimum=1)
AUCTION_SOFT_CLOSE_SECONDS = env_int("AUCTION_SOFT_CLOSE_SECONDS", 30, minimum=0)
AUCTION_MAX_EXTENSION_SECONDS = env_int("AUCTION_MAX_EXTENSION_SECONDS", 300, minimum=0)
# A close task at each auction's end, besides the sweep every second.
# Websockets one client address may hold open at once in one web process (the next handshake
# gets a 403); the benchmarks, whose thousands of clients share 127.0.0.1, raise it.
WS_MAX_SOCKETS_PER_ADDRESS = env_int("WS_MAX_SOCKETS_PER_ADDRESS", 200, minimum=1)
# A websocket with no subscription that has sent nothing this long is closed (4000).
WS_IDLE_SECONDS = env_float("WS_IDLE_SECONDS", 300.0, minimum=1.0)
# Auction prints are held within this many percent over the reference price: a maximum above
# it is refused, and a lot whose reference fell meanwhile prints at the edge; 0 turns it off.
AUCTION_COLLAR_PCT = env_decimal("AUCTION_COLLAR_PCT", "10", minimum=Decimal("0"))
# Refused bids kept for an auction's history, per bidder per minute (the rest are answered,
# not stored).
AUCTION_REFUSALS_KEPT_PER_MINUTE = env_int("AUCTION_REFUSALS_KEPT_PER_MINUTE", 20, minimum=0)
# A close that failed (set aside with its reason for staff) is tried again after this long.
AUCTION_CLOSE_RETRY_SECONDS = env_int("AUCTION_CLOSE_RETRY_SECONDS", 30, minimum=1)
AUCTION_SCHEDULE_CLOSE_TASKS = env_bool("AUCTION_SCHEDULE_CLOSE_TASKS", True)
# The demo keeps this many house auctions running (0: none).
AUCTION_DEMO_LOTS = env_int("AUCTION_DEMO_LOTS", 0, minimum=0)
# Callables (dotted paths) the auction sweep runs after each pass, each returning counts to
# report with it. The demo's house lots ride on it: named when AUCTION_DEMO_LOTS is set (make
# run), so the product's sweep never imports the demo.
AUCTION_SWEEP_HOOKS = env_list(
    "AUCTION_SWEEP_HOOKS", ["trading.demo.demo_auctions_sweep"] if AUCTION_DEMO_LOTS else []
)
# The demo market maker ("maker") re-quotes its ladder around the reference price on the clock.
DEMO_MARKET_MAKER = env_bool("DEMO_MARKET_MAKER", False)
# Day orders expire at this local time (TIME_ZONE) on weekdays.
MARKET_CLOSE = env_str("MARKET_CLOSE", "16:00")

# --- i18n / time ------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True

# --- static files -----------------------------------------------------------------------
STATIC_URL = "static/"
# Whitenoise warns on every request while it is missing: collectstatic (runstack) creates it.
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "brokerage.staticfiles.StaticStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- REST API ---------------------------------------------------------------------------
REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["brokerage.throttles.IsAuthenticatedCountingAnonymous"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["brokerage.parsers.StrictJSONParser"],
    "EXCEPTION_HANDLER": "brokerage.api_errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_CLASSES": ["brokerage.throttles.ApiRateThrottle"],
    # 0: the anonymous limit counts REMOTE_ADDR, which brokerage.proxies has already made
    # the real client's (X-Forwarded-For is believed only from TRUSTED_PROXIES).
    "NUM_PROXIES": 0,
}
# Requests a window allows per API key or signed-in user, and per IP when anonymous
# (`brokerage.throttles`): 200/min is Alpaca's default; `off` disables a limit.
API_RATE_LIMIT = env_rate("API_RATE_LIMIT", "200/min")
API_ANON_RATE_LIMIT = env_rate("API_ANON_RATE_LIMIT", env_str("API_RATE_LIMIT", "200/min"))
# Server time one multi-symbol market-data read may take before it is refused whole (422
# request_too_large): such reads run in a lane of their own (brokerage.handler), and this
# bounds how long one holds it.
READ_BUDGET_MS = env_int("READ_BUDGET_MS", 1000, minimum=10)
# How long a rate-limit count may wait for Redis, and how long a process then stops asking.
RATE_LIMIT_REDIS_TIMEOUT_MS = env_int("RATE_LIMIT_REDIS_TIMEOUT_MS", 50, minimum=1)
RATE_LIMIT_BREAKER_SECONDS = env_float("RATE_LIMIT_BREAKER_SECONDS", 5.0, minimum=0.1)
API_RATE_LIMIT_PREFIX = f"{env_str('CHANNEL_LAYER_PREFIX', 'asgi')}:ratelimit"
# The web processes say they are alive here (/healthz counts them for staff).
WEB_PROCESSES_KEY = f"{env_str('CHANNEL_LAYER_PREFIX', 'asgi')}:web_processes"
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )
SPECTACULAR_SETTINGS = {
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "OrderTypeEnum": "trading.models.Order.Type",
        "TimeInForceEnum": "trading.models.Order.TimeInForce",
        "SideEnum": "trading.models.Side",
    },
    "TITLE": "Brokerage API",
    "DESCRIPTION": "Trade paper-money stocks on a real order book. Authenticate with the "
    "APCA-API-KEY-ID and APCA-API-SECRET-KEY headers or a browser session.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies get their own components, which say what input takes (minLength …).
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation's error answers, the rate limit's 429 and the input guard's patterns.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "brokerage.api_schema.finish_schema",
    ],
}

# --- security (production defaults; development relaxes them) ---------------------------
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The load balancers whose X-Forwarded-For / -Proto are believed (addresses or CIDR networks,
# comma-separated); none by default, so a client cannot choose its own address.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The pages' policy (`brokerage.middleware.ContentSecurityPolicyMiddleware`); `{ws}` stands for
# this host's ws:// and wss:// origins. Empty: no header. Scripts are this site's files only;
# styles may be inline too (the book's depth bars and the charts set widths in `style`).
CONTENT_SECURITY_POLICY = env_str(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; "
    "font-src 'self'; connect-src 'self' {ws}; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'",
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- the clock --------------------------------------------------------------------------
PRICE_PULL_SECONDS = env_float("PRICE_PULL_SECONDS", 5.0, minimum=0.5)
_close_hour, _, _close_minute = MARKET_CLOSE.partition(":")
if not (
    _close_hour.isdigit()
    and _close_minute.isdigit()
    and int(_close_hour) < 24
    and int(_close_minute) < 60
):
    raise ConfigError(f"MARKET_CLOSE={MARKET_CLOSE!r} is not a time like 16:00")
CELERY_BEAT_SCHEDULE = {
    # Every second; a sweep that waited longer than that is superseded by the next one.
    "close-due-auctions": {
        "task": "trading.close_due_auctions",
        "schedule": 1.0,
        "options": {"expires": 1.0},
    },
    "demo-maker-requote": {
        "task": "trading.demo_maker_requote",
        "schedule": 5.0,
        "options": {"expires": 5.0},
    },
    "expire-day-orders": {
        "task": "trading.expire_day_orders",
        # Celery's crontab reads CELERY_TIMEZONE; the close is local market time.
        "schedule": crontab(
            hour=f"13,{int(_close_hour)}", minute=int(_close_minute), day_of_week="mon-fri"
        ),
    },
    "pull-prices": {
        "task": "marketdata.pull_prices",
        "schedule": PRICE_PULL_SECONDS,
        # A pull that waited a whole period in the queue (worker busy or down) is superseded
        # by the next one: drop it rather than replay a backlog.
        "options": {"expires": PRICE_PULL_SECONDS},
    },
}

# --- market data ------------------------------------------------------------------------
# Checked by a system check (`marketdata.checks`): an unknown provider, one that needs a key and
# has none, or an unreadable key file stops `manage.py check`, `migrate` and `make run`.
MARKETDATA_PROVIDER = env_str("MARKETDATA_PROVIDER", "simulated")
# The key (a Secret: shown as *** by diffsettings, debug pages and logs), or the file holding
# it, read where the key is used (`marketdata.config.configured_api_key`).
MARKETDATA_API_KEY = env_secret("MARKETDATA_API_KEY")
MARKETDATA_API_KEY_FILE = env_str("MARKETDATA_API_KEY_FILE")
MARKETDATA_BASE_URL = env_str("MARKETDATA_BASE_URL")
# A new price further than this fraction from the last one of the same source is refused.
MARKETDATA_MAX_JUMP = env_decimal("MARKETDATA_MAX_JUMP", "0.5", minimum=Decimal("0.01"))
# A price not refreshed for this long is shown as stale.
MARKETDATA_STALE_SECONDS = env_float("MARKETDATA_STALE_SECONDS", 300.0, minimum=1.0)
# Reference-price history (a row per symbol a minute) older than this is deleted by the pull.
MARKETDATA_HISTORY_DAYS = env_int("MARKETDATA_HISTORY_DAYS", 7, minimum=1)
