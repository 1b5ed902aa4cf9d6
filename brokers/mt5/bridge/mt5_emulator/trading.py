"""What the emulated trade server does with a request: validation with MT5's return codes,
market deals, pending orders (placed, modified, removed, triggered by ticks and bars), positions
on netting and hedging accounts, and the deal history."""

from decimal import Decimal

from . import constants as c
from .state import dec

RETCODE_COMMENTS = {
    c.TRADE_RETCODE_REQUOTE: "Requote",
    c.TRADE_RETCODE_REJECT: "Request rejected",
    c.TRADE_RETCODE_PLACED: "Order placed",
    c.TRADE_RETCODE_DONE: "Request executed",
    c.TRADE_RETCODE_DONE_PARTIAL: "Request executed partially",
    c.TRADE_RETCODE_INVALID: "Invalid request",
    c.TRADE_RETCODE_INVALID_VOLUME: "Invalid volume",
    c.TRADE_RETCODE_INVALID_PRICE: "Invalid price",
    c.TRADE_RETCODE_TRADE_DISABLED: "Trade disabled",
    c.TRADE_RETCODE_MARKET_CLOSED: "Market closed",
    c.TRADE_RETCODE_NO_MONEY: "No money",
    c.TRADE_RETCODE_NO_CHANGES: "No changes",
    c.TRADE_RETCODE_INVALID_FILL: "Unsupported filling mode",
    c.TRADE_RETCODE_INVALID_ORDER: "Invalid order",
    c.TRADE_RETCODE_POSITION_CLOSED: "Position already closed",
    c.TRADE_RETCODE_INVALID_CLOSE_VOLUME: "Invalid close volume",
    c.TRADE_RETCODE_TIMEOUT: "Request timeout",
    c.TRADE_RETCODE_CONNECTION: "No connection with the trade server",
    c.TRADE_RETCODE_TOO_MANY_REQUESTS: "Too many requests",
    c.TRADE_RETCODE_PRICE_OFF: "Off quotes",
    c.TRADE_RETCODE_PRICE_CHANGED: "Prices changed",
}

REQUEST_FIELDS = ("action", "magic", "order", "symbol", "volume", "price", "stoplimit", "sl",
                  "tp", "deviation", "type", "type_filling", "type_time", "expiration",
                  "comment", "position", "position_by")

BUY_TYPES = (c.ORDER_TYPE_BUY, c.ORDER_TYPE_BUY_LIMIT, c.ORDER_TYPE_BUY_STOP,
             c.ORDER_TYPE_BUY_STOP_LIMIT)
PENDING_TYPES = (c.ORDER_TYPE_BUY_LIMIT, c.ORDER_TYPE_SELL_LIMIT, c.ORDER_TYPE_BUY_STOP,
                 c.ORDER_TYPE_SELL_STOP, c.ORDER_TYPE_BUY_STOP_LIMIT,
                 c.ORDER_TYPE_SELL_STOP_LIMIT)
SYMBOL_FILLING_FOK = 1
SYMBOL_FILLING_IOC = 2


class Refused(Exception):
    """A request the trade server answers with a return code and no execution."""

    def __init__(self, retcode, comment=None):
        super().__init__(retcode)
        self.retcode = retcode
        self.comment = comment or RETCODE_COMMENTS.get(retcode, "Request failed")


class Outcome:
    """What a successful request did, for the OrderSendResult."""

    def __init__(self, retcode, order=0, deal=0, volume=Decimal(0), price=Decimal(0)):
        self.retcode = retcode
        self.order = order
        self.deal = deal
        self.volume = volume
        self.price = price


def is_buy(order_type):
    return order_type in BUY_TYPES


# ----- validation --------------------------------------------------------------------------------

def symbol_for(terminal, name):
    symbol = terminal.symbols.get(name)
    if symbol is None:
        raise Refused(c.TRADE_RETCODE_INVALID, "Unknown symbol")
    if not symbol["selected"]:
        raise Refused(c.TRADE_RETCODE_INVALID, "Symbol is not selected in Market Watch")
    return symbol


def check_volume(symbol, volume):
    if volume is None or volume <= 0:
        raise Refused(c.TRADE_RETCODE_INVALID_VOLUME)
    if volume < symbol["volume_min"] or volume > symbol["volume_max"]:
        raise Refused(c.TRADE_RETCODE_INVALID_VOLUME)
    if (volume / symbol["volume_step"]) % 1 != 0:
        raise Refused(c.TRADE_RETCODE_INVALID_VOLUME)


def check_price(symbol, price):
    if price is None or price <= 0:
        raise Refused(c.TRADE_RETCODE_INVALID_PRICE)
    if price != price.quantize(symbol["point"]):
        raise Refused(c.TRADE_RETCODE_INVALID_PRICE, "Price not normalized to the symbol's digits")


def check_tradeable(symbol):
    if symbol["trade_mode"] == c.SYMBOL_TRADE_MODE_DISABLED:
        raise Refused(c.TRADE_RETCODE_TRADE_DISABLED)
    if not symbol["session_open"]:
        raise Refused(c.TRADE_RETCODE_MARKET_CLOSED)


def check_filling(symbol, filling, pending):
    allowed = symbol["filling_mode"]
    if filling == c.ORDER_FILLING_FOK and allowed & SYMBOL_FILLING_FOK:
        return
    if filling == c.ORDER_FILLING_IOC and allowed & SYMBOL_FILLING_IOC:
        return
    if filling == c.ORDER_FILLING_RETURN and (
            pending or symbol["trade_exemode"] != c.SYMBOL_TRADE_EXECUTION_MARKET):
        return
    raise Refused(c.TRADE_RETCODE_INVALID_FILL)


def check_pending_price(symbol, order_type, price, stoplimit):
    check_price(symbol, price)
    bid, ask = symbol["bid"], symbol["ask"]
    valid = {
        c.ORDER_TYPE_BUY_LIMIT: price < ask,
        c.ORDER_TYPE_SELL_LIMIT: price > bid,
        c.ORDER_TYPE_BUY_STOP: price > ask,
        c.ORDER_TYPE_SELL_STOP: price < bid,
        c.ORDER_TYPE_BUY_STOP_LIMIT: price > ask,
        c.ORDER_TYPE_SELL_STOP_LIMIT: price < bid,
    }[order_type]
    if not valid:
        raise Refused(c.TRADE_RETCODE_INVALID_PRICE)
    if order_type == c.ORDER_TYPE_BUY_STOP_LIMIT:
        check_price(symbol, stoplimit)
        if stoplimit > price:
            raise Refused(c.TRADE_RETCODE_INVALID_PRICE, "Stop limit above the trigger")
    if order_type == c.ORDER_TYPE_SELL_STOP_LIMIT:
        check_price(symbol, stoplimit)
        if stoplimit < price:
            raise Refused(c.TRADE_RETCODE_INVALID_PRICE, "Stop limit below the trigger")


def check_margin(terminal, symbol, order_type, volume, price, position_ticket):
    """Refuses with NO_MONEY when the account's free margin cannot carry the deal."""
    after = {ticket: dict(position) for ticket, position in terminal.positions.items()}
    apply_to_positions(terminal, after, symbol, order_type, volume, price, position_ticket, 0)
    extra = terminal.used_margin(after) - terminal.used_margin()
    free = terminal.equity() - terminal.used_margin()
    if extra > 0 and extra > free:
        raise Refused(c.TRADE_RETCODE_NO_MONEY)


# ----- positions and deals -----------------------------------------------------------------------

def apply_to_positions(terminal, positions, symbol, order_type, volume, price, position_ticket,
                       order_ticket):
    """Moves `positions` by one execution; returns (entry, position id, realised profit)."""
    contract = symbol["contract_size"]
    side = c.POSITION_TYPE_BUY if is_buy(order_type) else c.POSITION_TYPE_SELL
    hedging = terminal.account["margin_mode"] == c.ACCOUNT_MARGIN_MODE_RETAIL_HEDGING
    if hedging:
        target = positions.get(position_ticket) if position_ticket else None
    else:
        target = next((position for position in positions.values()
                       if position["symbol"] == symbol["name"]), None)
    now = terminal.server_ms()
    if target is None:
        positions[order_ticket] = {
            "ticket": order_ticket, "identifier": order_ticket, "symbol": symbol["name"],
            "type": side, "volume": volume, "price_open": price, "sl": Decimal(0),
            "tp": Decimal(0), "magic": 0, "comment": "", "time_ms": now, "time_update_ms": now,
            "reason": c.POSITION_REASON_EXPERT,
        }
        return c.DEAL_ENTRY_IN, order_ticket, Decimal(0)
    target["time_update_ms"] = now
    if target["type"] == side:
        total = target["volume"] + volume
        target["price_open"] = (target["price_open"] * target["volume"] + price * volume) / total
        target["volume"] = total
        return c.DEAL_ENTRY_IN, target["identifier"], Decimal(0)
    closing = min(volume, target["volume"])
    direction = 1 if target["type"] == c.POSITION_TYPE_BUY else -1
    profit = terminal.money((price - target["price_open"]) * closing * contract * direction)
    if volume < target["volume"]:
        target["volume"] -= volume
        return c.DEAL_ENTRY_OUT, target["identifier"], profit
    if volume == target["volume"]:
        del positions[target["ticket"]]
        return c.DEAL_ENTRY_OUT, target["identifier"], profit
    # Netting reversal: one INOUT deal closes the position and opens the rest the other way; the
    # emulator keeps the position's ticket and identifier.
    target["type"] = side
    target["volume"] = volume - closing
    target["price_open"] = price
    return c.DEAL_ENTRY_INOUT, target["identifier"], profit


def execute(terminal, order, volume, price):
    """Books one deal for `order` at `price`; returns the deal."""
    symbol = terminal.symbols[order["symbol"]]
    entry, position_id, profit = apply_to_positions(
        terminal, terminal.positions, symbol, order["type"], volume, price,
        order.get("position", 0), order["ticket"])
    position = next((p for p in terminal.positions.values() if p["identifier"] == position_id),
                    None)
    if position is not None and entry == c.DEAL_ENTRY_IN and position["magic"] == 0:
        position["magic"] = order["magic"]
        position["comment"] = order["comment"]
    commission = -terminal.money(symbol["commission_per_lot"] * volume)
    terminal.account["balance"] += profit + commission
    deal = {
        "ticket": terminal.take_deal(), "order": order["ticket"], "time_ms": terminal.server_ms(),
        "type": c.DEAL_TYPE_BUY if is_buy(order["type"]) else c.DEAL_TYPE_SELL,
        "entry": entry, "magic": order["magic"], "position_id": position_id,
        "reason": c.DEAL_REASON_EXPERT, "volume": volume, "price": price,
        "commission": commission, "swap": Decimal(0), "profit": profit, "fee": Decimal(0),
        "symbol": order["symbol"], "comment": order["comment"],
    }
    terminal.deals[deal["ticket"]] = deal
    order["position_id"] = position_id
    order["volume_current"] -= volume
    return deal


def finish(terminal, order, state):
    order["state"] = state
    order["time_done_ms"] = terminal.server_ms()
    terminal.orders.pop(order["ticket"], None)
    terminal.history_orders[order["ticket"]] = order


def new_order(terminal, request, symbol, order_type, volume, price):
    now = terminal.server_ms()
    return {
        "ticket": terminal.take_ticket(), "symbol": symbol["name"], "type": order_type,
        "type_time": request["type_time"], "type_filling": request["type_filling"],
        "state": c.ORDER_STATE_STARTED, "magic": request["magic"], "position_id": 0,
        "position": request["position"], "reason": c.ORDER_REASON_EXPERT,
        "volume_initial": volume, "volume_current": volume, "price_open": price,
        "stoplimit": request["stoplimit"], "sl": request["sl"], "tp": request["tp"],
        "comment": request["comment"], "time_setup_ms": now, "time_done_ms": 0,
        "expiration": request["expiration"],
    }


# ----- the request handlers ----------------------------------------------------------------------

def normalise(request):
    """The request with every field present, numbers as Decimal; refuses unknown fields."""
    unknown = set(request) - set(REQUEST_FIELDS)
    if unknown:
        raise ValueError("unknown request fields: " + ", ".join(sorted(unknown)))
    if "action" not in request:
        raise ValueError("action is required")
    full = {field: request.get(field) for field in REQUEST_FIELDS}
    for field in ("volume", "price", "stoplimit", "sl", "tp"):
        full[field] = dec(full[field]) if full[field] is not None else Decimal(0)
    for field in ("magic", "order", "deviation", "type", "type_filling", "type_time",
                  "expiration", "position", "position_by"):
        full[field] = int(full[field] or 0)
    full["comment"] = str(full["comment"] or "")[:31]
    full["symbol"] = str(full["symbol"] or "")
    return full


def check(terminal, request):
    """Validates without executing (order_check); raises Refused."""
    action = request["action"]
    if action == c.TRADE_ACTION_DEAL:
        deal(terminal, request, dry_run=True)
    elif action == c.TRADE_ACTION_PENDING:
        pending(terminal, request, dry_run=True)
    elif action in (c.TRADE_ACTION_MODIFY, c.TRADE_ACTION_REMOVE):
        if request["order"] not in terminal.orders:
            raise Refused(c.TRADE_RETCODE_INVALID, "Unknown order")
    else:
        raise Refused(c.TRADE_RETCODE_INVALID)


def send(terminal, request):
    action = request["action"]
    if action == c.TRADE_ACTION_DEAL:
        return deal(terminal, request, dry_run=False)
    if action == c.TRADE_ACTION_PENDING:
        return pending(terminal, request, dry_run=False)
    if action == c.TRADE_ACTION_MODIFY:
        return modify(terminal, request)
    if action == c.TRADE_ACTION_REMOVE:
        return remove(terminal, request)
    if action == c.TRADE_ACTION_SLTP:
        return sltp(terminal, request)
    raise Refused(c.TRADE_RETCODE_INVALID, "Action not supported by the emulator")


def deal(terminal, request, dry_run):
    symbol = symbol_for(terminal, request["symbol"])
    order_type = request["type"]
    if order_type not in (c.ORDER_TYPE_BUY, c.ORDER_TYPE_SELL):
        raise Refused(c.TRADE_RETCODE_INVALID, "Invalid order type for a deal")
    volume = request["volume"]
    check_volume(symbol, volume)
    check_tradeable(symbol)
    check_filling(symbol, request["type_filling"], pending=False)
    position_ticket = request["position"]
    if position_ticket:
        position = terminal.positions.get(position_ticket)
        if position is None:
            raise Refused(c.TRADE_RETCODE_POSITION_CLOSED)
        if position["symbol"] != symbol["name"] or is_buy(order_type) == (
                position["type"] == c.POSITION_TYPE_BUY):
            raise Refused(c.TRADE_RETCODE_INVALID, "Position does not match the request")
        if volume > position["volume"]:
            raise Refused(c.TRADE_RETCODE_INVALID_CLOSE_VOLUME)
    market = symbol["ask"] if is_buy(order_type) else symbol["bid"]
    asked = request["price"]
    if asked < 0:
        raise Refused(c.TRADE_RETCODE_INVALID_PRICE)
    if asked > 0 and symbol["trade_exemode"] in (c.SYMBOL_TRADE_EXECUTION_REQUEST,
                                                 c.SYMBOL_TRADE_EXECUTION_INSTANT):
        if abs(asked - market) > symbol["point"] * request["deviation"]:
            raise Refused(c.TRADE_RETCODE_REQUOTE)
    available = symbol["liquidity"]
    fill = volume if available is None else min(volume, available)
    if request["type_filling"] == c.ORDER_FILLING_FOK and fill < volume:
        raise Refused(c.TRADE_RETCODE_REJECT, "Not enough liquidity to fill or kill")
    if fill <= 0:
        raise Refused(c.TRADE_RETCODE_REJECT, "No liquidity")
    check_margin(terminal, symbol, order_type, fill, market, position_ticket)
    if dry_run:
        return None
    order = new_order(terminal, request, symbol, order_type, volume, market)
    made = execute(terminal, order, fill, market)
    finish(terminal, order,
           c.ORDER_STATE_FILLED if fill == volume else c.ORDER_STATE_CANCELED)
    retcode = c.TRADE_RETCODE_DONE if fill == volume else c.TRADE_RETCODE_DONE_PARTIAL
    return Outcome(retcode, order=order["ticket"], deal=made["ticket"], volume=fill, price=market)


def pending(terminal, request, dry_run):
    symbol = symbol_for(terminal, request["symbol"])
    order_type = request["type"]
    if order_type not in PENDING_TYPES:
        raise Refused(c.TRADE_RETCODE_INVALID, "Invalid order type for a pending order")
    check_volume(symbol, request["volume"])
    check_tradeable(symbol)
    check_filling(symbol, request["type_filling"], pending=True)
    if request["type_time"] not in (c.ORDER_TIME_GTC, c.ORDER_TIME_DAY, c.ORDER_TIME_SPECIFIED,
                                    c.ORDER_TIME_SPECIFIED_DAY):
        raise Refused(c.TRADE_RETCODE_INVALID_EXPIRATION)
    check_pending_price(symbol, order_type, request["price"], request["stoplimit"])
    if dry_run:
        return None
    order = new_order(terminal, request, symbol, order_type, request["volume"], request["price"])
    order["state"] = c.ORDER_STATE_PLACED
    terminal.orders[order["ticket"]] = order
    return Outcome(c.TRADE_RETCODE_PLACED, order=order["ticket"], volume=request["volume"],
                   price=request["price"])


def modify(terminal, request):
    order = terminal.orders.get(request["order"])
    if order is None:
        raise Refused(c.TRADE_RETCODE_INVALID, "Unknown order")
    symbol = terminal.symbols[order["symbol"]]
    price = request["price"]
    stoplimit = request["stoplimit"] if request["stoplimit"] else order["stoplimit"]
    check_pending_price(symbol, order["type"], price, stoplimit)
    unchanged = (price == order["price_open"] and stoplimit == order["stoplimit"]
                 and request["sl"] == order["sl"] and request["tp"] == order["tp"]
                 and request["type_time"] == order["type_time"])
    if unchanged:
        raise Refused(c.TRADE_RETCODE_NO_CHANGES)
    # MT5 cannot change a pending order's volume: the request's volume is ignored.
    order.update(price_open=price, stoplimit=stoplimit, sl=request["sl"], tp=request["tp"],
                 type_time=request["type_time"], expiration=request["expiration"])
    return Outcome(c.TRADE_RETCODE_DONE, order=order["ticket"], volume=order["volume_current"],
                   price=price)


def remove(terminal, request):
    order = terminal.orders.get(request["order"])
    if order is None:
        raise Refused(c.TRADE_RETCODE_INVALID, "Unknown order")
    finish(terminal, order, c.ORDER_STATE_CANCELED)
    return Outcome(c.TRADE_RETCODE_DONE, order=order["ticket"])


def sltp(terminal, request):
    position = terminal.positions.get(request["position"])
    if position is None:
        raise Refused(c.TRADE_RETCODE_POSITION_CLOSED)
    position["sl"], position["tp"] = request["sl"], request["tp"]
    return Outcome(c.TRADE_RETCODE_DONE)


# ----- pending orders meeting prices -------------------------------------------------------------

def trigger_level(order):
    """(side of the quote, direction that triggers, level) for an active pending order."""
    order_type = order["type"]
    price = order["price_open"]
    return {
        c.ORDER_TYPE_BUY_LIMIT: ("ask", "down", price),
        c.ORDER_TYPE_SELL_LIMIT: ("bid", "up", price),
        c.ORDER_TYPE_BUY_STOP: ("ask", "up", price),
        c.ORDER_TYPE_SELL_STOP: ("bid", "down", price),
        c.ORDER_TYPE_BUY_STOP_LIMIT: ("ask", "up", price),
        c.ORDER_TYPE_SELL_STOP_LIMIT: ("bid", "down", price),
    }[order_type]


def is_through(order, bid, ask):
    side, direction, level = trigger_level(order)
    quote = ask if side == "ask" else bid
    return quote <= level if direction == "down" else quote >= level


class Budget:
    """Lots a price event can fill: None is unlimited."""

    def __init__(self, lots):
        self.lots = lots

    def take(self, wanted):
        if self.lots is None:
            return wanted
        granted = min(wanted, self.lots)
        self.lots -= granted
        return granted


def work_order(terminal, order, price, budget):
    """A triggered order at `price`: a stop-limit becomes a limit at its stop-limit price (and
    fills at once if the quote is already through that limit); the others fill what the budget
    allows. Returns the deals made."""
    symbol = terminal.symbols[order["symbol"]]
    if order["type"] in (c.ORDER_TYPE_BUY_STOP_LIMIT, c.ORDER_TYPE_SELL_STOP_LIMIT):
        buy = order["type"] == c.ORDER_TYPE_BUY_STOP_LIMIT
        order.update(type=c.ORDER_TYPE_BUY_LIMIT if buy else c.ORDER_TYPE_SELL_LIMIT,
                     price_open=order["stoplimit"], stoplimit=Decimal(0))
        if not is_through(order, symbol["bid"], symbol["ask"]):
            return []
        price = order["price_open"]
    volume = budget.take(order["volume_current"])
    if volume <= 0:
        return []
    try:
        check_margin(terminal, symbol, order["type"], volume, price, order.get("position", 0))
    except Refused:
        finish(terminal, order, c.ORDER_STATE_REJECTED)
        return []
    made = execute(terminal, order, volume, price)
    if order["volume_current"] == 0:
        finish(terminal, order, c.ORDER_STATE_FILLED)
    else:
        order["state"] = c.ORDER_STATE_PARTIAL
    return [made]


def fill_price_at_quote(order, bid, ask):
    """At a quote already through the order: a limit fills at its price or better, a stop at
    the market (a gap fills worse than the trigger)."""
    side, _, level = trigger_level(order)
    quote = ask if side == "ask" else bid
    if order["type"] in (c.ORDER_TYPE_BUY_LIMIT, c.ORDER_TYPE_SELL_LIMIT):
        return min(quote, level) if side == "ask" else max(quote, level)
    return quote


def on_quote(terminal, symbol, budget):
    """Works, in ticket order, every order of `symbol` the current quote is through."""
    deals = []
    for order in sorted(terminal.orders.values(), key=lambda item: item["ticket"]):
        if order["symbol"] != symbol["name"] or order["ticket"] not in terminal.orders:
            continue
        if is_through(order, symbol["bid"], symbol["ask"]):
            price = fill_price_at_quote(order, symbol["bid"], symbol["ask"])
            deals.extend(work_order(terminal, order, price, budget))
    return deals


def walk(terminal, symbol, points, budget):
    """Moves the bid along `points` (the ask keeps the current spread), working each order at
    the exact level where the path crosses it: a limit fills at its price, a stop at its
    trigger. Orders the first point is already through work as on a quote (a gap)."""
    spread = symbol["ask"] - symbol["bid"]
    deals = []

    def set_bid(bid):
        symbol["bid"] = bid
        symbol["ask"] = bid + spread

    set_bid(points[0])
    deals.extend(on_quote(terminal, symbol, budget))
    for start, end in zip(points, points[1:]):
        position = start
        worked = set()
        while True:
            upward = end > position
            best = None
            for order in terminal.orders.values():
                if order["symbol"] != symbol["name"] or order["ticket"] in worked:
                    continue
                side, direction, level = trigger_level(order)
                bid_level = level - spread if side == "ask" else level
                if end == position or (direction == "up") != upward:
                    continue
                if upward and not position <= bid_level <= end:
                    continue
                if not upward and not end <= bid_level <= position:
                    continue
                rank = (abs(bid_level - position), order["ticket"])
                if best is None or rank < best[0]:
                    best = (rank, order, bid_level, level)
            if best is None:
                break
            _, order, bid_level, level = best
            worked.add(order["ticket"])
            set_bid(bid_level)
            position = bid_level
            deals.extend(work_order(terminal, order, level, budget))
        set_bid(end)
    return deals


def end_of_day(terminal):
    """Expires every DAY order, as the server does at the end of the trading day."""
    expired = [order for order in terminal.orders.values()
               if order["type_time"] == c.ORDER_TIME_DAY]
    for order in expired:
        finish(terminal, order, c.ORDER_STATE_EXPIRED)
    return [order["ticket"] for order in expired]
