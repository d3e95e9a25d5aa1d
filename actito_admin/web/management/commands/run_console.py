"""Run the whole console in the foreground: web server, task cluster and ACTITO sandbox.

Ctrl-C (or SIGTERM) stops all of them; if one of them dies, the others are stopped too, so a
half-running console never hides a failure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import get_commands
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start the web server, the django-q2 cluster and (when no real key is set) the sandbox."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default=os.environ.get("RUN_ADDR", "127.0.0.1:8000"))
        parser.add_argument("--sandbox-port", type=int, default=8765)
        parser.add_argument(
            "--no-sandbox", action="store_true", help="Do not start the built-in sandbox."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        env = dict(os.environ)
        want_sandbox = (
            not options["no_sandbox"]
            and not settings.ACTITO_API_KEY
            and "actito_sandbox" in get_commands()
        )
        processes: list[tuple[str, list[str]]] = []
        if want_sandbox:
            port = options["sandbox_port"]
            env.setdefault("SANDBOX_URL", f"http://127.0.0.1:{port}")
            processes.append(
                ("sandbox", [*manage, "actito_sandbox", "--host", "127.0.0.1", "--port", str(port)])
            )
        processes.append(("tasks", [*manage, "qcluster"]))
        processes.append(("web", [*manage, "runserver", options["addr"], "--noreload"]))

        children: list[tuple[str, subprocess.Popen]] = []
        for name, command in processes:
            children.append((name, subprocess.Popen(command, env=env)))
            if name == "sandbox":
                time.sleep(1.0)  # let it bind before the web server points at it

        self.stdout.write(
            self.style.SUCCESS(f"Actito Admin is running on http://{options['addr']}/ ")
            + ("(ACTITO sandbox at " + env["SANDBOX_URL"] + ") " if want_sandbox else "")
            + "— press Ctrl-C to stop."
        )

        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        try:
            while not stopping:
                for name, child in children:
                    if child.poll() is not None:
                        self.stderr.write(f"{name} stopped (exit code {child.returncode}).")
                        exit_code = child.returncode or 1
                        stopping = True
                time.sleep(0.3)
        finally:
            for _, child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            for _, child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
        if exit_code:
            sys.exit(exit_code)
