"""A stand-in for MetaQuotes' `MetaTrader5` Python module, for tests and demonstrations.

It has the module's function names and signatures, its named-tuple types with their field order,
its constants and return codes, and behaves like a terminal logged in to one account: symbols
with digits, volume limits and filling policies; ticks; market deals; pending limit, stop and
stop-limit orders that trigger when ticks or bars cross them; partial fills when a symbol's
liquidity (or a bar's volume) runs short; modify and remove; positions on netting accounts (one
per symbol, a reversal is an INOUT deal) and hedging accounts (one per ticket, closed by ticket);
the deal and order history; ``last_error()``.

It never talks to a broker. Functions whose names start with ``emulator_`` do not exist in the
real module: they are the control surface the bridge exposes under ``/emulator/...`` only when it
runs with ``--emulator``.

What it simplifies (documented in the bridge README): profits and margins are computed in the
account currency as if every symbol's profit currency were the account's; RETURN filling on a
market deal behaves like IOC; the trade server's clock is UTC plus a fixed offset.
"""

import datetime as _datetime
import fnmatch as _fnmatch
import threading as _threading
from decimal import Decimal as _Decimal

from . import trading as _trading
from .constants import *  # noqa: F401,F403 - the module's constants, by name
from . import constants as _c
from .state import DEFAULT_CONFIG, Terminal as _Terminal, dec as _dec
from .types import (AccountInfo, AccountInfoWithoutTradeMode, OrderCheckResult,  # noqa: F401
                    OrderSendResult, SymbolInfo, TerminalInfo, Tick, TradeDeal, TradeOrder,
                    TradePosition, TradeRequest)

__version__ = "5.0.6231-airlock-emulator"
__author__ = "Airlock (emulator of MetaQuotes' MetaTrader5 module)"
EMULATOR = True

_terminal = _Terminal()
_lock = _threading.RLock()

_NOT_CONNECTED = (_c.RES_E_INTERNAL_FAIL_CONNECT, "No IPC connection")


def _f(value):
    return float(value) if value is not None else 0.0


def _seconds(ms):
    return int(ms) // 1000


def _enter(name):
    """Counts the call and applies an injected failure. Returns (proceed, value)."""
    _terminal.calls[name] = _terminal.calls.get(name, 0) + 1
    failure = _terminal.fail_next.pop(name, None)
    if failure is not None and "error" in failure:
        code, message = failure["error"]
        _terminal.last_error = (int(code), str(message))
        return False, None
    if failure is not None and "retcode" in failure:
        return False, failure
    if not _terminal.initialized and name not in ("initialize", "last_error", "version"):
        _terminal.last_error = _NOT_CONNECTED
        return False, None
    return True, None


def _ok(value):
    _terminal.last_error = (_c.RES_S_OK, "Success")
    return value


def _many(items):
    if not items and _terminal.empty_result == "none":
        return _ok(None)
    return _ok(tuple(items))


def _group_matches(group, name):
    if group is None:
        return True
    included = False
    for pattern in (part.strip() for part in group.split(",")):
        if pattern.startswith("!"):
            if _fnmatch.fnmatchcase(name.upper(), pattern[1:].upper()):
                return False
        elif _fnmatch.fnmatchcase(name.upper(), pattern.upper()):
            included = True
    return included


def _epoch_seconds(value):
    if isinstance(value, _datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_datetime.timezone.utc)
        return int(value.timestamp())
    return int(value)


# ----- session and account -----------------------------------------------------------------------

def initialize(path=None, *, login=None, password=None, server=None, timeout=60000,
               portable=False):
    """Connects to the (emulated) terminal; with `login`, checks it against the account."""
    with _lock:
        _enter("initialize")
        account = _terminal.account
        if login is not None and int(login) != int(account["login"]):
            _terminal.last_error = (_c.RES_E_AUTH_FAILED, "Authorization failed")
            return False
        expected = account.get("password")
        if login is not None and expected is not None and password != expected:
            _terminal.last_error = (_c.RES_E_AUTH_FAILED, "Authorization failed")
            return False
        _terminal.initialized = True
        return _ok(True)


def login(login, *, password=None, server=None, timeout=60000):
    with _lock:
        proceed, _ = _enter("login")
        if not proceed:
            return False
        if int(login) != int(_terminal.account["login"]):
            _terminal.last_error = (_c.RES_E_AUTH_FAILED, "Authorization failed")
            return False
        return _ok(True)


def shutdown():
    with _lock:
        _terminal.calls["shutdown"] = _terminal.calls.get("shutdown", 0) + 1
        _terminal.initialized = False
        return True


def version():
    with _lock:
        _enter("version")
        return _ok((500, 4755, "26 Jan 2026"))


def last_error():
    with _lock:
        return _terminal.last_error


def terminal_info():
    with _lock:
        proceed, _ = _enter("terminal_info")
        if not proceed:
            return None
        account = _terminal.account
        return _ok(TerminalInfo(
            community_account=False, community_connection=False, connected=True,
            dlls_allowed=False, trade_allowed=bool(account.get("trade_allowed", True)),
            tradeapi_disabled=False, email_enabled=False, ftp_enabled=False,
            notifications_enabled=False, mqid=False, build=4755, maxbars=100000, codepage=0,
            ping_last=1000, community_balance=0.0, retransmission=0.0,
            company=account["company"], name="Airlock MT5 emulator", language="English",
            path="emulator", data_path="emulator", commondata_path="emulator"))


def account_info():
    with _lock:
        proceed, _ = _enter("account_info")
        if not proceed:
            return None
        account = _terminal.account
        balance = account["balance"]
        equity = _terminal.equity()
        margin = _terminal.used_margin()
        fields = dict(
            login=int(account["login"]), trade_mode=account["trade_mode"],
            leverage=int(account["leverage"]), limit_orders=200,
            margin_so_mode=_c.ACCOUNT_STOPOUT_MODE_PERCENT,
            trade_allowed=bool(account.get("trade_allowed", True)),
            trade_expert=bool(account.get("trade_expert", True)),
            margin_mode=int(account["margin_mode"]),
            currency_digits=int(account["currency_digits"]), fifo_close=False,
            balance=_f(balance), credit=0.0, profit=_f(equity - balance), equity=_f(equity),
            margin=_f(margin), margin_free=_f(equity - margin),
            margin_level=_f(equity / margin * 100) if margin else 0.0, margin_so_call=50.0,
            margin_so_so=30.0, margin_initial=0.0, margin_maintenance=0.0, assets=0.0,
            liabilities=0.0, commission_blocked=0.0, name=account["name"],
            server=account["server"], currency=account["currency"],
            company=account["company"])
        if account["trade_mode"] == "missing":
            del fields["trade_mode"]
            return _ok(AccountInfoWithoutTradeMode(**fields))
        return _ok(AccountInfo(**fields))


# ----- symbols -----------------------------------------------------------------------------------

def _symbol_info(symbol):
    tick_ms = symbol["tick_time_ms"] or _terminal.server_ms()
    return SymbolInfo(
        custom=False, chart_mode=_c.SYMBOL_CHART_MODE_BID, select=symbol["selected"],
        visible=symbol["selected"], session_deals=0, time=_seconds(tick_ms),
        digits=symbol["digits"],
        spread=int((symbol["ask"] - symbol["bid"]) / symbol["point"]), spread_float=True,
        trade_calc_mode=symbol["trade_calc_mode"], trade_mode=symbol["trade_mode"],
        trade_stops_level=symbol["trade_stops_level"],
        trade_freeze_level=symbol["trade_freeze_level"],
        trade_exemode=symbol["trade_exemode"], swap_mode=0,
        expiration_mode=symbol["expiration_mode"], filling_mode=symbol["filling_mode"],
        order_mode=symbol["order_mode"], order_gtc_mode=symbol["order_gtc_mode"],
        bid=_f(symbol["bid"]), ask=_f(symbol["ask"]), last=0.0, volume_real=0.0,
        point=_f(symbol["point"]),
        trade_tick_value=_f(symbol["point"] * symbol["contract_size"]),
        trade_tick_size=_f(symbol["point"]), trade_contract_size=_f(symbol["contract_size"]),
        volume_min=_f(symbol["volume_min"]), volume_max=_f(symbol["volume_max"]),
        volume_step=_f(symbol["volume_step"]), volume_limit=_f(symbol["volume_limit"]),
        swap_long=0.0, swap_short=0.0, currency_base=symbol.get("currency_base", ""),
        currency_profit=symbol.get("currency_profit", ""),
        currency_margin=symbol.get("currency_margin", ""),
        description=symbol.get("description", ""), name=symbol["name"],
        path="Emulator\\" + symbol["name"])


def symbols_total():
    with _lock:
        proceed, _ = _enter("symbols_total")
        return _ok(len(_terminal.symbols)) if proceed else None


def symbols_get(group=None):
    with _lock:
        proceed, _ = _enter("symbols_get")
        if not proceed:
            return None
        return _many([_symbol_info(symbol) for name, symbol in sorted(_terminal.symbols.items())
                      if _group_matches(group, name)])


def symbol_select(symbol, enable=True):
    with _lock:
        proceed, _ = _enter("symbol_select")
        if not proceed:
            return False
        found = _terminal.symbols.get(symbol)
        if found is None:
            _terminal.last_error = (_c.RES_E_NOT_FOUND, "Terminal: Not found")
            return False
        found["selected"] = bool(enable)
        return _ok(True)


def symbol_info(symbol):
    with _lock:
        proceed, _ = _enter("symbol_info")
        if not proceed:
            return None
        found = _terminal.symbols.get(symbol)
        if found is None:
            _terminal.last_error = (_c.RES_E_NOT_FOUND, "Terminal: Not found")
            return None
        return _ok(_symbol_info(found))


def symbol_info_tick(symbol):
    with _lock:
        proceed, _ = _enter("symbol_info_tick")
        if not proceed:
            return None
        found = _terminal.symbols.get(symbol)
        if found is None:
            _terminal.last_error = (_c.RES_E_NOT_FOUND, "Terminal: Not found")
            return None
        tick_ms = found["tick_time_ms"] or _terminal.server_ms()
        return _ok(Tick(time=_seconds(tick_ms), bid=_f(found["bid"]), ask=_f(found["ask"]),
                        last=0.0, volume=0, time_msc=int(tick_ms),
                        flags=_c.TICK_FLAG_BID | _c.TICK_FLAG_ASK, volume_real=0.0))


# ----- orders ------------------------------------------------------------------------------------

def _request_tuple(request):
    return TradeRequest(**{field: (_f(value) if isinstance(value, _Decimal) else value)
                           for field, value in request.items()})


def _prepare(name, request):
    """Counts the call, applies injected failures, and normalises the request. Returns
    (normalised request or None, injected failure or None, whether to go on)."""
    proceed, injected = _enter(name)
    if not proceed and injected is None:
        return None, None, False
    if not isinstance(request, dict):
        _terminal.last_error = (_c.RES_E_INVALID_PARAMS, "Invalid arguments")
        return None, None, False
    try:
        return _trading.normalise(request), injected, True
    except (ValueError, TypeError, ArithmeticError) as error:
        _terminal.last_error = (_c.RES_E_INVALID_PARAMS, "Invalid arguments: %s" % error)
        return None, None, False


def order_check(request):
    with _lock:
        normal, injected, proceed = _prepare("order_check", request)
        if not proceed:
            return None
        retcode, comment = 0, "Done"
        if injected is not None:
            retcode = int(injected["retcode"])
            comment = _trading.RETCODE_COMMENTS.get(retcode, "Request failed")
        else:
            try:
                _trading.check(_terminal, normal)
            except _trading.Refused as refused:
                retcode, comment = refused.retcode, refused.comment
        equity = _terminal.equity()
        margin = _terminal.used_margin()
        return _ok(OrderCheckResult(
            retcode=retcode, balance=_f(_terminal.account["balance"]), equity=_f(equity),
            profit=_f(equity - _terminal.account["balance"]), margin=_f(margin),
            margin_free=_f(equity - margin),
            margin_level=_f(equity / margin * 100) if margin else 0.0, comment=comment,
            request=_request_tuple(normal) if normal is not None else None))


def order_send(request):
    with _lock:
        normal, injected, proceed = _prepare("order_send", request)
        if not proceed:
            return None
        symbol = _terminal.symbols.get(normal["symbol"])
        bid = _f(symbol["bid"]) if symbol else 0.0
        ask = _f(symbol["ask"]) if symbol else 0.0
        request_id = _terminal.take_request_id()
        if injected is not None:
            retcode = int(injected["retcode"])
            return _ok(OrderSendResult(
                retcode=retcode, deal=0, order=0, volume=0.0, price=0.0, bid=bid, ask=ask,
                comment=_trading.RETCODE_COMMENTS.get(retcode, "Request failed"),
                request_id=request_id, retcode_external=0, request=_request_tuple(normal)))
        try:
            outcome = _trading.send(_terminal, normal)
        except _trading.Refused as refused:
            return _ok(OrderSendResult(
                retcode=refused.retcode, deal=0, order=0, volume=0.0, price=0.0, bid=bid,
                ask=ask, comment=refused.comment, request_id=request_id, retcode_external=0,
                request=_request_tuple(normal)))
        _terminal.calls["order_send_executed"] = _terminal.calls.get("order_send_executed", 0) + 1
        return _ok(OrderSendResult(
            retcode=outcome.retcode, deal=outcome.deal, order=outcome.order,
            volume=_f(outcome.volume), price=_f(outcome.price), bid=bid, ask=ask,
            comment=_trading.RETCODE_COMMENTS[outcome.retcode], request_id=request_id,
            retcode_external=0, request=_request_tuple(normal)))


def order_calc_margin(action, symbol, volume, price):
    with _lock:
        proceed, _ = _enter("order_calc_margin")
        found = _terminal.symbols.get(symbol) if proceed else None
        if found is None:
            return None
        return _ok(_f(_terminal.margin_of(found, _dec(volume), _dec(price))))


def order_calc_profit(action, symbol, volume, price_open, price_close):
    with _lock:
        proceed, _ = _enter("order_calc_profit")
        found = _terminal.symbols.get(symbol) if proceed else None
        if found is None:
            return None
        direction = 1 if action == _c.ORDER_TYPE_BUY else -1
        move = (_dec(price_close) - _dec(price_open)) * direction
        return _ok(_f(_terminal.money(move * _dec(volume) * found["contract_size"])))


def _order_tuple(order):
    symbol = _terminal.symbols[order["symbol"]]
    current = symbol["ask"] if _trading.is_buy(order["type"]) else symbol["bid"]
    return TradeOrder(
        ticket=order["ticket"], time_setup=_seconds(order["time_setup_ms"]),
        time_setup_msc=order["time_setup_ms"], time_done=_seconds(order["time_done_ms"]),
        time_done_msc=order["time_done_ms"], time_expiration=order["expiration"],
        type=order["type"], type_time=order["type_time"], type_filling=order["type_filling"],
        state=order["state"], magic=order["magic"], position_id=order["position_id"],
        position_by_id=0, reason=order["reason"], volume_initial=_f(order["volume_initial"]),
        volume_current=_f(order["volume_current"]), price_open=_f(order["price_open"]),
        sl=_f(order["sl"]), tp=_f(order["tp"]), price_current=_f(current),
        price_stoplimit=_f(order["stoplimit"]), symbol=order["symbol"],
        comment=order["comment"], external_id="")


def _position_tuple(position):
    symbol = _terminal.symbols[position["symbol"]]
    buy = position["type"] == _c.POSITION_TYPE_BUY
    return TradePosition(
        ticket=position["ticket"], time=_seconds(position["time_ms"]),
        time_msc=position["time_ms"], time_update=_seconds(position["time_update_ms"]),
        time_update_msc=position["time_update_ms"], type=position["type"],
        magic=position["magic"], identifier=position["identifier"], reason=position["reason"],
        volume=_f(position["volume"]), price_open=_f(position["price_open"]),
        sl=_f(position["sl"]), tp=_f(position["tp"]),
        price_current=_f(symbol["bid"] if buy else symbol["ask"]), swap=0.0,
        profit=_f(_terminal.floating_profit(position)), symbol=position["symbol"],
        comment=position["comment"], external_id="")


def _deal_tuple(deal):
    return TradeDeal(
        ticket=deal["ticket"], order=deal["order"], time=_seconds(deal["time_ms"]),
        time_msc=deal["time_ms"], type=deal["type"], entry=deal["entry"], magic=deal["magic"],
        position_id=deal["position_id"], reason=deal["reason"], volume=_f(deal["volume"]),
        price=_f(deal["price"]), commission=_f(deal["commission"]), swap=_f(deal["swap"]),
        profit=_f(deal["profit"]), fee=_f(deal["fee"]), symbol=deal["symbol"],
        comment=deal["comment"], external_id="")


def _live_query(name, table, to_tuple, symbol=None, group=None, ticket=None):
    proceed, _ = _enter(name)
    if not proceed:
        return None
    rows = [row for key, row in sorted(table.items())
            if (symbol is None or row["symbol"] == symbol)
            and _group_matches(group, row["symbol"])
            and (ticket is None or key == int(ticket))]
    return _many([to_tuple(row) for row in rows])


def orders_total():
    with _lock:
        proceed, _ = _enter("orders_total")
        return _ok(len(_terminal.orders)) if proceed else None


def orders_get(symbol=None, group=None, ticket=None):
    with _lock:
        return _live_query("orders_get", _terminal.orders, _order_tuple, symbol, group, ticket)


def positions_total():
    with _lock:
        proceed, _ = _enter("positions_total")
        return _ok(len(_terminal.positions)) if proceed else None


def positions_get(symbol=None, group=None, ticket=None):
    with _lock:
        return _live_query("positions_get", _terminal.positions, _position_tuple, symbol, group,
                           ticket)


def _history(name, table, to_tuple, time_key, date_from, date_to, group, ticket, position,
             ticket_key):
    proceed, _ = _enter(name)
    if not proceed:
        return None
    if ticket is not None:
        rows = [row for row in table.values() if row[ticket_key] == int(ticket)]
    elif position is not None:
        rows = [row for row in table.values() if row["position_id"] == int(position)]
    elif date_from is not None and date_to is not None:
        start, end = _epoch_seconds(date_from), _epoch_seconds(date_to)
        rows = [row for row in table.values()
                if start <= _seconds(row[time_key]) <= end and _group_matches(group, row["symbol"])]
    else:
        _terminal.last_error = (_c.RES_E_INVALID_PARAMS, "Invalid arguments")
        return None
    rows.sort(key=lambda row: (row[time_key], row["ticket"]))
    return _many([to_tuple(row) for row in rows])


def history_orders_total(date_from, date_to):
    with _lock:
        found = _history("history_orders_total", _terminal.history_orders, lambda row: row,
                         "time_done_ms", date_from, date_to, None, None, None, "ticket")
        return len(found or ())


def history_orders_get(date_from=None, date_to=None, group=None, ticket=None, position=None):
    with _lock:
        return _history("history_orders_get", _terminal.history_orders, _order_tuple,
                        "time_done_ms", date_from, date_to, group, ticket, position, "ticket")


def history_deals_total(date_from, date_to):
    with _lock:
        found = _history("history_deals_total", _terminal.deals, lambda row: row, "time_ms",
                         date_from, date_to, None, None, None, "order")
        return len(found or ())


def history_deals_get(date_from=None, date_to=None, group=None, ticket=None, position=None):
    """Deals by time range, by ORDER ticket (`ticket=`, as MT5 defines it) or by position id."""
    with _lock:
        return _history("history_deals_get", _terminal.deals, _deal_tuple, "time_ms", date_from,
                        date_to, group, ticket, position, "order")


# ----- the control surface (not in the real module) ----------------------------------------------

def emulator_reset(config=None):
    """Back to a fresh terminal with `config` (DEFAULT_CONFIG when None), not initialised."""
    with _lock:
        _terminal.configure(config or DEFAULT_CONFIG)


def emulator_set_clock(utc_ms=None):
    """Freezes the UTC clock at `utc_ms` (None: follow the wall clock)."""
    with _lock:
        _terminal.clock_ms = None if utc_ms is None else int(utc_ms)


def emulator_set_account(**fields):
    """Changes account fields: trade_mode (0, 1, 2, "missing" or anything else to emulate a
    garbled field), margin_mode, balance, leverage, trade_allowed, login, ..."""
    with _lock:
        for key, value in fields.items():
            if key not in _terminal.account and key != "password":
                raise KeyError("unknown account field " + key)
            _terminal.account[key] = _dec(value) if key == "balance" else value


def emulator_set_symbol(name, **fields):
    """Adds a symbol or changes fields of one (liquidity, session_open, filling_mode, ...)."""
    with _lock:
        if name not in _terminal.symbols:
            _terminal.add_symbol(name, fields)
            return
        symbol = _terminal.symbols[name]
        for key, value in fields.items():
            if key not in symbol:
                raise KeyError("unknown symbol field " + key)
            decimal_field = key in ("contract_size", "volume_min", "volume_max", "volume_step",
                                    "volume_limit", "bid", "ask", "commission_per_lot",
                                    "margin_rate", "liquidity")
            symbol[key] = _dec(value) if decimal_field else value


def emulator_set_tick(name, bid, ask):
    """A new quote; pending orders it is through work at it (within the symbol's liquidity).
    Returns the tickets of the deals made."""
    with _lock:
        symbol = _terminal.symbols[name]
        symbol["bid"], symbol["ask"] = _dec(bid), _dec(ask)
        symbol["tick_time_ms"] = _terminal.server_ms()
        deals = _trading.on_quote(_terminal, symbol, _trading.Budget(symbol["liquidity"]))
        return [deal["ticket"] for deal in deals]


def emulator_feed_bar(name, open, high, low, close, volume=None):  # noqa: A002 - bar fields
    """A bar of bid prices: the price walks open → low → high → close (open → high → low →
    close for a falling bar), triggering pending orders where it crosses them; `volume` lots is
    all the bar can fill (None: unlimited). Returns the tickets of the deals made."""
    with _lock:
        symbol = _terminal.symbols[name]
        o, h, l, cl = (_dec(value) for value in (open, high, low, close))
        points = [o, l, h, cl] if cl >= o else [o, h, l, cl]
        budget = _trading.Budget(None if volume is None else _dec(volume))
        deals = _trading.walk(_terminal, symbol, points, budget)
        symbol["tick_time_ms"] = _terminal.server_ms()
        return [deal["ticket"] for deal in deals]


def emulator_end_of_day():
    """Expires DAY orders. Returns their tickets."""
    with _lock:
        return _trading.end_of_day(_terminal)


def emulator_fail_next(call, retcode=None, error=None):
    """The next `call` fails: with `retcode`, order_send/order_check return that code without
    executing; with `error` = (code, message), the call returns None and last_error() says so."""
    with _lock:
        if (retcode is None) == (error is None):
            raise ValueError("give exactly one of retcode and error")
        _terminal.fail_next[call] = {"retcode": retcode} if retcode is not None else {
            "error": list(error)}


def emulator_stats():
    """How often each function was called, and how many order_send calls executed."""
    with _lock:
        return dict(_terminal.calls)


def emulator_save(path):
    with _lock:
        _terminal.save(path)


def emulator_load(path):
    with _lock:
        _terminal.load(path)
