"""A client for Theater's management protocol (docs/protocol.md).

Standard library only, so that the tests and anyone with python3 can talk
to a server. A frame is a 4-byte big-endian length and that many bytes of
JSON; this module reads and writes them, matches responses to requests by
id, and keeps the frames the server pushes (events, channel traffic) aside
until asked for them.

    conn = Connection("127.0.0.1:9000")        # or a unix socket path
    actor = conn.call("StartActor", manifest="/path/counter.toml")["actor"]
    conn.call("RequestActorMessage", actor=actor, message={"op": "inc"})
"""

import collections
import itertools
import json
import socket
import struct
import time

DEFAULT_TIMEOUT = 30.0

PUSHED_TYPES = ("event", "subscription-ended", "channel-message", "channel-closed")


class ProtocolError(Exception):
    """The server broke the protocol: a bad frame, or the wrong answer."""


class ServerError(Exception):
    """A response with "ok": false; `code` is the protocol's error code."""

    def __init__(self, code, message, response):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message
        self.response = response


def encode_frame(payload):
    """A frame holding `payload` (bytes) exactly, whatever it is."""
    return struct.pack(">I", len(payload)) + payload


def encode_json(obj):
    """A frame holding `obj` as compact JSON."""
    return encode_frame(json.dumps(obj, separators=(",", ":")).encode())


def connect_socket(address, timeout=DEFAULT_TIMEOUT):
    """A connected socket: "HOST:PORT" is TCP, anything with a '/' a unix socket."""
    if "/" in address:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(address)
        except OSError:
            sock.close()
            raise
        return sock
    host, _, port = address.rpartition(":")
    sock = socket.create_connection((host, int(port)), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def wait_until_listening(address, deadline_s=60.0):
    """Waits for a server to accept connections; False when it never does."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            connect_socket(address, timeout=1.0).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class Connection:
    """One connection to a server. Not thread-safe: one thread per connection."""

    def __init__(self, address, timeout=DEFAULT_TIMEOUT):
        self.address = address
        self.timeout = timeout
        self.sock = connect_socket(address, timeout)
        self._inbox = bytearray()
        self._ids = itertools.count(1)
        self.pushed = collections.deque()  # pushed frames not yet taken
        self.early = {}  # responses read while waiting for another id

    # ---- raw frames --------------------------------------------------------

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, obj):
        self.sock.sendall(encode_json(obj))

    def _fill(self, n, deadline):
        """Reads until the inbox holds n bytes; False on EOF."""
        while len(self._inbox) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no complete frame within the timeout")
            self.sock.settimeout(left)
            chunk = self.sock.recv(max(65536, n - len(self._inbox)))
            if not chunk:
                return False
            self._inbox += chunk
        return True

    def recv_frame(self, timeout=None):
        """The next frame, decoded; None when the server closed the connection."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        if not self._fill(4, deadline):
            if self._inbox:
                raise ProtocolError("the connection closed inside a frame header")
            return None
        (length,) = struct.unpack(">I", self._inbox[:4])
        if length == 0:
            raise ProtocolError("the server sent a frame of length 0")
        if not self._fill(4 + length, deadline):
            raise ProtocolError("the connection closed inside a frame")
        payload = bytes(self._inbox[4 : 4 + length])
        del self._inbox[: 4 + length]
        try:
            frame = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ProtocolError("the server sent a frame that is not JSON: %s" % e)
        if not isinstance(frame, dict) or "type" not in frame:
            raise ProtocolError("the server sent a frame without a type: %r" % (frame,))
        return frame

    def at_eof(self, timeout=5.0):
        """True when the server closes the connection (frames before are skipped)."""
        try:
            while True:
                frame = self.recv_frame(timeout)
                if frame is None:
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    # ---- responses ---------------------------------------------------------

    def next_id(self):
        return next(self._ids)

    def response(self, rid, timeout=None):
        """The response to request `rid`; pushed frames are kept in self.pushed."""
        if rid in self.early:
            return self.early.pop(rid)
        while True:
            frame = self.recv_frame(timeout)
            if frame is None:
                raise ProtocolError("the server closed the connection before answering %r" % rid)
            if frame["type"] in PUSHED_TYPES:
                self.pushed.append(frame)
            elif frame["type"] != "response":
                raise ProtocolError("unknown frame type %r" % frame["type"])
            elif frame.get("id") == rid:
                return frame
            else:
                self.early[frame.get("id")] = frame

    def next_response(self, timeout=None):
        """The next response frame, whatever its id (for pipelining tests)."""
        while True:
            frame = self.recv_frame(timeout)
            if frame is None:
                raise ProtocolError("the server closed the connection")
            if frame["type"] == "response":
                return frame
            self.pushed.append(frame)

    def request(self, command, wait_s=None, **fields):
        """Sends a request and returns the whole response object."""
        rid = self.next_id()
        req = {"id": rid, "command": command}
        req.update(fields)
        self.send(req)
        return self.response(rid, wait_s)

    def call(self, command, wait_s=None, **fields):
        """The result of a request that must succeed; ServerError otherwise."""
        resp = self.request(command, wait_s, **fields)
        if not resp.get("ok"):
            err = resp.get("error") or {}
            raise ServerError(err.get("code"), err.get("message"), resp)
        return resp["result"]

    # ---- pushed frames -----------------------------------------------------

    def wait_pushed(self, predicate, timeout=10.0):
        """The first pushed frame (kept or arriving) that satisfies predicate, removed."""
        deadline = time.monotonic() + timeout
        while True:
            for i, frame in enumerate(self.pushed):
                if predicate(frame):
                    del self.pushed[i]
                    return frame
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                frame = self.recv_frame(left)
            except socket.timeout:
                return None
            if frame is None:
                return None
            if frame["type"] == "response":
                self.early[frame.get("id")] = frame
            else:
                self.pushed.append(frame)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def manifest_text(binary_dir, source_dir, example, toml_name="manifest.toml", extra=""):
    """An example's manifest with its package pointing at this build's wasm.

    `extra` is TOML appended at the top level (before the first table), e.g.
    a [limits] override is given as "limits = { fuel = 5 }"."""
    path = "%s/examples/%s/%s" % (source_dir, example, toml_name)
    with open(path) as f:
        lines = f.read().splitlines()
    out = []
    for line in lines:
        if line.startswith("package = "):
            wasm = line.split('"')[1].rsplit("/", 1)[-1]
            line = 'package = "%s/examples/%s"' % (binary_dir, wasm)
            if extra:
                line += "\n" + extra
        out.append(line)
    return "\n".join(out) + "\n"
