"""Starting moto's S3 API server for the tests: one way, for the shared fixture and a test that needs a second one."""

import os
import socket
import subprocess
import time
import urllib.request


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_moto_server(extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """Starts moto's S3 API server on a free port of 127.0.0.1 and waits until it answers.

    Returns the process and its endpoint."""
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        ["moto_server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, **(extra_env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
            break
        except OSError:
            if time.time() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError(f"moto_server did not start at {endpoint}") from None
            time.sleep(0.1)
    return process, endpoint
