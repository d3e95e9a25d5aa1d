"""The ACTITO sandbox: a faithful ACTITO simulator for demos, training and tests.

* `app.SandboxApp(config)` – the WSGI application (own in-memory state, thread-safe).
* `server.start_server(host, port, config)` – threaded HTTP server → `RunningSandbox`.
* `manage.py actito_sandbox` – serve it until Ctrl-C / SIGTERM.
* `/_sandbox/stats|faults|reset|config` – control endpoints (no auth), see `app.py`.
"""
