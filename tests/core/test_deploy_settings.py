"""Production settings: `check --deploy` is clean and nothing insecure is a default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "k" * 20 + "9fQ2xLm7Rt4vBn8Zp1Wc6Yh3Ds5Gj0Ka",
    "ALLOWED_HOSTS": "console.example.com",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "BEHIND_TLS_PROXY": "true",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # Strip what the test run itself sets (browser tests allow async-unsafe ORM calls).
    drop = {*PRODUCTION_ENV, "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "REDIS_URL"}
    clean = {k: v for k, v in os.environ.items() if k not in drop}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_no_warnings_with_production_variables(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**PRODUCTION_ENV, "DATA_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, f"check --deploy complained:\n{result.stdout}\n{result.stderr}"


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {**PRODUCTION_ENV, "SECRET_KEY": "", "DATA_DIR": str(tmp_path)}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
