"""The end-to-end fixtures come from tests/e2e.py (a plugin loaded by tests/conftest.py)."""
