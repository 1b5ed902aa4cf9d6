"""The emulated terminal's state: account, symbols, orders, positions, deals, and persistence.

Numbers are held as ``Decimal`` so volume-step and price-digit checks are exact; the public API
(``mt5_emulator``) turns them into floats only where the real module returns floats. Times are the
trade server's clock in epoch milliseconds (UTC shifted by ``server_offset_ms``), as MT5 reports.
"""

import copy
import json
import os
import time
from decimal import Decimal, ROUND_HALF_EVEN

from . import constants as c

DEFAULT_CONFIG = {
    "account": {
        "login": 5000001,
        "trade_mode": c.ACCOUNT_TRADE_MODE_DEMO,
        "margin_mode": c.ACCOUNT_MARGIN_MODE_RETAIL_NETTING,
        "balance": "100000.00",
        "leverage": 100,
        "currency": "USD",
        "currency_digits": 2,
        "trade_allowed": True,
        "trade_expert": True,
        "name": "Airlock Emulator",
        "server": "Airlock-Emulator",
        "company": "Airlock MT5 emulator (not a broker)",
    },
    # The trade server's clock runs this far ahead of UTC (many brokers run UTC+2/UTC+3).
    "server_offset_ms": 0,
    # orders_get/positions_get/history_* with nothing to return: "tuple" (an empty tuple) or
    # "none" (None with last_error RES_S_OK), the two behaviours our notes say to expect.
    "empty_result": "tuple",
    "symbols": {
        "EURUSD": {
            "digits": 5, "contract_size": "100000", "volume_min": "0.01", "volume_max": "100",
            "volume_step": "0.01", "filling_mode": 3,
            "trade_exemode": c.SYMBOL_TRADE_EXECUTION_INSTANT,
            "bid": "1.10000", "ask": "1.10010", "commission_per_lot": "3.50",
            "currency_base": "EUR", "currency_profit": "USD", "currency_margin": "EUR",
            "description": "Euro vs US Dollar",
        },
        "GBPUSD": {
            "digits": 5, "contract_size": "100000", "volume_min": "0.01", "volume_max": "50",
            "volume_step": "0.01", "filling_mode": 1,
            "trade_exemode": c.SYMBOL_TRADE_EXECUTION_MARKET,
            "bid": "1.25000", "ask": "1.25012", "commission_per_lot": "0",
            "currency_base": "GBP", "currency_profit": "USD", "currency_margin": "GBP",
            "description": "Pound Sterling vs US Dollar",
        },
        "XAUUSD": {
            "digits": 2, "contract_size": "100", "volume_min": "0.01", "volume_max": "20",
            "volume_step": "0.01", "filling_mode": 3,
            "trade_exemode": c.SYMBOL_TRADE_EXECUTION_MARKET,
            "bid": "2000.00", "ask": "2000.30", "commission_per_lot": "0",
            "currency_base": "XAU", "currency_profit": "USD", "currency_margin": "XAU",
            "description": "Gold vs US Dollar",
        },
        "AAPL": {
            "digits": 2, "contract_size": "1", "volume_min": "1", "volume_max": "10000",
            "volume_step": "1", "filling_mode": 3,
            "trade_exemode": c.SYMBOL_TRADE_EXECUTION_EXCHANGE,
            "bid": "190.00", "ask": "190.02", "commission_per_lot": "0.01", "margin_rate": "100",
            "currency_base": "USD", "currency_profit": "USD", "currency_margin": "USD",
            "description": "Apple Inc. (CFD)",
        },
    },
}

SYMBOL_DEFAULTS = {
    "trade_mode": c.SYMBOL_TRADE_MODE_FULL,
    "trade_calc_mode": c.SYMBOL_CALC_MODE_FOREX,
    "order_gtc_mode": c.SYMBOL_ORDERS_GTC,
    "expiration_mode": 15,
    "order_mode": 127,
    "trade_stops_level": 0,
    "trade_freeze_level": 0,
    "volume_limit": "0",
    "session_open": True,
    # Lots that can trade per request or per tick; None is unlimited. A bar's own volume caps
    # what the bar can fill.
    "liquidity": None,
    "commission_per_lot": "0",
    # Margin per lot is contract_size × price / (leverage × margin_rate); 1 is plain leverage.
    "margin_rate": "1",
    "selected": False,
    "description": "",
}

DECIMAL_FIELDS = {"balance", "contract_size", "volume_min", "volume_max", "volume_step",
                  "volume_limit", "bid", "ask", "commission_per_lot", "margin_rate", "liquidity",
                  "volume_initial", "volume_current", "price_open", "stoplimit", "sl", "tp",
                  "volume", "price", "commission", "swap", "profit", "fee"}


def dec(value):
    """A Decimal from an int, a decimal string or a float (through its shortest repr)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def wall_ms():
    return int(time.time() * 1000)


class Terminal:
    """One terminal logged in to one account. Not thread-safe: callers hold a lock."""

    def __init__(self, config=None):
        self.configure(config or DEFAULT_CONFIG)

    # ----- configuration and persistence -------------------------------------------------------

    def configure(self, config):
        config = copy.deepcopy(config)
        self.initialized = False
        self.last_error = (c.RES_S_OK, "Success")
        self.server_offset_ms = int(config.get("server_offset_ms", 0))
        self.empty_result = config.get("empty_result", "tuple")
        self.clock_ms = None
        account = copy.deepcopy(DEFAULT_CONFIG["account"])
        account.update(config.get("account", {}))
        account["balance"] = dec(account["balance"])
        self.account = account
        self.symbols = {}
        for name, fields in config.get("symbols", DEFAULT_CONFIG["symbols"]).items():
            self.add_symbol(name, fields)
        self.orders = {}          # active pending orders by ticket
        self.history_orders = {}  # finished orders by ticket
        self.positions = {}       # open positions by ticket
        self.deals = {}           # deals by ticket
        self.next_ticket = 1000001
        self.next_deal = 2000001
        self.next_request_id = 1
        self.fail_next = {}
        self.calls = {}

    def add_symbol(self, name, fields):
        symbol = dict(SYMBOL_DEFAULTS)
        symbol.update(fields)
        for key in ("contract_size", "volume_min", "volume_max", "volume_step", "volume_limit",
                    "bid", "ask", "commission_per_lot", "margin_rate", "liquidity"):
            symbol[key] = dec(symbol.get(key))
        symbol["name"] = name
        symbol["digits"] = int(symbol["digits"])
        symbol["point"] = Decimal(1).scaleb(-symbol["digits"])
        symbol.setdefault("tick_time_ms", None)
        self.symbols[name] = symbol

    def to_json(self):
        def encode(value):
            if isinstance(value, Decimal):
                return {"$d": str(value)}
            if isinstance(value, dict):
                return {str(key): encode(item) for key, item in value.items()}
            if isinstance(value, (list, tuple)):
                return [encode(item) for item in value]
            return value

        return encode({
            "account": self.account, "symbols": self.symbols, "orders": self.orders,
            "history_orders": self.history_orders, "positions": self.positions,
            "deals": self.deals, "next_ticket": self.next_ticket, "next_deal": self.next_deal,
            "next_request_id": self.next_request_id, "server_offset_ms": self.server_offset_ms,
            "empty_result": self.empty_result,
        })

    def save(self, path):
        temporary = path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(self.to_json(), handle)
        os.replace(temporary, path)

    def load(self, path):
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)

        def decode(value):
            if isinstance(value, dict):
                if set(value) == {"$d"}:
                    return Decimal(value["$d"])
                return {key: decode(item) for key, item in value.items()}
            if isinstance(value, list):
                return [decode(item) for item in value]
            return value

        data = decode(data)
        self.account = data["account"]
        self.symbols = data["symbols"]
        by_ticket = lambda table: {int(key): value for key, value in table.items()}
        self.orders = by_ticket(data["orders"])
        self.history_orders = by_ticket(data["history_orders"])
        self.positions = by_ticket(data["positions"])
        self.deals = by_ticket(data["deals"])
        self.next_ticket = data["next_ticket"]
        self.next_deal = data["next_deal"]
        self.next_request_id = data["next_request_id"]
        self.server_offset_ms = data["server_offset_ms"]
        self.empty_result = data["empty_result"]

    # ----- clock -------------------------------------------------------------------------------

    def utc_ms(self):
        return self.clock_ms if self.clock_ms is not None else wall_ms()

    def server_ms(self):
        """The trade server's clock, which MT5 writes as if it were UTC."""
        return self.utc_ms() + self.server_offset_ms

    # ----- tickets -----------------------------------------------------------------------------

    def take_ticket(self):
        ticket = self.next_ticket
        self.next_ticket += 1
        return ticket

    def take_deal(self):
        ticket = self.next_deal
        self.next_deal += 1
        return ticket

    def take_request_id(self):
        request_id = self.next_request_id
        self.next_request_id += 1
        return request_id

    # ----- money -------------------------------------------------------------------------------

    def money(self, value):
        exponent = Decimal(1).scaleb(-int(self.account["currency_digits"]))
        return value.quantize(exponent, rounding=ROUND_HALF_EVEN)

    def floating_profit(self, position):
        symbol = self.symbols[position["symbol"]]
        if position["type"] == c.POSITION_TYPE_BUY:
            move = symbol["bid"] - position["price_open"]
        else:
            move = position["price_open"] - symbol["ask"]
        return self.money(move * position["volume"] * symbol["contract_size"])

    def margin_of(self, symbol, volume, price):
        leverage = Decimal(int(self.account["leverage"]))
        return self.money(volume * symbol["contract_size"] * price
                          / (leverage * symbol["margin_rate"]))

    def used_margin(self, positions=None):
        total = Decimal(0)
        for position in (positions if positions is not None else self.positions).values():
            symbol = self.symbols[position["symbol"]]
            total += self.margin_of(symbol, position["volume"], position["price_open"])
        return total

    def equity(self):
        return self.account["balance"] + sum(
            (self.floating_profit(position) for position in self.positions.values()), Decimal(0))
