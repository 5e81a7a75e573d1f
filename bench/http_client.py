"""The benchmark's HTTP clients: bare keep-alive GETs, one process per client.

Why not ``http.client`` or ``requests``: the server, PostgreSQL, Redis and the clients share
two cores, so a client's own CPU is taken from the server. ``requests`` cost ~0.5 ms of client
CPU a call on these machines, ``http.client`` ~0.7 ms with its header parsing (the email
package); this client 0.1–0.2 ms. Why processes: client threads in one process take turns on
its GIL, so one client's parsing can delay the other's reading of an answer that has already
arrived. (Measured on one server, interleaved, the two clients' medians differed by less than
the noise: docs/performance.md.) A phone's HTTP stack is neither: it runs elsewhere.

Only what the benchmark needs of HTTP/1.1: GET, keep-alive, bodies with a Content-Length
(gunicorn sends one for every response of the API), and "Connection: close" (a worker recycled
by max_requests closes the connection after its last answer; the next request reconnects, and
its latency includes the new connection, as a client's would).
"""

import multiprocessing
import socket
import time
import urllib.parse
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event, Semaphore

HEAD_END = b"\r\n\r\n"


class HttpError(Exception):
    pass


class KeepAliveClient:
    def __init__(self, host: str, port: int) -> None:
        self.address = (host, port)
        self.sock: socket.socket | None = None
        self.buffer = b""

    def get(self, request: bytes) -> tuple[int, bytes]:
        """Send one request (bytes from ``request_bytes``); its status and body."""
        if self.sock is None:
            self.sock = socket.create_connection(self.address, timeout=30)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buffer = b""
        sock = self.sock
        sock.sendall(request)
        head = self._read_until(sock, HEAD_END)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" not in headers:
            raise HttpError(f"no Content-Length in the answer: {status_line}")
        body = self._read_exactly(sock, int(headers["content-length"]))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return int(status_line.split(" ", 2)[1]), body

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _receive(self, sock: socket.socket) -> None:
        chunk = sock.recv(65536)
        if not chunk:
            raise HttpError("the server closed the connection")
        self.buffer += chunk

    def _read_until(self, sock: socket.socket, marker: bytes) -> bytes:
        while marker not in self.buffer:
            self._receive(sock)
        head, self.buffer = self.buffer.split(marker, 1)
        return head

    def _read_exactly(self, sock: socket.socket, length: int) -> bytes:
        while len(self.buffer) < length:
            self._receive(sock)
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return body


def request_bytes(url: str, token: str, params: dict) -> bytes:
    """A GET as an app sends it: bearer token, gzip accepted (the body is read, not inflated:
    inflating is the client's time, not the server's)."""
    parts = urllib.parse.urlsplit(url)
    target = parts.path + ("?" + urllib.parse.urlencode(params) if params else "")
    return (
        f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {token}\r\n"
        "Accept-Encoding: gzip\r\n\r\n"
    ).encode()


@dataclass
class ClientRun:
    latencies_ms: list[float]
    cpu_ms: float  # the client process's own CPU over the run
    failure: str | None = None


def _client_run(
    url: str, request: bytes, count: int, ready: Semaphore, start: Event, results: Queue
) -> None:
    parts = urllib.parse.urlsplit(url)
    client = KeepAliveClient(parts.hostname or "127.0.0.1", parts.port or 80)
    latencies: list[float] = []
    failure = None
    released = False
    cpu_before = time.process_time()
    try:
        # Connected and answered once before the clock starts: the run measures a keep-alive
        # connection's requests, as an app's are once it is open.
        client.get(request)
        ready.release()
        released = True
        if not start.wait(timeout=60):
            raise HttpError("the other clients never got ready")
        cpu_before = time.process_time()
        for _ in range(count):
            started = time.perf_counter()
            status, _ = client.get(request)
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 200:
                failure = f"status {status}"
                break
    except Exception as exc:  # whatever it is, the parent reports it
        failure = f"{type(exc).__name__}: {exc}"
    finally:
        client.close()
        if not released:
            ready.release()
        results.put(ClientRun(latencies, (time.process_time() - cpu_before) * 1000, failure))


def timed_requests(
    url: str, token: str, params: dict, count: int, clients: int = 2
) -> tuple[list[float], float]:
    """``count`` GETs split over ``clients`` concurrent client processes, each on its own
    keep-alive connection: the latency of each request (ms), and the clients' CPU per request
    (ms). Each client also sends one request before timing starts (see _client_run). Raises
    SystemExit when a client fails (a status other than 200, a lost connection)."""
    if count < clients:
        raise ValueError(f"{count} requests cannot be split over {clients} clients")
    request = request_bytes(url, token, params)
    # fork: the clients need nothing but a socket, and start in milliseconds. They start timing
    # together, once all are connected: forking one must not slow the other's first requests.
    context = multiprocessing.get_context("fork")
    ready, start, results = context.Semaphore(0), context.Event(), context.Queue()
    processes = [
        context.Process(
            target=_client_run,
            args=(url, request, count // clients, ready, start, results),
            daemon=True,
        )
        for _ in range(clients)
    ]
    try:
        for process in processes:
            process.start()
        if not all(ready.acquire(timeout=60) for _ in processes):
            raise SystemExit(f"a client never connected to {url}")
        start.set()
        runs = [results.get(timeout=600) for _ in processes]
    finally:
        start.set()
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
    failures = [run.failure for run in runs if run.failure]
    if failures:
        raise SystemExit(f"a client failed on {url}: {failures}")
    latencies = [latency for run in runs for latency in run.latencies_ms]
    return latencies, sum(run.cpu_ms for run in runs) / len(latencies)
