"""Loaded by pytest before Django (see `-p tests._env` in pyproject): test-only environment."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("DEBUG", "false")
