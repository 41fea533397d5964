"""Settings come from the environment; bad values stop Lumen at start with a message naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
GOOD_KEY = "k3Jx9-pQ2vR8sT4uW6yZ1aB5cD7eF0gH2iJ4kL6mN8oP0qR2sT4uV6wX8yZ0aB2cD4e"


def run_manage(tmp_path, *args, **env):
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE", "REDIS", "CELERY", "LUMEN"))
    }
    clean.update({"LUMEN_VAR_DIR": str(tmp_path), "DEBUG": "true"}, **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=clean, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean; use one of true/false, yes/no, 1/0, on/off"),
        ({"DEBUG": "false"}, "SECRET_KEY must be set when DEBUG is off (at least 50 random characters)"),
        ({"DEBUG": "false", "SECRET_KEY": "short"}, "SECRET_KEY is too weak: use at least 50 random characters"),
        (
            {"DEBUG": "false", "SECRET_KEY": GOOD_KEY},
            "ALLOWED_HOSTS must list the host names Lumen is served under when DEBUG is off",
        ),
        ({"DATABASE_URL": "mysql://db/lumen"}, "DATABASE_URL must be a postgres:// or sqlite:// URL"),
        (
            {"LUMEN_SESSION_IDLE_MINUTES": "half an hour"},
            "LUMEN_SESSION_IDLE_MINUTES='half an hour' is not a whole number",
        ),
        ({"LUMEN_SESSION_IDLE_MINUTES": "0"}, "LUMEN_SESSION_IDLE_MINUTES=0 is below the minimum of 1"),
        ({"SECRET_KEY_FILE": "/nonexistent/lumen-key"}, "SECRET_KEY_FILE='/nonexistent/lumen-key' cannot be read"),
        ({"LUMEN_ACCESSION_PREFIX": "ACCESS"}, "LUMEN_ACCESSION_PREFIX must be 1 to 5 ASCII letters or digits"),
    ],
)
def test_a_bad_setting_stops_start_up_with_a_clear_message(tmp_path, env, message):
    result = run_manage(tmp_path, "check", **env)
    assert result.returncode == 1
    assert f"django.core.exceptions.ImproperlyConfigured: {message}" in result.stderr


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    result = run_manage(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=GOOD_KEY,
        ALLOWED_HOSTS="lumen.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_the_secret_key_can_come_from_a_file(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(GOOD_KEY + "\n")
    result = run_manage(
        tmp_path,
        "shell",
        "--verbosity=0",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY == " + repr(GOOD_KEY) + ")",
        SECRET_KEY_FILE=str(key_file),
    )
    assert result.stdout.strip() == "True", result.stderr


def test_embedded_defaults_need_no_environment(tmp_path):
    code = (
        "from django.conf import settings as s; from ris.celery import app; "
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'] == s.VAR_DIR / 'lumen.sqlite3', "
        "s.STORAGE_ROOT == s.VAR_DIR / 'storage', s.STORAGE_ROOT.is_dir(), app.conf.task_always_eager)"
    )
    result = run_manage(tmp_path, "shell", "--verbosity=0", "-c", code)
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True", "True", "True", "True"], result.stderr
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # the generated key is private


def test_a_broker_url_turns_off_eager_tasks_and_database_url_selects_postgresql(tmp_path):
    code = (
        "from django.conf import settings as s; from ris.celery import app; "
        "print(app.conf.task_always_eager, app.conf.broker_url, s.DATABASES['default']['ENGINE'], "
        "s.DATABASES['default']['NAME'])"
    )
    result = run_manage(
        tmp_path,
        "shell",
        "--verbosity=0",
        "-c",
        code,
        CELERY_BROKER_URL="redis://127.0.0.1:6379/3",
        DATABASE_URL="postgres://lumen@db.example.org:5432/lumen",
    )
    assert result.stdout.split() == ["False", "redis://127.0.0.1:6379/3", "django.db.backends.postgresql", "lumen"]
