#!/usr/bin/env python3
"""Airlock's MetaTrader 5 bridge: a small authenticated HTTP server beside the MT5 terminal.

Runs on the Windows host with the terminal and MetaQuotes' `MetaTrader5` package (or, with
`--emulator`, on any machine with the bundled terminal emulator, for tests). Speaks the JSON
protocol in PROTOCOL.md; set-up is in README.md. Standard library only.

    python airlock_mt5_bridge.py --listen 127.0.0.1:18900 --login 5000001 --server Broker-Demo
    python airlock_mt5_bridge.py --emulator --listen 127.0.0.1:0
    python airlock_mt5_bridge.py --check http://127.0.0.1:18900
"""

import argparse
import http.client
import ipaddress
import json
import os
import secrets
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import bridge_api as api
import bridge_auth as auth

MAX_BODY = 1 << 20
QUARTER_HOUR_MS = 15 * 60 * 1000
FRESH_TICK_MS = 2 * 60 * 1000


def wall_ms():
    return int(time.time() * 1000)


def log(message, **fields):
    """One JSON line on stderr. Never given a secret, a password or a request body."""
    record = {"at_ms": wall_ms(), "message": message}
    record.update(fields)
    sys.stderr.write(json.dumps(record, sort_keys=True) + "\n")
    sys.stderr.flush()


class ServerClock:
    """How far the trade server's clock runs ahead of UTC.

    MT5 writes the server's wall clock as epoch seconds. The bridge measures the offset from a
    fresh tick (rounded to a quarter hour; a tick more than two minutes off a quarter hour is
    too old to measure with) or takes the operator's fixed `--server-utc-offset-minutes`.
    """

    def __init__(self, fixed_minutes, symbol):
        self.symbol = symbol
        self.fixed = fixed_minutes is not None
        self.offset_ms = (fixed_minutes or 0) * 60_000
        self.source = "configured" if self.fixed else "assumed_zero"

    def measure(self, ctx):
        if self.fixed or not self.symbol:
            return
        ctx.call("symbol_select", self.symbol, True)
        found = ctx.call("symbol_info_tick", self.symbol)
        if found is None or not found.time_msc:
            return
        raw = int(found.time_msc) - wall_ms()
        rounded = round(raw / QUARTER_HOUR_MS) * QUARTER_HOUR_MS
        if abs(raw - rounded) <= FRESH_TICK_MS:
            self.offset_ms = rounded
            self.source = "measured"


class Bridge:
    """Everything a request handler needs: the module, the secret, the lock around MT5."""

    def __init__(self, mt5, secret, emulator, clock, window_ms, state_file=None):
        self.mt5 = mt5
        self.secret = secret
        self.emulator = emulator
        self.clock = clock
        self.nonces = auth.NonceCache(window_ms)
        self.vocabulary = api.Vocabulary(mt5)
        # The MetaTrader5 module is one IPC link to one terminal: one call at a time.
        self.lock = threading.Lock()
        self.state_file = state_file
        self.drop_next = set()
        self.routes = dict(api.ROUTES)
        if emulator:
            import bridge_emulator_control as control
            self.routes.update(control.routes(self))

    def handle(self, path, body):
        """(status, payload) for an authenticated request."""
        route = self.routes.get(path)
        if route is None:
            return 404, {"error": {"code": "unknown_path", "message": "no endpoint " + path}}
        try:
            parsed = json.loads(body.decode("utf-8")) if body else {}
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            return 400, {"error": {"code": "bad_request", "field": "body",
                                   "message": "not JSON: %s" % error}}
        if not isinstance(parsed, dict):
            return 400, {"error": {"code": "bad_request", "field": "body",
                                   "message": "must be a JSON object"}}
        with self.lock:
            ctx = api.Context(self)
            try:
                payload = route(ctx, parsed)
                status = 200
            except api.BadRequest as error:
                status, payload = 400, {"error": {"code": "bad_request", "field": error.field,
                                                  "message": error.message}}
            except api.NotFound as error:
                status, payload = 404, {"error": {"code": "unknown_" + error.what,
                                                  "message": error.message,
                                                  "last_error": error.last_error}}
            except api.Mt5CallFailed as error:
                status, payload = 502, {"error": {"code": "mt5_call_failed", "call": error.call,
                                                  "message": "%s returned None" % error.call,
                                                  "last_error": error.last_error}}
            except Exception as error:  # noqa: BLE001 - one bad request must not kill the bridge
                log("internal error", path=path, error=type(error).__name__,
                    detail=str(error)[:200])
                status, payload = 500, {"error": {"code": "internal",
                                                  "message": "%s: %s" % (type(error).__name__,
                                                                         str(error)[:200])}}
            if self.emulator and self.state_file:
                self.mt5.emulator_save(self.state_file)
        payload["server_time_offset_ms"] = self.clock.offset_ms
        payload["offset_source"] = self.clock.source
        payload["now_ms"] = wall_ms()
        return status, payload


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120
    server_version = "AirlockMT5Bridge/" + api.BRIDGE_VERSION
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass

    def send_signed(self, status, payload, nonce):
        bridge = self.server.bridge
        body = json.dumps(payload, sort_keys=True).encode("utf-8")
        timestamp = wall_ms()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header(auth.TIMESTAMP_HEADER, str(timestamp))
        self.send_header(auth.SIGNATURE_HEADER,
                         auth.sign_response(bridge.secret, status, nonce, timestamp, body))
        self.end_headers()
        self.wfile.write(body)

    def refuse(self, status, code, message, nonce=""):
        self.close_connection = True
        self.send_signed(status, {"error": {"code": code, "message": message}}, nonce)

    def do_POST(self):  # noqa: N802 - http.server's naming
        started = time.monotonic()
        bridge = self.server.bridge
        length_text = self.headers.get("Content-Length")
        if length_text is None or not length_text.isdigit():
            return self.refuse(411, "length_required", "Content-Length is required")
        length = int(length_text)
        if length > MAX_BODY:
            return self.refuse(413, "too_large", "bodies are limited to %d bytes" % MAX_BODY)
        body = self.rfile.read(length)
        path = self.path
        try:
            nonce = auth.verify_request(bridge.secret, bridge.nonces, "POST", path, self.headers,
                                        body, wall_ms())
        except auth.AuthError as error:
            log("refused", path=path, status=401, code=error.code, peer=self.client_address[0])
            return self.refuse(401, error.code, error.message,
                               self.headers.get(auth.NONCE_HEADER, "")[:64])
        status, payload = bridge.handle(path, body)
        log("request", path=path, status=status,
            ms=round((time.monotonic() - started) * 1000, 1))
        if bridge.emulator and path in bridge.drop_next:
            # Emulator only: the call ran, but its answer is lost on the way back.
            bridge.drop_next.discard(path)
            self.close_connection = True
            log("response dropped on purpose (emulator)", path=path)
            return None
        return self.send_signed(status, payload, nonce)

    def not_allowed(self):
        self.refuse(405, "method_not_allowed", "every endpoint takes POST with a JSON body")

    do_GET = do_PUT = do_DELETE = do_PATCH = do_HEAD = not_allowed  # noqa: N815


class BridgeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, bridge, tls_context=None):
        if ":" in address[0]:
            import socket
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)
        self.bridge = bridge
        self.tls_context = tls_context

    def finish_request(self, request, client_address):
        # The TLS handshake runs in the connection's own thread, never in the accept loop.
        if self.tls_context is not None:
            request = self.tls_context.wrap_socket(request, server_side=True)
        self.RequestHandlerClass(request, client_address, self)

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        log("connection error", peer=client_address[0], error=type(error).__name__,
            detail=str(error)[:200])


def is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_listen(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        raise ValueError("--listen must be HOST:PORT, e.g. 127.0.0.1:18900")
    return host.strip("[]"), int(port)


def load_module(arguments):
    """The emulator with --emulator; otherwise MetaQuotes' module, logged in to the account."""
    if arguments.emulator:
        import mt5_emulator as module
        if arguments.emulator_config:
            with open(arguments.emulator_config, encoding="utf-8") as handle:
                module.emulator_reset(json.load(handle))
        if arguments.emulator_state and os.path.exists(arguments.emulator_state):
            module.emulator_load(arguments.emulator_state)
        if not module.initialize():
            raise SystemExit("emulator failed to initialise: %s" % (module.last_error(),))
        return module
    import MetaTrader5 as module  # noqa: N813 - the package's own name
    keywords = {}
    if arguments.login is not None:
        keywords = {"login": arguments.login, "password": read_password(arguments)}
        if arguments.server:
            keywords["server"] = arguments.server
    positional = [arguments.terminal] if arguments.terminal else []
    if not module.initialize(*positional, **keywords):
        code, message = module.last_error()
        raise SystemExit("MetaTrader5.initialize failed: %s %s" % (code, message))
    return module


def read_password(arguments):
    """The MT5 account password: from --password-file or the variable --password-env names.
    It stays on this host and is never sent to the runtime or logged."""
    if arguments.password_file:
        with open(arguments.password_file, encoding="utf-8") as handle:
            return handle.read().strip()
    value = os.environ.get(arguments.password_env)
    if not value:
        raise SystemExit("--login needs the account password in %s or --password-file"
                         % arguments.password_env)
    return value


def build_parser():
    parser = argparse.ArgumentParser(description="Airlock's MetaTrader 5 bridge")
    parser.add_argument("--listen", default="127.0.0.1:18900",
                        help="HOST:PORT (default 127.0.0.1:18900; port 0 picks a free port). "
                             "Any address but loopback requires --tls-cert and --tls-key")
    parser.add_argument("--tls-cert", help="PEM certificate chain for HTTPS")
    parser.add_argument("--tls-key", help="PEM private key for HTTPS")
    parser.add_argument("--secret-env", default="AIRLOCK_MT5_BRIDGE_SECRET",
                        help="variable holding the shared secret (default %(default)s)")
    parser.add_argument("--secret-file", help="file holding the shared secret (owner-only)")
    parser.add_argument("--window-ms", type=int, default=30_000,
                        help="accepted request clock skew and nonce memory (default 30000)")
    parser.add_argument("--server-utc-offset-minutes", type=int,
                        help="the trade server's clock offset, instead of measuring it")
    parser.add_argument("--clock-symbol", default="EURUSD",
                        help="symbol whose ticks measure the server clock (default EURUSD)")
    parser.add_argument("--terminal", help="path to terminal64.exe (default: the running one)")
    parser.add_argument("--login", type=int, help="MT5 account number to log in to")
    parser.add_argument("--server", help="MT5 trade server name, e.g. Broker-Demo")
    parser.add_argument("--password-env", default="AIRLOCK_MT5_PASSWORD",
                        help="variable holding the account password (default %(default)s)")
    parser.add_argument("--password-file", help="file holding the account password")
    parser.add_argument("--emulator", action="store_true",
                        help="use the bundled terminal emulator instead of MetaTrader5 (tests)")
    parser.add_argument("--emulator-config", help="JSON file: the emulated account and symbols")
    parser.add_argument("--emulator-state", help="file the emulator keeps its state in, so a "
                        "restarted bridge sees the same orders and deals")
    parser.add_argument("--check", metavar="URL",
                        help="do not serve: call URL/v1/health with the shared secret and print "
                             "the answer (exit 0 when healthy)")
    parser.add_argument("--call", nargs=2, metavar=("URL", "PATH"),
                        help="do not serve: POST --body (default {}) to URL+PATH with the shared "
                             "secret and print the verified answer (exit 0 on HTTP 200)")
    parser.add_argument("--body", default="{}", help="with --call: the JSON body")
    parser.add_argument("--ca-file", help="with --check or --call: CA certificate to trust")
    return parser


def call(url, path, body, secret, ca_file):
    """Signs one request to a running bridge; returns (status, answer) after verifying the
    answer's signature, or (None, message) when it does not verify."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        context = ssl.create_default_context(cafile=ca_file)
        connection = http.client.HTTPSConnection(parts.hostname, parts.port or 443,
                                                 context=context, timeout=10)
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=10)
    nonce = secrets.token_hex(16)
    headers = auth.request_headers(secret, "POST", path, wall_ms(), nonce, body)
    headers["Content-Type"] = "application/json"
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    answer = response.read()
    signature = response.getheader(auth.SIGNATURE_HEADER, "")
    timestamp = response.getheader(auth.TIMESTAMP_HEADER, "")
    expected = auth.sign_response(secret, response.status, nonce, timestamp, answer)
    if signature != expected:
        return None, ("the answer is not signed with this secret: not an Airlock bridge, or a "
                      "different secret")
    return response.status, json.loads(answer)


def check(url, secret, ca_file):
    """Health of a running bridge: exit 0 when it answers, signed, with a connected terminal."""
    status, answer = call(url, "/v1/health", b"{}", secret, ca_file)
    if status is None:
        print(answer)
        return 1
    print(json.dumps(answer, indent=2, sort_keys=True))
    return 0 if status == 200 and (answer.get("terminal") or {}).get("connected") else 1


def main(argv=None):
    arguments = build_parser().parse_args(argv)
    try:
        secret = auth.load_secret(os.environ, arguments.secret_env, arguments.secret_file)
    except (auth.SecretError, OSError) as error:
        print("airlock-mt5-bridge: %s" % error, file=sys.stderr)
        return 2
    if arguments.check:
        return check(arguments.check, secret, arguments.ca_file)
    if arguments.call:
        url, path = arguments.call
        status, answer = call(url, path, arguments.body.encode("utf-8"), secret,
                              arguments.ca_file)
        if status is None:
            print(answer, file=sys.stderr)
            return 1
        print(json.dumps(answer, sort_keys=True))
        return 0 if status == 200 else 1
    try:
        host, port = parse_listen(arguments.listen)
    except ValueError as error:
        print("airlock-mt5-bridge: %s" % error, file=sys.stderr)
        return 2
    tls = bool(arguments.tls_cert or arguments.tls_key)
    if tls and not (arguments.tls_cert and arguments.tls_key):
        print("airlock-mt5-bridge: --tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    if not is_loopback(host) and not tls:
        print("airlock-mt5-bridge: refusing to listen on %s without TLS: any address but "
              "loopback needs --tls-cert and --tls-key" % host, file=sys.stderr)
        return 2
    module = load_module(arguments)
    clock = ServerClock(arguments.server_utc_offset_minutes, arguments.clock_symbol)
    bridge = Bridge(module, secret, arguments.emulator, clock, arguments.window_ms,
                    arguments.emulator_state)
    with bridge.lock:
        clock.measure(api.Context(bridge))
    context = None
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(arguments.tls_cert, arguments.tls_key)
    server = BridgeServer((host, port), bridge, context)
    bound_host, bound_port = server.server_address[:2]
    scheme = "https" if tls else "http"
    shown_host = "[%s]" % bound_host if ":" in bound_host else bound_host
    url = "%s://%s:%d" % (scheme, shown_host, bound_port)
    # The first line on stdout says where the bridge listens (tests bind port 0 and read it).
    print(json.dumps({"event": "listening", "url": url, "emulator": arguments.emulator,
                      "module": module.__name__}), flush=True)
    log("listening", url=url, emulator=arguments.emulator,
        server_time_offset_ms=clock.offset_ms, offset_source=clock.source)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if not arguments.emulator:
            module.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
