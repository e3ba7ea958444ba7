"""A real TCP service on loopback whose faults can be turned on while it runs.

For chapter 5's scenario, its tests and its lab: a backend that starts refusing connections
and stalling, then recovers. It listens on 127.0.0.1 at a port the kernel picks, speaks a
line protocol -- ``PING`` answers ``PONG``, ``ECHO x`` answers ``x``, anything else ``ERR`` --
and sends nothing anywhere else. Use it as a context manager; every loop in it ends when the
service stops, and every wait in it has a timeout. ``accepted`` counts the connections it has
accepted and ``requests`` the request lines it has read: the service's side of the story, which
a client cannot misreport.

Faults (set them as attributes, at any time):

- ``refuse``: True closes the listening socket, so new connections are refused by the kernel
  (ECONNREFUSED); False listens again on the same port. Open connections carry on.
- ``stall_ms``: wait this long before each reply.
- ``drop_fraction``: this share of requests get no reply: the connection is closed mid-request.
- ``fail_fraction``: this share of requests are answered ``ERR``.
"""

import random
import socket
import threading
import time

IDLE_TIMEOUT = 30.0  # a connection with no request for this long is closed


class ChaosService:
    def __init__(self, *, seed=0):
        self.stall_ms = 0
        self.drop_fraction = 0.0
        self.fail_fraction = 0.0
        self._refuse = False
        self._random = random.Random(seed)
        self._random_lock = threading.Lock()
        self._stop = threading.Event()
        self._applied = threading.Event()  # the accept loop has applied refuse
        self._listener = self._listen(0)
        self.address = self._listener.getsockname()
        self._threads = []
        self._connections = set()
        self._lock = threading.Lock()
        self.accepted = 0
        self.requests = 0

    def _listen(self, port):
        listener = socket.create_server(("127.0.0.1", port))
        listener.settimeout(0.02)  # so the accept loop sees stop() and refuse promptly
        return listener

    @property
    def refuse(self):
        return self._refuse

    @refuse.setter
    def refuse(self, value):
        # The accept loop opens and closes the listener itself: a socket closed while
        # another thread is blocked in its accept() lingers until that call returns.
        self._refuse = bool(value)
        if self._threads:
            self._applied.clear()
            self._applied.wait(timeout=5)
        else:
            self._apply_refuse()

    def _apply_refuse(self):
        with self._lock:
            if self._refuse and self._listener is not None:
                self._listener.close()
                self._listener = None
            elif not self._refuse and self._listener is None:
                self._listener = self._listen(self.address[1])

    def __enter__(self):
        self._spawn(self._accept_loop)
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self._stop.set()
        for t in self._threads[:1]:
            t.join(timeout=5)  # the accept loop: then nothing else is accepted
        with self._lock:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            for conn in list(self._connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)  # wakes its reader thread at once
                except OSError:
                    pass
        for t in self._threads:
            t.join(timeout=5)

    def _spawn(self, target, *args):
        self._threads = [t for t in self._threads if t.is_alive()]  # forget finished ones
        t = threading.Thread(target=target, args=args, daemon=True, name="chaos-service")
        self._threads.append(t)
        t.start()

    def _chance(self, fraction):
        with self._random_lock:
            return fraction > 0 and self._random.random() < fraction

    def _accept_loop(self):
        while not self._stop.is_set():
            self._apply_refuse()
            self._applied.set()
            with self._lock:
                listener = self._listener
            if listener is None:
                self._stop.wait(0.02)  # refusing: nothing to accept
                continue
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue  # timed out, or closed by refuse/stop
            conn.settimeout(IDLE_TIMEOUT)
            with self._lock:
                self._connections.add(conn)
                self.accepted += 1
            self._spawn(self._serve, conn)

    def _serve(self, conn):
        try:
            reader = conn.makefile("rb")
            while not self._stop.is_set():
                line = reader.readline(65536)
                if not line:
                    return  # the client closed
                with self._lock:
                    self.requests += 1
                if self.stall_ms:
                    self._stop.wait(self.stall_ms / 1000)
                if self._chance(self.drop_fraction):
                    return  # closed mid-request, no reply
                conn.sendall(self._reply(line.strip()))
        except OSError:
            pass  # reset by the client, idle timeout, or stopped
        finally:
            with self._lock:
                self._connections.discard(conn)
            conn.close()

    def _reply(self, request):
        if self._chance(self.fail_fraction):
            return b"ERR injected failure\n"
        if request == b"PING":
            return b"PONG\n"
        if request.startswith(b"ECHO "):
            return request[5:] + b"\n"
        return b"ERR unknown request\n"


class Connection:
    """A client connection to the service: the resource a ResourcePool manages."""

    def __init__(self, address, timeout=1.0):
        self.sock = socket.create_connection(address, timeout=timeout)
        self._reader = self.sock.makefile("rb")

    def request(self, line):
        """Send one request line, return the reply line; OSError on ERR, EOF or timeout."""
        self.sock.sendall(line.encode() + b"\n")
        reply = self._reader.readline(65536)
        if not reply:
            raise ConnectionError("the service closed the connection mid-request")
        if reply.startswith(b"ERR"):
            raise OSError(f"the service answered {reply.strip().decode()!r}")
        return reply.rstrip(b"\n").decode()

    def ping(self):
        return self.request("PING") == "PONG"

    def close(self):
        self._reader.close()
        self.sock.close()


def wait_until(predicate, timeout, interval=0.01):
    """Poll predicate until it is true or timeout seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while not (ok := predicate()) and time.monotonic() < deadline:
        time.sleep(interval)
    return ok
