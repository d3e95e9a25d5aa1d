"""Serve the sandbox over real HTTP from a background thread (threaded wsgiref server)."""

from __future__ import annotations

import socketserver
import sys
import threading
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .app import SandboxApp
from .config import SandboxConfig


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    # One thread per request, so concurrency limits and hanging requests behave as on ACTITO;
    # daemon threads never keep the process alive on exit.
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class _QuietHandler(WSGIRequestHandler):
    verbose = False

    def log_message(self, format: str, *args: Any) -> None:
        if self.verbose:
            sys.stderr.write(f"sandbox: {self.address_string()} {format % args}\n")


class _VerboseHandler(_QuietHandler):
    verbose = True


@dataclass
class RunningSandbox:
    url: str
    app: SandboxApp
    server: WSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        self.app.wake()  # hanging requests answer at once instead of holding shutdown
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        self.app.close()

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server(
    host: str = "127.0.0.1",
    port: int = 0,
    config: SandboxConfig | None = None,
    *,
    verbose: bool = False,
) -> RunningSandbox:
    """Start the sandbox on host:port (0 = a free port) and return once it accepts requests."""
    app = SandboxApp(config or SandboxConfig(), verbose=verbose)
    server = make_server(
        host,
        port,
        app,
        server_class=_ThreadingWSGIServer,
        handler_class=_VerboseHandler if verbose else _QuietHandler,
    )
    bound_host, bound_port = server.server_address[:2]
    if isinstance(bound_host, bytes):  # typeshed allows bytes; an AF_INET server gives str
        bound_host = bound_host.decode()
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},
        name=f"actito-sandbox-{bound_port}",
        daemon=True,
    )
    thread.start()
    return RunningSandbox(
        url=f"http://{bound_host}:{bound_port}", app=app, server=server, thread=thread
    )
