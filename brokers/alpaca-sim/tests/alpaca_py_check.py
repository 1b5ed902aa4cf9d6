"""alpaca-py, Alpaca's official Python SDK, trading against `airlock sim alpaca`.

Run by scripts/alpaca-py-check (which builds the binary and prepares a venv with alpaca-py):

    python alpaca_py_check.py path/to/airlock path/to/candles.csv.gz

Every SDK answer must parse into alpaca-py's pydantic models; any mismatch raises and the check
exits non-zero. Loopback only.
"""

import subprocess
import sys
import threading
import time

from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import (
    OrderSide,
    OrderStatus,
    QueryOrderStatus,
    TimeInForce,
    TradeEvent,
)
from alpaca.trading.requests import (
    GetAssetsRequest,
    GetOrdersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
)
from alpaca.trading.stream import TradingStream


def start(binary, data):
    process = subprocess.Popen(
        [binary, "sim", "alpaca", "--listen", "127.0.0.1:0", "--data", data],
        stdout=subprocess.PIPE,
        text=True,
    )
    printed = {}
    deadline = time.time() + 60
    while "stop" not in printed:
        if time.time() > deadline:
            raise RuntimeError(f"the simulator printed only {printed}")
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the simulator exited; printed {printed}")
        key, _, value = line.partition(":")
        printed[key.strip()] = value.strip()
    return process, printed["rest"], printed["stream"], printed["key id"], printed["secret"]


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def main():
    binary, data = sys.argv[1], sys.argv[2]
    process, rest, stream_url, key, secret = start(binary, data)
    try:
        check(rest, stream_url, key, secret)
    finally:
        process.kill()
        process.wait()
    print("alpaca-py check: ok")


def check(rest, stream_url, key, secret):
    client = TradingClient(key, secret, paper=True, url_override=rest)
    account = client.get_account()
    expect(account.account_number == "PA-SIM-0001", account)
    expect(float(account.cash) == 100000.0, account.cash)
    clock = client.get_clock()
    expect(clock.is_open, clock)
    assets = client.get_all_assets(GetAssetsRequest())
    expect([asset.symbol for asset in assets] == ["AAPL"], assets)
    expect(client.get_asset("AAPL").tradable, "AAPL is tradable")

    updates = []
    stream = TradingStream(key, secret, paper=True, url_override=stream_url)

    async def on_update(update):
        updates.append(update)

    stream.subscribe_trade_updates(on_update)
    thread = threading.Thread(target=stream.run, daemon=True)
    thread.start()
    time.sleep(1.5)

    bought = client.submit_order(
        MarketOrderRequest(
            symbol="AAPL",
            qty=5,
            side=OrderSide.BUY,
            time_in_force=TimeInForce.DAY,
            client_order_id="py-1",
        )
    )
    expect(bought.status == OrderStatus.FILLED, bought)
    expect(bought.filled_qty == "5", bought.filled_qty)
    expect(client.get_order_by_client_id("py-1").id == bought.id, "found by client id")
    expect(client.get_order_by_id(bought.id).status == OrderStatus.FILLED, "found by id")

    resting = client.submit_order(
        LimitOrderRequest(
            symbol="AAPL",
            qty=2,
            side=OrderSide.BUY,
            limit_price=1.5,
            time_in_force=TimeInForce.GTC,
        )
    )
    expect(resting.status == OrderStatus.NEW, resting)
    replaced = client.replace_order_by_id(resting.id, ReplaceOrderRequest(qty=3, limit_price=2))
    expect(replaced.replaces == resting.id, replaced)
    expect(client.get_order_by_id(resting.id).status == OrderStatus.REPLACED, "replaced")
    cancelled = client.cancel_orders()
    expect([response.id for response in cancelled] == [replaced.id], cancelled)
    expect(client.get_order_by_id(replaced.id).status == OrderStatus.CANCELED, "cancelled")

    try:
        client.submit_order(
            MarketOrderRequest(
                symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY,
                client_order_id="py-1",
            )
        )
        raise AssertionError("a reused client order id was accepted")
    except APIError as error:
        expect(error.status_code == 422, error.status_code)
        expect(error.message == "client_order_id must be unique", error.message)

    closed = client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL))
    expect(len(closed) == 3, closed)
    positions = client.get_all_positions()
    expect(len(positions) == 1 and positions[0].qty == "5", positions)
    closing = client.close_position("AAPL")
    expect(closing.side == OrderSide.SELL and closing.status == OrderStatus.FILLED, closing)

    def filled():
        return any(u.event == TradeEvent.FILL and u.order.client_order_id == "py-1" for u in updates)

    deadline = time.time() + 10
    while time.time() < deadline and not filled():
        time.sleep(0.1)
    expect(filled(), [(u.event, u.order.client_order_id) for u in updates])
    stream.stop()
    thread.join(timeout=10)


if __name__ == "__main__":
    main()
