"""The real bridge program over HTTP(S) on loopback, with the emulator behind it."""

import copy
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import time
import unittest

import support
import bridge_auth as auth
import mt5_emulator


class BridgeTest(unittest.TestCase):
    arguments = ("--emulator", "--listen", "127.0.0.1:0")
    config = None

    def setUp(self):
        self.bridge = support.BridgeProcess(*self.arguments, config=self.config)
        self.addCleanup(self.bridge.stop)
        self.client = support.Client(self.bridge.url)

    def market(self, volume="0.10", side="buy", symbol="EURUSD", **extra):
        request = {"action": "deal", "symbol": symbol, "volume": volume, "type": side,
                   "deviation": 20, "magic": 42, "comment": auth.order_tag("order-1"),
                   "type_filling": "ioc", "type_time": "gtc"}
        request.update(extra)
        return self.client.ok("/v1/order_send", {"request": request})


class Authentication(BridgeTest):
    def test_a_signed_request_gets_a_signed_answer(self):
        answer = self.client.call("/v1/health")
        self.assertEqual(answer.status, 200)
        self.assertTrue(answer.verified)
        self.assertEqual(answer.json["protocol"], 1)
        self.assertTrue(answer.json["terminal"]["connected"])
        self.assertTrue(answer.json["emulator"])

    def test_a_wrong_secret_is_refused_and_cannot_verify_the_answer(self):
        answer = self.client.call("/v1/account", sign_with="another-secret-" + "x" * 30)
        self.assertEqual(answer.status, 401)
        self.assertEqual(answer.json["error"]["code"], "bad_signature")
        stranger = support.Client(self.bridge.url, secret="another-secret-" + "x" * 30)
        self.assertFalse(stranger.call("/v1/account").verified)
        self.assertNotIn("login", answer.json)

    def test_replays_stale_requests_and_missing_headers_are_refused(self):
        nonce = "f" * 32
        self.assertEqual(self.client.call("/v1/health", nonce=nonce).status, 200)
        replay = self.client.call("/v1/health", nonce=nonce)
        self.assertEqual((replay.status, replay.json["error"]["code"]), (401, "replayed_nonce"))
        self.assertTrue(replay.verified)
        stale = self.client.call("/v1/health", timestamp=int(time.time() * 1000) - 60_000)
        self.assertEqual(stale.json["error"]["code"], "stale_timestamp")
        bare = self.client.call("/v1/health", headers={"Content-Type": "application/json"})
        self.assertEqual((bare.status, bare.json["error"]["code"]), (401, "missing_auth"))

    def test_other_methods_and_unknown_paths(self):
        self.assertEqual(self.client.call("/v1/health", method="GET").status, 405)
        unknown = self.client.call("/v1/nothing")
        self.assertEqual((unknown.status, unknown.json["error"]["code"]), (404, "unknown_path"))

    def test_the_secret_is_never_logged(self):
        self.client.call("/v1/account")
        self.client.call("/v1/account", sign_with="another-secret-" + "x" * 30)
        self.assertNotIn(support.SECRET, self.bridge.log())
        self.assertIn('"status": 401', self.bridge.log())


class StartUp(unittest.TestCase):
    def test_anything_but_loopback_needs_tls(self):
        code, stderr = support.run_bridge("--emulator", "--listen", "0.0.0.0:0")
        self.assertEqual(code, 2)
        self.assertIn("without TLS", stderr)

    def test_a_missing_secret_refuses_to_start(self):
        code, stderr = support.run_bridge("--emulator", secret=None)
        self.assertEqual(code, 2)
        self.assertIn("AIRLOCK_MT5_BRIDGE_SECRET is not set", stderr)

    def test_without_emulator_only_the_real_module_is_imported(self):
        code, stderr = support.run_bridge("--listen", "127.0.0.1:0")
        self.assertNotEqual(code, 0)
        self.assertIn("MetaTrader5", stderr)

    def test_control_routes_exist_only_with_the_emulator(self):
        import airlock_mt5_bridge as program
        clock = program.ServerClock(0, None)
        real = program.Bridge(mt5_emulator, b"s" * 32, False, clock, 30_000)
        self.assertFalse([path for path in real.routes if path.startswith("/emulator/")])
        status, payload = real.handle("/emulator/tick", b"{}")
        self.assertEqual((status, payload["error"]["code"]), (404, "unknown_path"))
        emulated = program.Bridge(mt5_emulator, b"s" * 32, True, clock, 30_000)
        self.assertIn("/emulator/tick", emulated.routes)

    def test_tls_with_the_operators_certificate(self):
        directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, directory)
        certificate = os.path.join(directory, "bridge.pem")
        key = os.path.join(directory, "bridge.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", certificate], check=True, capture_output=True)
        bridge = support.BridgeProcess("--emulator", "--listen", "127.0.0.1:0", "--tls-cert",
                                       certificate, "--tls-key", key)
        self.addCleanup(bridge.stop)
        self.assertTrue(bridge.url.startswith("https://"))
        context = ssl.create_default_context(cafile=certificate)
        client = support.Client(bridge.url, context=context)
        self.assertTrue(client.ok("/v1/health")["terminal"]["connected"])
        untrusting = support.Client(bridge.url, context=ssl.create_default_context())
        with self.assertRaises(ssl.SSLError):
            untrusting.call("/v1/health")


class Endpoints(BridgeTest):
    def test_account_passes_the_trade_mode_on_verbatim_or_leaves_it_out(self):
        account = self.client.ok("/v1/account")
        self.assertEqual((account["trade_mode"], account["margin_mode"], account["balance"]),
                         (0, 0, "100000.00"))
        self.client.ok("/emulator/account", {"trade_mode": "missing"})
        self.assertNotIn("trade_mode", self.client.ok("/v1/account"))
        self.client.ok("/emulator/account", {"trade_mode": None})
        self.assertIsNone(self.client.ok("/v1/account")["trade_mode"])
        self.client.ok("/emulator/account", {"trade_mode": "demo"})
        self.assertEqual(self.client.ok("/v1/account")["trade_mode"], "demo")

    def test_symbol_spec_is_decimal_text(self):
        spec = self.client.ok("/v1/symbol", {"symbol": "EURUSD"})
        self.assertEqual((spec["digits"], spec["point"], spec["volume_step"], spec["volume_min"],
                          spec["trade_contract_size"], spec["filling_mode"], spec["bid"]),
                         (5, "0.00001", "0.01", "0.01", "100000", 3, "1.10000"))
        missing = self.client.call("/v1/symbol", {"symbol": "NOPE"})
        self.assertEqual((missing.status, missing.json["error"]["code"]),
                         (404, "unknown_symbol"))

    def test_a_market_order_and_its_deal_in_exact_text(self):
        sent = self.market()
        self.assertEqual(sent["result"]["retcode"], 10009)
        self.assertEqual(sent["result"]["retcode_name"], "done")
        self.assertEqual((sent["result"]["price"], sent["result"]["volume"]), ("1.10010", "0.10"))
        deals = self.client.ok("/v1/deals", {"order": sent["result"]["order"]})["deals"]
        self.assertEqual([(deal["type"], deal["entry"], deal["price"], deal["volume"],
                           deal["commission"], deal["magic"]) for deal in deals],
                         [("buy", "in", "1.10010", "0.10", "-0.35", 42)])
        positions = self.client.ok("/v1/positions", {"magic": 42})["positions"]
        self.assertEqual([(p["type"], p["volume"]) for p in positions], [("buy", "0.10")])
        self.assertEqual(self.client.ok("/v1/positions", {"magic": 43})["positions"], [])

    def test_bad_fields_are_named(self):
        answer = self.client.call("/v1/order_send", {"request": {
            "action": "deal", "symbol": "EURUSD", "volume": 0.1, "type": "buy"}})
        self.assertEqual((answer.status, answer.json["error"]["field"]),
                         (400, "request.volume"))
        answer = self.client.call("/v1/order_send", {"request": {
            "action": "deal", "symbol": "EURUSD", "volume": "0.1", "type": "long"}})
        self.assertEqual(answer.json["error"]["field"], "request.type")
        answer = self.client.call("/v1/orders", {"magik": 1})
        self.assertEqual(answer.json["error"]["field"], "magik")

    def test_order_send_none_comes_with_last_error(self):
        self.client.ok("/emulator/fail_next", {"call": "order_send",
                                               "error": [-10005, "IPC timeout"]})
        sent = self.market()
        self.assertIsNone(sent["result"])
        self.assertEqual(sent["last_error"], {"code": -10005, "message": "IPC timeout"})

    def test_a_dropped_answer_leaves_the_order_findable_by_tag(self):
        self.client.ok("/emulator/drop_next_response", {"path": "/v1/order_send"})
        request = {"action": "deal", "symbol": "EURUSD", "volume": "0.10", "type": "buy",
                   "magic": 42, "comment": auth.order_tag("lost-1"), "type_filling": "ioc"}
        with self.assertRaises(Exception):
            self.client.call("/v1/order_send", {"request": request})
        found = self.client.ok("/v1/order_by_tag", {"magic": 42,
                                                    "tag": auth.order_tag("lost-1")})
        self.assertEqual(len(found["history_orders"]), 1)
        self.assertEqual(len(found["deals"]), 1)
        self.assertEqual(len(found["positions"]), 1)
        self.assertEqual(found["orders"], [])
        other = self.client.ok("/v1/order_by_tag", {"magic": 42,
                                                    "tag": auth.order_tag("lost-2")})
        self.assertEqual(sum(len(rows) for key, rows in other.items()
                             if isinstance(rows, list)), 0)
        stats = self.client.ok("/emulator/stats")["calls"]
        self.assertEqual(stats["order_send_executed"], 1)

    def test_pending_order_lifecycle_over_http(self):
        placed = self.client.ok("/v1/order_send", {"request": {
            "action": "pending", "symbol": "EURUSD", "volume": "0.20", "type": "buy_limit",
            "price": "1.09900", "magic": 42, "comment": "c", "type_filling": "return",
            "type_time": "day"}})["result"]
        self.assertEqual(placed["retcode_name"], "placed")
        working, = self.client.ok("/v1/orders", {"magic": 42})["orders"]
        self.assertEqual((working["type"], working["state"], working["type_time"],
                          working["price_open"]), ("buy_limit", "placed", "day", "1.09900"))
        modified = self.client.ok("/v1/order_send", {"request": {
            "action": "modify", "order": placed["order"], "price": "1.09800",
            "type_time": "day"}})["result"]
        self.assertEqual(modified["retcode_name"], "done")
        self.client.ok("/emulator/bar", {"symbol": "EURUSD", "open": "1.1000", "high": "1.1001",
                                         "low": "1.0970", "close": "1.0975", "volume": "0.05"})
        partial, = self.client.ok("/v1/orders", {"magic": 42})["orders"]
        self.assertEqual((partial["state"], partial["volume_current"]), ("partial", "0.15"))
        removed = self.client.ok("/v1/order_send", {"request": {
            "action": "remove", "order": placed["order"]}})["result"]
        self.assertEqual(removed["retcode_name"], "done")
        finished, = self.client.ok("/v1/history_orders", {"order": placed["order"]})["orders"]
        self.assertEqual(finished["state"], "canceled")


class ServerClock(BridgeTest):
    config = copy.deepcopy(mt5_emulator.DEFAULT_CONFIG)
    config["server_offset_ms"] = 3 * 3_600_000

    def test_server_times_are_converted_to_utc_with_the_offset_stated(self):
        health = self.client.ok("/v1/health")
        self.assertEqual((health["server_time_offset_ms"], health["offset_source"]),
                         (10_800_000, "measured"))
        before = int(time.time() * 1000)
        sent = self.market()
        deal, = self.client.ok("/v1/deals", {"order": sent["result"]["order"]})["deals"]
        self.assertLess(abs(deal["time_ms"] - before), 5_000)
        ranged = self.client.ok("/v1/deals", {"from_ms": before - 1_000,
                                              "to_ms": before + 10_000})["deals"]
        self.assertEqual([row["ticket"] for row in ranged], [deal["ticket"]])


class Restart(unittest.TestCase):
    def test_a_restarted_bridge_keeps_the_emulated_history(self):
        directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, directory)
        state = os.path.join(directory, "state.json")
        first = support.BridgeProcess("--emulator", "--listen", "127.0.0.1:0", state_file=state)
        client = support.Client(first.url)
        sent = client.ok("/v1/order_send", {"request": {
            "action": "deal", "symbol": "EURUSD", "volume": "0.10", "type": "buy",
            "magic": 42, "comment": "r", "type_filling": "ioc"}})["result"]
        first.stop()
        with open(state, encoding="utf-8") as handle:
            self.assertIn("deals", json.load(handle))
        second = support.BridgeProcess("--emulator", "--listen", "127.0.0.1:0", state_file=state)
        self.addCleanup(second.stop)
        client = support.Client(second.url)
        deals = client.ok("/v1/deals", {"order": sent["order"]})["deals"]
        self.assertEqual([deal["ticket"] for deal in deals], [sent["deal"]])


if __name__ == "__main__":
    unittest.main()
