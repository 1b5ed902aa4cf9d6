"""The emulator's control surface, served under /emulator/... only when the bridge runs with
--emulator (the routes are never registered otherwise, so they cannot exist beside a real
terminal). Same authentication as every other endpoint. See PROTOCOL.md, "Emulator control"."""

import bridge_api as api


def text_number(field, value):
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise api.BadRequest(field, "must be a decimal string")
    return str(value)


def tick(bridge):
    def handler(ctx, body):
        api.expect_fields(body, ("symbol", "bid", "ask"))
        deals = bridge.mt5.emulator_set_tick(body.get("symbol"),
                                             text_number("bid", body.get("bid")),
                                             text_number("ask", body.get("ask")))
        return {"deals": deals}
    return handler


def bar(bridge):
    def handler(ctx, body):
        api.expect_fields(body, ("symbol", "open", "high", "low", "close", "volume"))
        prices = [text_number(key, body.get(key)) for key in ("open", "high", "low", "close")]
        volume = body.get("volume")
        deals = bridge.mt5.emulator_feed_bar(
            body.get("symbol"), *prices,
            volume=None if volume is None else text_number("volume", volume))
        return {"deals": deals}
    return handler


def account(bridge):
    def handler(ctx, body):
        try:
            bridge.mt5.emulator_set_account(**body)
        except KeyError as error:
            raise api.BadRequest(str(error.args[0]).split()[-1], str(error.args[0])) from None
        return {"account": "updated"}
    return handler


def symbol(bridge):
    def handler(ctx, body):
        fields = dict(body)
        name = fields.pop("symbol", None)
        if not isinstance(name, str):
            raise api.BadRequest("symbol", "must be a symbol name")
        try:
            bridge.mt5.emulator_set_symbol(name, **fields)
        except KeyError as error:
            raise api.BadRequest(str(error.args[0]).split()[-1], str(error.args[0])) from None
        return {"symbol": name}
    return handler


def fail_next(bridge):
    def handler(ctx, body):
        api.expect_fields(body, ("call", "retcode", "error"))
        try:
            bridge.mt5.emulator_fail_next(body.get("call"), retcode=body.get("retcode"),
                                          error=body.get("error"))
        except ValueError as error:
            raise api.BadRequest("retcode", str(error)) from None
        return {"armed": body.get("call")}
    return handler


def drop_next_response(bridge):
    def handler(ctx, body):
        api.expect_fields(body, ("path",))
        path = body.get("path")
        if path not in bridge.routes:
            raise api.BadRequest("path", "not an endpoint of this bridge")
        bridge.drop_next.add(path)
        return {"armed": path}
    return handler


def end_of_day(bridge):
    def handler(ctx, body):
        api.expect_fields(body, ())
        return {"expired": bridge.mt5.emulator_end_of_day()}
    return handler


def stats(bridge):
    def handler(ctx, body):
        api.expect_fields(body, ())
        return {"calls": bridge.mt5.emulator_stats()}
    return handler


def clock(bridge):
    def handler(ctx, body):
        api.expect_fields(body, ("utc_ms",))
        bridge.mt5.emulator_set_clock(body.get("utc_ms"))
        return {"utc_ms": body.get("utc_ms")}
    return handler


def routes(bridge):
    return {
        "/emulator/tick": tick(bridge),
        "/emulator/bar": bar(bridge),
        "/emulator/account": account(bridge),
        "/emulator/symbol": symbol(bridge),
        "/emulator/fail_next": fail_next(bridge),
        "/emulator/drop_next_response": drop_next_response(bridge),
        "/emulator/end_of_day": end_of_day(bridge),
        "/emulator/stats": stats(bridge),
        "/emulator/clock": clock(bridge),
    }
