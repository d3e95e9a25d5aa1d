# The e2e fixtures (sandbox over HTTP, real task cluster) come from tests/e2e.py, loaded once as a
# plugin by tests/conftest.py. Importing them here again would define a second session-scoped
# sandbox and task cluster: two clusters then take each other's tasks from the one queue.
from tests.imports.web._web import fresh_cache, upload_dir  # noqa: F401
