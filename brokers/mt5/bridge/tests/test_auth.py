"""The HMAC recipe, the nonce cache, the order tag and the secret loader."""

import os
import tempfile
import unittest

import support  # noqa: F401 - puts the bridge on sys.path
import bridge_auth as auth


class WorkedExample(unittest.TestCase):
    """PROTOCOL.md's worked example, computed by the bridge's own code."""

    def test_request_and_response_signatures_match_the_protocol_document(self):
        example = support.worked_example()
        secret = example["secret"].encode("utf-8")
        body = example["body"].encode("utf-8")
        self.assertEqual(auth.body_digest(body), example["body_sha256"])
        signature = auth.sign_request(secret, example["method"], example["path"],
                                      int(example["timestamp"]), example["nonce"], body)
        self.assertEqual(signature, example["request_signature"])
        response_body = example["response_body"].encode("utf-8")
        self.assertEqual(auth.body_digest(response_body), example["response_body_sha256"])
        self.assertEqual(
            auth.sign_response(secret, int(example["response_status"]), example["nonce"],
                               example["response_timestamp"], response_body),
            example["response_signature"])

    def test_tag_matches_the_protocol_document_and_fits_a_comment(self):
        example = support.worked_example()
        tag = auth.order_tag(example["client_order_id"])
        self.assertEqual(tag, example["tag"])
        self.assertEqual(len(tag), 28)
        self.assertLessEqual(len(tag), 31)
        self.assertNotEqual(auth.order_tag(example["client_order_id"] + "x"), tag)


class Verification(unittest.TestCase):
    SECRET = b"k" * 40

    def headers(self, timestamp=1_000_000, nonce="ab" * 16, body=b"{}", secret=None):
        return auth.request_headers(secret or self.SECRET, "POST", "/v1/account", timestamp,
                                    nonce, body)

    def verify(self, headers, body=b"{}", now=1_000_000, cache=None):
        cache = cache or auth.NonceCache(30_000)
        return auth.verify_request(self.SECRET, cache, "POST", "/v1/account", headers, body, now)

    def refusal(self, *arguments, **keywords):
        with self.assertRaises(auth.AuthError) as raised:
            self.verify(*arguments, **keywords)
        return raised.exception.code

    def test_a_good_request_passes_once_and_its_replay_is_refused(self):
        cache = auth.NonceCache(30_000)
        self.assertEqual(self.verify(self.headers(), cache=cache), "ab" * 16)
        self.assertEqual(self.refusal(self.headers(), cache=cache), "replayed_nonce")

    def test_wrong_secret_changed_body_stale_and_malformed_requests_are_refused(self):
        self.assertEqual(self.refusal(self.headers(secret=b"x" * 40)), "bad_signature")
        self.assertEqual(self.refusal(self.headers(), body=b"{\"a\":1}"), "bad_signature")
        self.assertEqual(self.refusal(self.headers(), now=1_000_000 + 30_001), "stale_timestamp")
        self.assertEqual(self.refusal(self.headers(), now=1_000_000 - 30_001), "stale_timestamp")
        self.assertEqual(self.refusal(self.headers(nonce="short")), "bad_nonce")
        self.assertEqual(self.refusal({}), "missing_auth")
        headers = self.headers()
        headers[auth.TIMESTAMP_HEADER] = "12e5"
        self.assertEqual(self.refusal(headers), "bad_timestamp")

    def test_the_signature_covers_the_path_and_method(self):
        headers = auth.request_headers(self.SECRET, "POST", "/v1/orders", 1_000_000, "cd" * 16,
                                       b"{}")
        self.assertEqual(self.refusal(headers), "bad_signature")


class SecretLoading(unittest.TestCase):
    def test_secret_from_a_private_file_or_the_variable(self):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "secret")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write("s" * 40 + "\n")
            os.chmod(path, 0o600)
            self.assertEqual(auth.load_secret({}, "V", path), b"s" * 40)
            os.chmod(path, 0o640)
            if os.name != "nt":
                with self.assertRaises(auth.SecretError) as raised:
                    auth.load_secret({}, "V", path)
                self.assertIn("chmod 600", str(raised.exception))
                self.assertNotIn("s" * 40, str(raised.exception))
        self.assertEqual(auth.load_secret({"V": "t" * 32}, "V", None), b"t" * 32)

    def test_missing_and_short_secrets_are_refused_without_echoing_them(self):
        with self.assertRaises(auth.SecretError) as raised:
            auth.load_secret({}, "AIRLOCK_MT5_BRIDGE_SECRET", None)
        self.assertIn("AIRLOCK_MT5_BRIDGE_SECRET is not set", str(raised.exception))
        with self.assertRaises(auth.SecretError) as raised:
            auth.load_secret({"V": "too-short-secret"}, "V", None)
        self.assertNotIn("too-short-secret", str(raised.exception))


if __name__ == "__main__":
    unittest.main()
