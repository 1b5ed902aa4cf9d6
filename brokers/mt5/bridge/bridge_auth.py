"""Authentication of the bridge link, and the order tag (see PROTOCOL.md, "Authentication" and
"Order tags"). Standard library only.

Every request carries a timestamp, a nonce and an HMAC-SHA256 over method, path, timestamp,
nonce and the body's SHA-256, keyed by the shared secret (which never crosses the wire). Every
response carries an HMAC over its status, the request's nonce, its own timestamp and its body's
SHA-256, so the runtime can tell the bridge from anything else listening at that address.
"""

import base64
import hashlib
import hmac
import os
import re
import stat
import threading

SCHEME = "AIRLOCK-MT5-1"
RESPONSE_SCHEME = "AIRLOCK-MT5-1-RESPONSE"
TIMESTAMP_HEADER = "X-Airlock-Timestamp"
NONCE_HEADER = "X-Airlock-Nonce"
SIGNATURE_HEADER = "X-Airlock-Signature"
NONCE_PATTERN = re.compile(r"^[0-9a-f]{32,64}$")
MIN_SECRET_LENGTH = 32
TAG_PREFIX = "al1-"
TAG_LENGTH = 28


class AuthError(Exception):
    """A request that fails authentication; `code` goes into the 401 body."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class SecretError(Exception):
    """The shared secret could not be loaded."""


def body_digest(body):
    return hashlib.sha256(body).hexdigest()


def request_canonical(method, path, timestamp, nonce, body):
    return "\n".join([SCHEME, method.upper(), path, str(timestamp), nonce, body_digest(body)])


def response_canonical(status, nonce, timestamp, body):
    return "\n".join([RESPONSE_SCHEME, str(int(status)), nonce, str(timestamp),
                      body_digest(body)])


def sign(secret, canonical):
    return hmac.new(secret, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def sign_request(secret, method, path, timestamp, nonce, body):
    return sign(secret, request_canonical(method, path, timestamp, nonce, body))


def sign_response(secret, status, nonce, timestamp, body):
    return sign(secret, response_canonical(status, nonce, timestamp, body))


def request_headers(secret, method, path, timestamp, nonce, body):
    """The three headers a client sends (used by `--check` and by the tests)."""
    return {
        TIMESTAMP_HEADER: str(timestamp),
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: sign_request(secret, method, path, timestamp, nonce, body),
    }


class NonceCache:
    """Nonces seen within the freshness window; a nonce is refused while it is remembered."""

    def __init__(self, window_ms, capacity=200_000):
        self.window_ms = window_ms
        self.capacity = capacity
        self.seen = {}
        self.lock = threading.Lock()

    def admit(self, nonce, now_ms):
        with self.lock:
            if len(self.seen) >= self.capacity // 2:
                horizon = now_ms - 2 * self.window_ms
                self.seen = {key: at for key, at in self.seen.items() if at >= horizon}
            if nonce in self.seen:
                raise AuthError("replayed_nonce", "this nonce was already used")
            if len(self.seen) >= self.capacity:
                raise AuthError("too_many_requests", "nonce cache full; slow down")
            self.seen[nonce] = now_ms


def verify_request(secret, nonces, method, path, headers, body, now_ms):
    """Checks a request's headers; returns its nonce or raises AuthError."""
    timestamp_text = headers.get(TIMESTAMP_HEADER)
    nonce = headers.get(NONCE_HEADER)
    signature = headers.get(SIGNATURE_HEADER)
    if timestamp_text is None or nonce is None or signature is None:
        raise AuthError("missing_auth", "%s, %s and %s are required" % (
            TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER))
    if not timestamp_text.isdigit() or len(timestamp_text) > 16:
        raise AuthError("bad_timestamp", TIMESTAMP_HEADER + " must be epoch milliseconds")
    if not NONCE_PATTERN.match(nonce):
        raise AuthError("bad_nonce", NONCE_HEADER + " must be 32 to 64 lowercase hex digits")
    expected = sign_request(secret, method, path, int(timestamp_text), nonce, body)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise AuthError("bad_signature", "signature does not match (wrong shared secret?)")
    if abs(now_ms - int(timestamp_text)) > nonces.window_ms:
        raise AuthError("stale_timestamp", "timestamp is outside the %d ms window (clock skew?)"
                        % nonces.window_ms)
    nonces.admit(nonce, now_ms)
    return nonce


def order_tag(client_order_id):
    """The MT5 comment that stands for our client order id: `al1-` and the first 24 characters
    of the lowercase, unpadded base32 of the id's SHA-256 (28 characters, within MT5's 31)."""
    digest = hashlib.sha256(client_order_id.encode("utf-8")).digest()
    encoded = base64.b32encode(digest).decode("ascii").rstrip("=").lower()
    return TAG_PREFIX + encoded[:TAG_LENGTH - len(TAG_PREFIX)]


def load_secret(environ, variable, path):
    """The shared secret, from the file at `path` (which only its owner may read) or from the
    environment variable `variable`. Never from the command line."""
    if path is not None:
        if os.name != "nt":
            mode = os.stat(path).st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise SecretError("%s is readable by others (mode %o); chmod 600 it"
                                  % (path, stat.S_IMODE(mode)))
        with open(path, "rb") as handle:
            secret = handle.read().strip()
        source = path
    else:
        value = environ.get(variable)
        if value is None:
            raise SecretError("%s is not set and no --secret-file was given" % variable)
        secret = value.strip().encode("utf-8")
        source = variable
    if len(secret) < MIN_SECRET_LENGTH:
        raise SecretError("the shared secret in %s is shorter than %d characters"
                          % (source, MIN_SECRET_LENGTH))
    return secret
