"""The protocol's endpoints: typed JSON in, one or a few MetaTrader5 calls, typed JSON out.

Prices go out as decimal strings with the symbol's digits, volumes with the symbol's volume-step
decimals, money with the account currency's digits: never a binary float's repr. Times go out as
UTC epoch milliseconds; the trade server's clock offset is stated in every response envelope.
See PROTOCOL.md for every field.
"""

import re
import time
from decimal import Decimal, InvalidOperation, ROUND_HALF_EVEN

BRIDGE_VERSION = "1.0.0"
PROTOCOL_VERSION = 1
DECIMAL_TEXT = re.compile(r"^[0-9]{1,15}(\.[0-9]{1,12})?$")
MAX_COMMENT = 31


class BadRequest(Exception):
    """The request is malformed; the 400 body names the field."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


class NotFound(Exception):
    """A symbol (or other named thing) the terminal does not know; 404."""

    def __init__(self, what, message, last_error=None):
        super().__init__(message)
        self.what = what
        self.message = message
        self.last_error = last_error


class Mt5CallFailed(Exception):
    """An MT5 call returned None for a reason other than "nothing there"; 502."""

    def __init__(self, call, last_error):
        super().__init__(call)
        self.call = call
        self.last_error = last_error


def wall_ms():
    return int(time.time() * 1000)


def names(module, prefix, strip=None):
    """{value: snake_case name} for the module's constants starting with `prefix`."""
    table = {}
    for attribute in dir(module):
        if attribute.startswith(prefix):
            table[getattr(module, attribute)] = attribute[len(strip or prefix):].lower()
    return table


class Vocabulary:
    """Constant names and numbers, read from whichever module the bridge runs on."""

    def __init__(self, mt5):
        self.actions = {"deal": mt5.TRADE_ACTION_DEAL, "pending": mt5.TRADE_ACTION_PENDING,
                        "sltp": mt5.TRADE_ACTION_SLTP, "modify": mt5.TRADE_ACTION_MODIFY,
                        "remove": mt5.TRADE_ACTION_REMOVE,
                        "close_by": mt5.TRADE_ACTION_CLOSE_BY}
        self.order_types = {name: value for value, name in
                            names(mt5, "ORDER_TYPE_").items()}
        self.fillings = {name: value for value, name in names(mt5, "ORDER_FILLING_").items()}
        self.times = {name: value for value, name in names(mt5, "ORDER_TIME_").items()}
        self.order_type_names = names(mt5, "ORDER_TYPE_")
        self.filling_names = names(mt5, "ORDER_FILLING_")
        self.time_names = names(mt5, "ORDER_TIME_")
        self.state_names = names(mt5, "ORDER_STATE_")
        self.order_reason_names = names(mt5, "ORDER_REASON_")
        self.deal_type_names = names(mt5, "DEAL_TYPE_")
        for extra in ("DEAL_DIVIDEND", "DEAL_DIVIDEND_FRANKED", "DEAL_TAX"):
            if hasattr(mt5, extra):
                self.deal_type_names[getattr(mt5, extra)] = extra[len("DEAL_"):].lower()
        self.entry_names = names(mt5, "DEAL_ENTRY_")
        self.deal_reason_names = names(mt5, "DEAL_REASON_")
        self.retcode_names = names(mt5, "TRADE_RETCODE_", strip="TRADE_RETCODE_")
        self.position_type_names = names(mt5, "POSITION_TYPE_")

    @staticmethod
    def name(table, value):
        return table.get(value, "unknown_%s" % value)


# ----- numbers -----------------------------------------------------------------------------------

def decimal_of(value):
    return value if isinstance(value, Decimal) else Decimal(repr(float(value)))


def fixed(value, places):
    """`value` (a float from MT5) as a decimal string with exactly `places` decimals, rounded
    half-to-even from the float's shortest repr."""
    exponent = Decimal(1).scaleb(-int(places))
    return format(decimal_of(value).quantize(exponent, rounding=ROUND_HALF_EVEN), "f")


def plain(value):
    """`value` as a decimal string with the float's shortest repr's digits, no exponent."""
    text = format(decimal_of(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def places_of(value):
    """Decimals needed to write `value` (a volume step such as 0.01 → 2)."""
    text = plain(value)
    return len(text.split(".")[1]) if "." in text else 0


def parse_decimal(field, value):
    if not isinstance(value, str) or not DECIMAL_TEXT.match(value):
        raise BadRequest(field, "must be a non-negative decimal string such as \"1.10050\"")
    try:
        return float(Decimal(value))
    except InvalidOperation:
        raise BadRequest(field, "not a decimal number") from None


def parse_int(field, value, minimum=0, maximum=2 ** 63 - 1):
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(field, "must be an integer")
    if value < minimum or value > maximum:
        raise BadRequest(field, "must be between %d and %d" % (minimum, maximum))
    return value


def parse_choice(field, value, table):
    if value not in table:
        raise BadRequest(field, "must be one of " + ", ".join(sorted(table)))
    return table[value]


def verbatim(value):
    """A field's value as MT5 gave it, JSON-safe, with nothing defaulted or coerced."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


# ----- the per-request context -------------------------------------------------------------------

class Context:
    """One request's view of the terminal: caches symbol formats and the account's digits."""

    def __init__(self, bridge):
        self.bridge = bridge
        self.mt5 = bridge.mt5
        self.words = bridge.vocabulary
        self.symbols = {}
        self.money_places = None

    def call(self, name, *args, **kwargs):
        return getattr(self.mt5, name)(*args, **kwargs)

    def last_error(self):
        code, message = self.mt5.last_error()
        return {"code": int(code), "message": str(message)}

    def symbol_format(self, symbol):
        """(digits, volume decimals) of `symbol`, or a plain format when it is unknown."""
        if symbol not in self.symbols:
            info = self.call("symbol_info", symbol) if symbol else None
            if info is None:
                self.symbols[symbol] = None
            else:
                self.symbols[symbol] = (int(info.digits), max(places_of(info.volume_step),
                                                              places_of(info.volume_min)))
        return self.symbols[symbol]

    def price(self, symbol, value):
        spec = self.symbol_format(symbol)
        return fixed(value, spec[0]) if spec else plain(value)

    def volume(self, symbol, value):
        spec = self.symbol_format(symbol)
        return fixed(value, spec[1]) if spec else plain(value)

    def money(self, value):
        if self.money_places is None:
            info = self.call("account_info")
            digits = getattr(info, "currency_digits", None) if info is not None else None
            if isinstance(digits, bool) or not isinstance(digits, int):
                raise Mt5CallFailed("account_info", {
                    "code": -1, "message": "account_info().currency_digits is not an integer"})
            self.money_places = digits
        return fixed(value, self.money_places)

    def to_utc(self, server_seconds_or_ms, milliseconds=True):
        if not server_seconds_or_ms:
            return 0
        ms = server_seconds_or_ms if milliseconds else server_seconds_or_ms * 1000
        return int(ms) - self.bridge.clock.offset_ms

    def to_server_seconds(self, utc_ms):
        return (int(utc_ms) + self.bridge.clock.offset_ms) // 1000

    def many(self, call, *args, **kwargs):
        """A list from an MT5 query; None with "no error" or "not found" is an empty list."""
        rows = self.call(call, *args, **kwargs)
        if rows is None:
            error = self.last_error()
            if error["code"] in (self.mt5.RES_S_OK, self.mt5.RES_E_NOT_FOUND):
                return []
            raise Mt5CallFailed(call, error)
        return list(rows)


# ----- row formats -------------------------------------------------------------------------------

def order_row(ctx, order):
    words = ctx.words
    return {
        "ticket": order.ticket, "symbol": order.symbol,
        "type": words.name(words.order_type_names, order.type),
        "type_time": words.name(words.time_names, order.type_time),
        "type_filling": words.name(words.filling_names, order.type_filling),
        "state": words.name(words.state_names, order.state),
        "reason": words.name(words.order_reason_names, order.reason),
        "magic": order.magic, "comment": order.comment, "position_id": order.position_id,
        "time_setup_ms": ctx.to_utc(order.time_setup_msc),
        "time_done_ms": ctx.to_utc(order.time_done_msc),
        "volume_initial": ctx.volume(order.symbol, order.volume_initial),
        "volume_current": ctx.volume(order.symbol, order.volume_current),
        "price_open": ctx.price(order.symbol, order.price_open),
        "price_stoplimit": ctx.price(order.symbol, order.price_stoplimit),
        "price_current": ctx.price(order.symbol, order.price_current),
        "sl": ctx.price(order.symbol, order.sl), "tp": ctx.price(order.symbol, order.tp),
    }


def position_row(ctx, position):
    words = ctx.words
    return {
        "ticket": position.ticket, "identifier": position.identifier,
        "symbol": position.symbol,
        "type": words.name(words.position_type_names, position.type),
        "magic": position.magic, "comment": position.comment,
        "time_ms": ctx.to_utc(position.time_msc),
        "time_update_ms": ctx.to_utc(position.time_update_msc),
        "volume": ctx.volume(position.symbol, position.volume),
        "price_open": ctx.price(position.symbol, position.price_open),
        "price_current": ctx.price(position.symbol, position.price_current),
        "sl": ctx.price(position.symbol, position.sl),
        "tp": ctx.price(position.symbol, position.tp),
        "swap": ctx.money(position.swap), "profit": ctx.money(position.profit),
    }


def deal_row(ctx, deal):
    words = ctx.words
    return {
        "ticket": deal.ticket, "order": deal.order, "symbol": deal.symbol,
        "type": words.name(words.deal_type_names, deal.type),
        "entry": words.name(words.entry_names, deal.entry),
        "reason": words.name(words.deal_reason_names, deal.reason),
        "magic": deal.magic, "comment": deal.comment, "position_id": deal.position_id,
        "time_ms": ctx.to_utc(deal.time_msc),
        "volume": ctx.volume(deal.symbol, deal.volume),
        "price": ctx.price(deal.symbol, deal.price),
        "commission": ctx.money(deal.commission), "swap": ctx.money(deal.swap),
        "profit": ctx.money(deal.profit), "fee": ctx.money(deal.fee),
    }


# ----- endpoints ---------------------------------------------------------------------------------

def expect_fields(body, allowed):
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise BadRequest(unknown[0], "unknown field (allowed: %s)" % ", ".join(sorted(allowed)))


def health(ctx, body):
    expect_fields(body, ())
    ctx.bridge.clock.measure(ctx)
    info = ctx.call("terminal_info")
    terminal = None
    if info is not None:
        terminal = {"connected": bool(info.connected), "trade_allowed": bool(info.trade_allowed),
                    "tradeapi_disabled": bool(info.tradeapi_disabled), "build": int(info.build),
                    "name": str(info.name), "company": str(info.company)}
    return {"protocol": PROTOCOL_VERSION, "bridge_version": BRIDGE_VERSION,
            "emulator": ctx.bridge.emulator, "terminal": terminal,
            "terminal_error": None if info is not None else ctx.last_error()}


def account(ctx, body):
    expect_fields(body, ())
    ctx.bridge.clock.measure(ctx)
    info = ctx.call("account_info")
    if info is None:
        raise Mt5CallFailed("account_info", ctx.last_error())
    fields = info._asdict()
    out = {"login": verbatim(fields.get("login")),
           "margin_mode": verbatim(fields.get("margin_mode")),
           "leverage": verbatim(fields.get("leverage")),
           "currency": verbatim(fields.get("currency")),
           "currency_digits": verbatim(fields.get("currency_digits")),
           "trade_allowed": verbatim(fields.get("trade_allowed")),
           "trade_expert": verbatim(fields.get("trade_expert")),
           "fifo_close": verbatim(fields.get("fifo_close")),
           "name": verbatim(fields.get("name")), "server": verbatim(fields.get("server")),
           "company": verbatim(fields.get("company"))}
    # The guard's field: passed on exactly as the terminal gave it, or left out when the
    # structure has no such field. The bridge never supplies a default (DEMO is 0).
    if "trade_mode" in fields:
        out["trade_mode"] = verbatim(fields["trade_mode"])
    for name in ("balance", "equity", "profit", "credit", "margin", "margin_free"):
        out[name] = ctx.money(fields[name])
    terminal = ctx.call("terminal_info")
    out["terminal"] = None if terminal is None else {
        "connected": bool(terminal.connected), "trade_allowed": bool(terminal.trade_allowed),
        "tradeapi_disabled": bool(terminal.tradeapi_disabled)}
    return out


def select_symbol(ctx, symbol):
    if not isinstance(symbol, str) or not symbol or len(symbol) > 64:
        raise BadRequest("symbol", "must be a symbol name")
    if not ctx.call("symbol_select", symbol, True):
        raise NotFound("symbol", "the terminal does not know symbol " + symbol,
                       ctx.last_error())


def symbol(ctx, body):
    expect_fields(body, ("symbol",))
    name = body.get("symbol")
    select_symbol(ctx, name)
    info = ctx.call("symbol_info", name)
    if info is None:
        raise NotFound("symbol", "the terminal does not know symbol " + name, ctx.last_error())
    digits = int(info.digits)
    volume_places = max(places_of(info.volume_step), places_of(info.volume_min))
    return {
        "symbol": name, "digits": digits, "point": fixed(info.point, digits),
        "trade_tick_size": plain(info.trade_tick_size),
        "trade_tick_value": plain(info.trade_tick_value),
        "trade_contract_size": plain(info.trade_contract_size),
        "volume_min": fixed(info.volume_min, volume_places),
        "volume_max": fixed(info.volume_max, volume_places),
        "volume_step": fixed(info.volume_step, volume_places),
        "volume_limit": fixed(info.volume_limit, volume_places),
        "trade_mode": int(info.trade_mode), "trade_exemode": int(info.trade_exemode),
        "filling_mode": int(info.filling_mode), "expiration_mode": int(info.expiration_mode),
        "order_mode": int(info.order_mode), "order_gtc_mode": int(info.order_gtc_mode),
        "trade_stops_level": int(info.trade_stops_level),
        "trade_freeze_level": int(info.trade_freeze_level),
        "currency_base": info.currency_base, "currency_profit": info.currency_profit,
        "currency_margin": info.currency_margin, "description": info.description,
        "bid": fixed(info.bid, digits), "ask": fixed(info.ask, digits),
        "visible": bool(info.visible), "select": bool(info.select),
    }


def tick(ctx, body):
    expect_fields(body, ("symbol",))
    name = body.get("symbol")
    select_symbol(ctx, name)
    found = ctx.call("symbol_info_tick", name)
    if found is None:
        raise Mt5CallFailed("symbol_info_tick", ctx.last_error())
    return {"symbol": name, "bid": ctx.price(name, found.bid), "ask": ctx.price(name, found.ask),
            "last": ctx.price(name, found.last), "time_ms": ctx.to_utc(found.time_msc),
            "server_time_ms": int(found.time_msc), "flags": int(found.flags)}


REQUEST_FIELDS = ("action", "symbol", "volume", "type", "price", "stoplimit", "sl", "tp",
                  "deviation", "type_filling", "type_time", "expiration_ms", "magic", "comment",
                  "order", "position", "position_by")


def trade_request(ctx, body):
    """The MT5 request dict for a protocol request (see PROTOCOL.md, "Trade requests")."""
    expect_fields(body, ("request",))
    given = body.get("request")
    if not isinstance(given, dict):
        raise BadRequest("request", "must be an object")
    expect_fields(given, REQUEST_FIELDS)
    words = ctx.words
    request = {"action": parse_choice("request.action", given.get("action"), words.actions)}
    for field in ("volume", "price", "stoplimit", "sl", "tp"):
        if field in given:
            request[field] = parse_decimal("request." + field, given[field])
    for field, table in (("type", words.order_types), ("type_filling", words.fillings),
                         ("type_time", words.times)):
        if field in given:
            request[field] = parse_choice("request." + field, given[field], table)
    for field in ("deviation", "magic", "order", "position", "position_by"):
        if field in given:
            request[field] = parse_int("request." + field, given[field])
    if "expiration_ms" in given:
        request["expiration"] = ctx.to_server_seconds(
            parse_int("request.expiration_ms", given["expiration_ms"]))
    if "comment" in given:
        comment = given["comment"]
        if not isinstance(comment, str) or len(comment) > MAX_COMMENT or not comment.isascii():
            raise BadRequest("request.comment", "must be ASCII text of at most 31 characters")
        request["comment"] = comment
    symbol_name = given.get("symbol")
    if symbol_name is None and "order" in request:
        found = ctx.call("orders_get", ticket=request["order"])
        if found:
            symbol_name = found[0].symbol
    elif symbol_name is not None:
        select_symbol(ctx, symbol_name)
        request["symbol"] = symbol_name
    if request["action"] == ctx.mt5.TRADE_ACTION_DEAL and "price" not in request:
        # A market order goes at the current ask (buy) or bid (sell), read just before sending.
        quote = ctx.call("symbol_info_tick", symbol_name)
        if quote is None:
            raise Mt5CallFailed("symbol_info_tick", ctx.last_error())
        buy = request.get("type") == ctx.mt5.ORDER_TYPE_BUY
        request["price"] = float(quote.ask if buy else quote.bid)
    return request, symbol_name


def send_result(ctx, symbol_name, result):
    words = ctx.words
    if result is None:
        return {"result": None, "last_error": ctx.last_error()}
    return {"result": {
        "retcode": int(result.retcode),
        "retcode_name": words.name(words.retcode_names, result.retcode),
        "deal": int(result.deal), "order": int(result.order),
        "volume": ctx.volume(symbol_name, result.volume),
        "price": ctx.price(symbol_name, result.price),
        "bid": ctx.price(symbol_name, result.bid), "ask": ctx.price(symbol_name, result.ask),
        "comment": str(result.comment), "request_id": int(result.request_id),
        "retcode_external": int(result.retcode_external)},
        "last_error": ctx.last_error()}


def order_send(ctx, body):
    request, symbol_name = trade_request(ctx, body)
    return send_result(ctx, symbol_name, ctx.call("order_send", request))


def order_check(ctx, body):
    request, symbol_name = trade_request(ctx, body)
    result = ctx.call("order_check", request)
    if result is None:
        return {"result": None, "last_error": ctx.last_error()}
    words = ctx.words
    return {"result": {
        "retcode": int(result.retcode),
        "retcode_name": "done" if result.retcode == 0 else words.name(words.retcode_names,
                                                                      result.retcode),
        "comment": str(result.comment), "balance": ctx.money(result.balance),
        "equity": ctx.money(result.equity), "profit": ctx.money(result.profit),
        "margin": ctx.money(result.margin), "margin_free": ctx.money(result.margin_free),
        "margin_level": plain(result.margin_level)},
        "last_error": ctx.last_error()}


def live_filter(body):
    expect_fields(body, ("symbol", "magic", "ticket"))
    query = {}
    if "symbol" in body:
        query["symbol"] = body["symbol"]
    if "ticket" in body:
        query["ticket"] = parse_int("ticket", body["ticket"])
    magic = parse_int("magic", body["magic"]) if "magic" in body else None
    return query, magic


def orders(ctx, body):
    query, magic = live_filter(body)
    rows = ctx.many("orders_get", **query)
    return {"orders": [order_row(ctx, row) for row in rows
                       if magic is None or row.magic == magic]}


def positions(ctx, body):
    query, magic = live_filter(body)
    rows = ctx.many("positions_get", **query)
    return {"positions": [position_row(ctx, row) for row in rows
                          if magic is None or row.magic == magic]}


def history_query(ctx, body):
    """(args, kwargs, magic) for history_*_get from {from_ms, to_ms} | {order} | {position}."""
    expect_fields(body, ("from_ms", "to_ms", "order", "position", "magic"))
    magic = parse_int("magic", body["magic"]) if "magic" in body else None
    forms = [key for key in ("from_ms", "order", "position") if key in body]
    if len(forms) != 1 or ("to_ms" in body) != ("from_ms" in body):
        raise BadRequest("from_ms", "give exactly one of {from_ms, to_ms}, order, position")
    if "order" in body:
        return (), {"ticket": parse_int("order", body["order"])}, magic
    if "position" in body:
        return (), {"position": parse_int("position", body["position"])}, magic
    start = ctx.to_server_seconds(parse_int("from_ms", body["from_ms"]))
    end = ctx.to_server_seconds(parse_int("to_ms", body["to_ms"]))
    return (start, end), {}, magic


def deals(ctx, body):
    args, kwargs, magic = history_query(ctx, body)
    rows = ctx.many("history_deals_get", *args, **kwargs)
    return {"deals": [deal_row(ctx, row) for row in rows
                      if magic is None or row.magic == magic]}


def history_orders(ctx, body):
    args, kwargs, magic = history_query(ctx, body)
    rows = ctx.many("history_orders_get", *args, **kwargs)
    return {"orders": [order_row(ctx, row) for row in rows
                       if magic is None or row.magic == magic]}


def last_error(ctx, body):
    expect_fields(body, ())
    return ctx.last_error()


def order_by_tag(ctx, body):
    """Everything carrying `magic` and the comment `tag`: working orders, finished orders, deals
    and positions. The runtime calls this before any resend (MT5 has no idempotency key)."""
    expect_fields(body, ("magic", "tag", "since_ms"))
    magic = parse_int("magic", body.get("magic"))
    tag = body.get("tag")
    if not isinstance(tag, str) or not tag or len(tag) > MAX_COMMENT:
        raise BadRequest("tag", "must be the order's comment tag")
    now = wall_ms()
    since = parse_int("since_ms", body.get("since_ms", now - 30 * 86_400_000))
    start = ctx.to_server_seconds(since)
    end = ctx.to_server_seconds(now + 86_400_000)

    def ours(row):
        return row.magic == magic and row.comment == tag

    return {
        "orders": [order_row(ctx, row) for row in ctx.many("orders_get") if ours(row)],
        "history_orders": [order_row(ctx, row)
                           for row in ctx.many("history_orders_get", start, end) if ours(row)],
        "deals": [deal_row(ctx, row) for row in ctx.many("history_deals_get", start, end)
                  if ours(row)],
        "positions": [position_row(ctx, row) for row in ctx.many("positions_get") if ours(row)],
    }


ROUTES = {
    "/v1/health": health,
    "/v1/account": account,
    "/v1/symbol": symbol,
    "/v1/tick": tick,
    "/v1/order_check": order_check,
    "/v1/order_send": order_send,
    "/v1/orders": orders,
    "/v1/positions": positions,
    "/v1/deals": deals,
    "/v1/history_orders": history_orders,
    "/v1/last_error": last_error,
    "/v1/order_by_tag": order_by_tag,
}
