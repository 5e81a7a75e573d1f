#!/usr/bin/env python
"""Run a command beside a local moto_server (S3 and SQS), then stop the server.

    python scripts/with_moto.py [--port N] -- COMMAND...

Exports AWS_ENDPOINT_URL and test credentials to the command, unless AWS_ENDPOINT_URL is
already set (then the command runs against that server and nothing is started). Without
--port a free loopback port is used. The command's exit status is returned.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

READY_TIMEOUT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_ready(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"moto_server exited with status {server.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url + "/moto-api/", timeout=1):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    server.terminate()
    sys.exit(f"moto_server did not answer at {url} within {READY_TIMEOUT_SECONDS} s")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")

    env = dict(os.environ)
    if env.get("AWS_ENDPOINT_URL"):
        return subprocess.call(command, env=env)

    port = args.port or free_port()
    url = f"http://127.0.0.1:{port}"
    moto = shutil.which("moto_server", path=os.path.dirname(sys.executable)) or "moto_server"
    server = subprocess.Popen(
        [moto, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until_ready(url, server)
        print(f"moto_server (S3, SQS) at {url}", flush=True)
        env.update(
            AWS_ENDPOINT_URL=url,
            AWS_ACCESS_KEY_ID=env.get("AWS_ACCESS_KEY_ID") or "testing",
            AWS_SECRET_ACCESS_KEY=env.get("AWS_SECRET_ACCESS_KEY") or "testing",
            AWS_REGION=env.get("AWS_REGION") or "us-east-1",
        )
        child = subprocess.Popen(command, env=env)
        # Ctrl-C reaches the child through the terminal; wait for it to finish its own shutdown.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: child.terminate())
        return child.wait()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(main())
