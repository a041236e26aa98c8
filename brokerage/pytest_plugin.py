"""Loaded by pytest before Django (`-p brokerage.pytest_plugin`): test-only defaults.

The settings refuse to start without a secret key and redirect to HTTPS in production mode;
the suite runs the production configuration with only those two relaxed (and, in
`brokerage.settings_test`, a fast password hasher). With REDIS_URL unset, the embedded Redis
is started here, before Django reads the settings, and exported to every process a test
starts (daphne, Celery); the folders under VAR_DIR are created once Django is configured.
"""

import os

import pytest

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # tryfirst: before pytest-django's own hook, which reads the settings.
    from brokerage.embedded_redis import ensure_redis_url

    ensure_redis_url()


def pytest_configure(config):
    from django.conf import settings

    if settings.configured:
        from brokerage.folders import make_var_dirs

        make_var_dirs()
