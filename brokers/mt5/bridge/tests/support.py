"""Shared helpers: the bridge directory on sys.path, a bridge subprocess, a signing client."""

import http.client
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.parse

BRIDGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if BRIDGE_DIR not in sys.path:
    sys.path.insert(0, BRIDGE_DIR)

import bridge_auth as auth  # noqa: E402

SECRET = "test-shared-secret-" + "0123456789abcdef" * 2


def worked_example():
    """The key: value lines of PROTOCOL.md's worked-example block."""
    with open(os.path.join(BRIDGE_DIR, "PROTOCOL.md"), encoding="utf-8") as handle:
        text = handle.read()
    block = text.split("```worked-example\n", 1)[1].split("```", 1)[0]
    pairs = {}
    for line in block.strip().splitlines():
        key, _, value = line.partition(": ")
        pairs[key] = value
    return pairs


class BridgeProcess:
    """The real bridge program on a free loopback port, killed by stop()."""

    def __init__(self, *arguments, secret=SECRET, state_file=None, config=None, env=None):
        self.directory = tempfile.mkdtemp(prefix="airlock-mt5-test-")
        command = [sys.executable, os.path.join(BRIDGE_DIR, "airlock_mt5_bridge.py")]
        command += list(arguments)
        if config is not None:
            path = os.path.join(self.directory, "emulator.json")
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(config, handle)
            command += ["--emulator-config", path]
        if state_file is not None:
            command += ["--emulator-state", state_file]
        environment = dict(os.environ)
        environment.pop("AIRLOCK_MT5_BRIDGE_SECRET", None)
        if secret is not None:
            environment["AIRLOCK_MT5_BRIDGE_SECRET"] = secret
        environment.update(env or {})
        self.stderr_path = os.path.join(self.directory, "stderr.log")
        self.stderr = open(self.stderr_path, "wb")
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self.stderr,
                                        env=environment)
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=10)
            self.stderr.close()
            with open(self.stderr_path, encoding="utf-8") as handle:
                raise RuntimeError("bridge did not start: " + handle.read())
        self.url = json.loads(line)["url"]

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self.process.stdout.close()
        self.stderr.close()

    def log(self):
        with open(self.stderr_path, encoding="utf-8") as handle:
            return handle.read()


def run_bridge(*arguments, env=None, secret=SECRET, timeout=20):
    """Runs the bridge to completion (for start-up refusals): (exit code, stderr)."""
    environment = dict(os.environ)
    environment.pop("AIRLOCK_MT5_BRIDGE_SECRET", None)
    if secret is not None:
        environment["AIRLOCK_MT5_BRIDGE_SECRET"] = secret
    environment.update(env or {})
    done = subprocess.run([sys.executable, os.path.join(BRIDGE_DIR, "airlock_mt5_bridge.py")]
                          + list(arguments), capture_output=True, env=environment,
                          timeout=timeout)
    return done.returncode, done.stderr.decode("utf-8", "replace")


class Answer:
    def __init__(self, status, body, verified):
        self.status = status
        self.raw = body
        self.json = json.loads(body) if body else None
        self.verified = verified

    def __repr__(self):
        return "Answer(%s, %s, verified=%s)" % (self.status, self.raw[:300], self.verified)


class Client:
    """Signs requests the way the runtime does and verifies the signed answers."""

    def __init__(self, url, secret=SECRET, context=None):
        self.parts = urllib.parse.urlsplit(url)
        self.secret = secret.encode("utf-8")
        self.context = context

    def connection(self):
        if self.parts.scheme == "https":
            return http.client.HTTPSConnection(self.parts.hostname, self.parts.port,
                                               context=self.context, timeout=20)
        return http.client.HTTPConnection(self.parts.hostname, self.parts.port, timeout=20)

    def call(self, path, body=None, *, method="POST", timestamp=None, nonce=None,
             sign_with=None, headers=None):
        payload = json.dumps(body if body is not None else {}).encode("utf-8")
        timestamp = int(time.time() * 1000) if timestamp is None else timestamp
        nonce = nonce or secrets.token_hex(16)
        key = self.secret if sign_with is None else sign_with.encode("utf-8")
        sent = auth.request_headers(key, method, path, timestamp, nonce, payload)
        sent["Content-Type"] = "application/json"
        if headers is not None:
            sent = headers
        connection = self.connection()
        try:
            connection.request(method, path, body=payload, headers=sent)
            response = connection.getresponse()
            answer = response.read()
        finally:
            connection.close()
        expected = auth.sign_response(self.secret, response.status, nonce,
                                      response.getheader(auth.TIMESTAMP_HEADER, ""), answer)
        verified = response.getheader(auth.SIGNATURE_HEADER) == expected
        return Answer(response.status, answer, verified)

    def ok(self, path, body=None):
        answer = self.call(path, body)
        if answer.status != 200 or not answer.verified:
            raise AssertionError("%s: %r" % (path, answer))
        return answer.json
