"""The emulator against the MetaTrader5 module's documented behaviour."""

import copy
import os
import tempfile
import unittest
from decimal import Decimal

import support  # noqa: F401 - puts the bridge on sys.path
import mt5_emulator as mt5


def market(symbol, volume, order_type, **extra):
    request = dict(action=mt5.TRADE_ACTION_DEAL, symbol=symbol, volume=volume, type=order_type,
                   deviation=20, magic=77, comment="t", type_filling=mt5.ORDER_FILLING_IOC,
                   type_time=mt5.ORDER_TIME_GTC)
    request.update(extra)
    return mt5.order_send(request)


def pending(symbol, volume, order_type, price, **extra):
    request = dict(action=mt5.TRADE_ACTION_PENDING, symbol=symbol, volume=volume,
                   type=order_type, price=price, magic=77, comment="p",
                   type_filling=mt5.ORDER_FILLING_RETURN, type_time=mt5.ORDER_TIME_GTC)
    request.update(extra)
    return mt5.order_send(request)


class EmulatorTest(unittest.TestCase):
    def setUp(self):
        mt5.emulator_reset()
        self.assertTrue(mt5.initialize())
        for symbol in ("EURUSD", "GBPUSD", "XAUUSD", "AAPL"):
            self.assertTrue(mt5.symbol_select(symbol, True))


class Structures(EmulatorTest):
    def test_named_tuples_have_the_modules_field_order(self):
        self.assertEqual(mt5.AccountInfo._fields[:4],
                         ("login", "trade_mode", "leverage", "limit_orders"))
        self.assertEqual(mt5.Tick._fields, ("time", "bid", "ask", "last", "volume", "time_msc",
                                            "flags", "volume_real"))
        self.assertEqual(mt5.OrderSendResult._fields,
                         ("retcode", "deal", "order", "volume", "price", "bid", "ask", "comment",
                          "request_id", "retcode_external", "request"))
        self.assertEqual(mt5.TradeDeal._fields,
                         ("ticket", "order", "time", "time_msc", "type", "entry", "magic",
                          "position_id", "reason", "volume", "price", "commission", "swap",
                          "profit", "fee", "symbol", "comment", "external_id"))
        self.assertEqual(mt5.TradePosition._fields[:9],
                         ("ticket", "time", "time_msc", "time_update", "time_update_msc",
                          "type", "magic", "identifier", "reason"))
        self.assertEqual(mt5.TradeOrder._fields[-4:],
                         ("price_stoplimit", "symbol", "comment", "external_id"))
        self.assertEqual(mt5.OrderCheckResult._fields[0], "retcode")
        self.assertEqual(type(mt5.account_info()).__name__, "AccountInfo")

    def test_constants_and_return_codes_have_the_packages_values(self):
        self.assertEqual((mt5.ORDER_FILLING_FOK, mt5.ORDER_FILLING_IOC, mt5.ORDER_FILLING_RETURN,
                          mt5.ORDER_FILLING_BOC), (0, 1, 2, 3))
        self.assertEqual((mt5.TRADE_RETCODE_PLACED, mt5.TRADE_RETCODE_DONE,
                          mt5.TRADE_RETCODE_DONE_PARTIAL, mt5.TRADE_RETCODE_NO_MONEY,
                          mt5.TRADE_RETCODE_INVALID_FILL), (10008, 10009, 10010, 10019, 10030))
        self.assertEqual(mt5.RES_E_INTERNAL_FAIL_CONNECT, -10004)
        self.assertEqual(mt5.TIMEFRAME_D1, 16408)
        self.assertEqual(mt5.DEAL_TAX, 17)
        self.assertFalse(hasattr(mt5, "TRADE_RETCODE_HEDGE_PROHIBITED"))

    def test_calls_before_initialize_return_none_and_say_why(self):
        mt5.shutdown()
        self.assertIsNone(mt5.account_info())
        self.assertEqual(mt5.last_error(), (mt5.RES_E_INTERNAL_FAIL_CONNECT, "No IPC connection"))
        self.assertFalse(mt5.initialize(login=1234))
        self.assertEqual(mt5.last_error()[0], mt5.RES_E_AUTH_FAILED)

    def test_trade_mode_can_be_missing_or_garbled(self):
        mt5.emulator_set_account(trade_mode="missing")
        self.assertNotIn("trade_mode", mt5.account_info()._fields)
        mt5.emulator_set_account(trade_mode="REAL?")
        self.assertEqual(mt5.account_info().trade_mode, "REAL?")
        mt5.emulator_set_account(trade_mode=mt5.ACCOUNT_TRADE_MODE_REAL)
        self.assertEqual(mt5.account_info().trade_mode, 2)


class MarketDeals(EmulatorTest):
    def test_a_market_buy_fills_at_the_ask_and_opens_a_position(self):
        result = market("EURUSD", 0.10, mt5.ORDER_TYPE_BUY)
        self.assertEqual(result.retcode, mt5.TRADE_RETCODE_DONE)
        self.assertEqual(result.price, 1.1001)
        self.assertEqual(result.volume, 0.1)
        deal, = mt5.history_deals_get(ticket=result.order)
        self.assertEqual((deal.entry, deal.magic, deal.comment, deal.commission),
                         (mt5.DEAL_ENTRY_IN, 77, "t", -0.35))
        position, = mt5.positions_get(symbol="EURUSD")
        self.assertEqual((position.ticket, position.volume, position.type),
                         (result.order, 0.1, mt5.POSITION_TYPE_BUY))
        order, = mt5.history_orders_get(ticket=result.order)
        self.assertEqual(order.state, mt5.ORDER_STATE_FILLED)

    def test_netting_reversal_is_one_inout_deal(self):
        market("EURUSD", 0.10, mt5.ORDER_TYPE_BUY)
        result = market("EURUSD", 0.30, mt5.ORDER_TYPE_SELL)
        deal, = mt5.history_deals_get(ticket=result.order)
        self.assertEqual(deal.entry, mt5.DEAL_ENTRY_INOUT)
        self.assertEqual(deal.profit, -1.0)  # bought at 1.10010, sold at 1.10000, 0.1 lot
        position, = mt5.positions_get()
        self.assertEqual((position.type, position.volume), (mt5.POSITION_TYPE_SELL, 0.2))

    def test_hedging_keeps_one_position_per_ticket_and_closes_by_ticket(self):
        mt5.emulator_set_account(margin_mode=mt5.ACCOUNT_MARGIN_MODE_RETAIL_HEDGING)
        first = market("EURUSD", 0.10, mt5.ORDER_TYPE_BUY)
        market("EURUSD", 0.20, mt5.ORDER_TYPE_SELL)
        self.assertEqual(len(mt5.positions_get(symbol="EURUSD")), 2)
        too_much = market("EURUSD", 0.20, mt5.ORDER_TYPE_SELL, position=first.order)
        self.assertEqual(too_much.retcode, mt5.TRADE_RETCODE_INVALID_CLOSE_VOLUME)
        close = market("EURUSD", 0.10, mt5.ORDER_TYPE_SELL, position=first.order)
        self.assertEqual(close.retcode, mt5.TRADE_RETCODE_DONE)
        deal, = mt5.history_deals_get(ticket=close.order)
        self.assertEqual((deal.entry, deal.position_id), (mt5.DEAL_ENTRY_OUT, first.order))
        remaining, = mt5.positions_get()
        self.assertEqual((remaining.type, remaining.volume), (mt5.POSITION_TYPE_SELL, 0.2))

    def test_refusals_carry_the_trade_servers_return_codes(self):
        self.assertEqual(market("EURUSD", 0.015, mt5.ORDER_TYPE_BUY).retcode,
                         mt5.TRADE_RETCODE_INVALID_VOLUME)
        self.assertEqual(market("EURUSD", 0.001, mt5.ORDER_TYPE_BUY).retcode,
                         mt5.TRADE_RETCODE_INVALID_VOLUME)
        self.assertEqual(market("EURUSD", 100, mt5.ORDER_TYPE_BUY).retcode,
                         mt5.TRADE_RETCODE_NO_MONEY)
        self.assertEqual(market("GBPUSD", 0.1, mt5.ORDER_TYPE_BUY).retcode,
                         mt5.TRADE_RETCODE_INVALID_FILL)  # GBPUSD allows FOK only
        self.assertEqual(market("EURUSD", 0.1, mt5.ORDER_TYPE_BUY, price=1.1030).retcode,
                         mt5.TRADE_RETCODE_REQUOTE)  # 20 points off on an instant symbol
        mt5.emulator_set_symbol("EURUSD", session_open=False)
        self.assertEqual(market("EURUSD", 0.1, mt5.ORDER_TYPE_BUY).retcode,
                         mt5.TRADE_RETCODE_MARKET_CLOSED)
        self.assertEqual(mt5.positions_get(), ())
        self.assertEqual(mt5.emulator_stats().get("order_send_executed", 0), 0)

    def test_liquidity_makes_ioc_partial_and_fok_rejected(self):
        mt5.emulator_set_symbol("EURUSD", liquidity="0.30")
        partial = market("EURUSD", 0.50, mt5.ORDER_TYPE_BUY)
        self.assertEqual((partial.retcode, partial.volume),
                         (mt5.TRADE_RETCODE_DONE_PARTIAL, 0.3))
        order, = mt5.history_orders_get(ticket=partial.order)
        self.assertEqual((order.state, order.volume_current), (mt5.ORDER_STATE_CANCELED, 0.2))
        fok = market("EURUSD", 0.50, mt5.ORDER_TYPE_BUY, type_filling=mt5.ORDER_FILLING_FOK)
        self.assertEqual(fok.retcode, mt5.TRADE_RETCODE_REJECT)

    def test_injected_failures(self):
        mt5.emulator_fail_next("order_send", retcode=mt5.TRADE_RETCODE_TIMEOUT)
        self.assertEqual(market("EURUSD", 0.1, mt5.ORDER_TYPE_BUY).retcode,
                         mt5.TRADE_RETCODE_TIMEOUT)
        mt5.emulator_fail_next("order_send", error=(mt5.RES_E_INTERNAL_FAIL_TIMEOUT, "IPC timeout"))
        self.assertIsNone(market("EURUSD", 0.1, mt5.ORDER_TYPE_BUY))
        self.assertEqual(mt5.last_error(), (mt5.RES_E_INTERNAL_FAIL_TIMEOUT, "IPC timeout"))
        self.assertEqual(mt5.positions_get(), ())
        self.assertIsNone(mt5.order_send({"action": 1, "bogus": 1}))
        self.assertEqual(mt5.last_error()[0], mt5.RES_E_INVALID_PARAMS)


class PendingOrders(EmulatorTest):
    def test_a_buy_limit_rests_and_a_bar_through_it_fills_it_at_the_limit(self):
        placed = pending("EURUSD", 0.20, mt5.ORDER_TYPE_BUY_LIMIT, 1.0990)
        self.assertEqual(placed.retcode, mt5.TRADE_RETCODE_PLACED)
        order, = mt5.orders_get()
        self.assertEqual(order.state, mt5.ORDER_STATE_PLACED)
        self.assertEqual(mt5.emulator_feed_bar("EURUSD", "1.1000", "1.1004", "1.0995", "1.1001"),
                         [])
        deals = mt5.emulator_feed_bar("EURUSD", "1.1000", "1.1005", "1.0970", "1.0980")
        self.assertEqual(len(deals), 1)
        deal, = mt5.history_deals_get(ticket=placed.order)
        self.assertEqual((deal.price, deal.volume), (1.099, 0.2))
        self.assertEqual(mt5.orders_get(), ())
        self.assertEqual(mt5.history_orders_get(ticket=placed.order)[0].state,
                         mt5.ORDER_STATE_FILLED)

    def test_a_bars_volume_fills_in_parts(self):
        placed = pending("EURUSD", 0.50, mt5.ORDER_TYPE_BUY_LIMIT, 1.0990)
        mt5.emulator_feed_bar("EURUSD", "1.1000", "1.1000", "1.0980", "1.0985", volume="0.2")
        order, = mt5.orders_get()
        self.assertEqual((order.state, order.volume_current), (mt5.ORDER_STATE_PARTIAL, 0.3))
        mt5.emulator_feed_bar("EURUSD", "1.0985", "1.0990", "1.0975", "1.0980", volume="5")
        self.assertEqual([deal.volume for deal in mt5.history_deals_get(ticket=placed.order)],
                         [0.2, 0.3])
        self.assertEqual(mt5.orders_get(), ())

    def test_stops_trigger_on_ticks_and_stop_limits_become_limits(self):
        stop = pending("EURUSD", 0.1, mt5.ORDER_TYPE_BUY_STOP, 1.1020)
        stop_limit = pending("EURUSD", 0.1, mt5.ORDER_TYPE_SELL_STOP_LIMIT, 1.0980,
                             stoplimit=1.0985)
        self.assertEqual(stop_limit.retcode, mt5.TRADE_RETCODE_PLACED)
        self.assertEqual(mt5.emulator_set_tick("EURUSD", "1.1015", "1.1025"), [
            mt5.history_deals_get(ticket=stop.order)[0].ticket])
        self.assertEqual(mt5.history_deals_get(ticket=stop.order)[0].price, 1.1025)
        mt5.emulator_set_tick("EURUSD", "1.0979", "1.0981")
        converted, = mt5.orders_get()
        self.assertEqual((converted.type, converted.price_open),
                         (mt5.ORDER_TYPE_SELL_LIMIT, 1.0985))
        mt5.emulator_set_tick("EURUSD", "1.0986", "1.0988")
        self.assertEqual(mt5.history_deals_get(ticket=stop_limit.order)[0].price, 1.0986)

    def test_wrong_side_and_unnormalised_prices_are_invalid(self):
        self.assertEqual(pending("EURUSD", 0.1, mt5.ORDER_TYPE_BUY_LIMIT, 1.1050).retcode,
                         mt5.TRADE_RETCODE_INVALID_PRICE)
        self.assertEqual(pending("EURUSD", 0.1, mt5.ORDER_TYPE_BUY_LIMIT, 1.099005).retcode,
                         mt5.TRADE_RETCODE_INVALID_PRICE)
        self.assertEqual(pending("EURUSD", 0.1, mt5.ORDER_TYPE_BUY_STOP_LIMIT, 1.1020,
                                 stoplimit=1.1030).retcode, mt5.TRADE_RETCODE_INVALID_PRICE)

    def test_modify_changes_the_price_but_never_the_volume_and_remove_cancels(self):
        placed = pending("EURUSD", 0.2, mt5.ORDER_TYPE_BUY_LIMIT, 1.0990)
        modify = dict(action=mt5.TRADE_ACTION_MODIFY, order=placed.order, price=1.0980,
                      volume=0.5, type_time=mt5.ORDER_TIME_GTC)
        self.assertEqual(mt5.order_send(modify).retcode, mt5.TRADE_RETCODE_DONE)
        order, = mt5.orders_get(ticket=placed.order)
        self.assertEqual((order.price_open, order.volume_current), (1.098, 0.2))
        self.assertEqual(mt5.order_send(modify).retcode, mt5.TRADE_RETCODE_NO_CHANGES)
        remove = dict(action=mt5.TRADE_ACTION_REMOVE, order=placed.order)
        self.assertEqual(mt5.order_send(remove).retcode, mt5.TRADE_RETCODE_DONE)
        self.assertEqual(mt5.order_send(remove).retcode, mt5.TRADE_RETCODE_INVALID)
        self.assertEqual(mt5.history_orders_get(ticket=placed.order)[0].state,
                         mt5.ORDER_STATE_CANCELED)

    def test_day_orders_expire_at_the_end_of_the_day(self):
        day = pending("EURUSD", 0.1, mt5.ORDER_TYPE_BUY_LIMIT, 1.0990,
                      type_time=mt5.ORDER_TIME_DAY)
        gtc = pending("EURUSD", 0.1, mt5.ORDER_TYPE_BUY_LIMIT, 1.0990)
        self.assertEqual(mt5.emulator_end_of_day(), [day.order])
        self.assertEqual([order.ticket for order in mt5.orders_get()], [gtc.order])
        self.assertEqual(mt5.history_orders_get(ticket=day.order)[0].state,
                         mt5.ORDER_STATE_EXPIRED)


class HistoryAndState(EmulatorTest):
    def test_history_by_range_is_in_server_seconds_inclusive(self):
        config = copy.deepcopy(mt5.DEFAULT_CONFIG)
        config["server_offset_ms"] = 7_200_000
        mt5.emulator_reset(config)
        mt5.initialize()
        mt5.symbol_select("EURUSD")
        mt5.emulator_set_clock(1_767_225_600_000)
        result = market("EURUSD", 0.1, mt5.ORDER_TYPE_BUY)
        deal, = mt5.history_deals_get(ticket=result.order)
        self.assertEqual(deal.time, 1_767_225_600 + 7_200)
        self.assertEqual(len(mt5.history_deals_get(deal.time, deal.time)), 1)
        self.assertEqual(mt5.history_deals_get(deal.time + 1, deal.time + 10), ())
        self.assertIsNone(mt5.history_deals_get())
        self.assertEqual(mt5.last_error()[0], mt5.RES_E_INVALID_PARAMS)

    def test_empty_results_can_be_none_like_some_terminals(self):
        config = copy.deepcopy(mt5.DEFAULT_CONFIG)
        config["empty_result"] = "none"
        mt5.emulator_reset(config)
        mt5.initialize()
        self.assertIsNone(mt5.orders_get())
        self.assertEqual(mt5.last_error(), (mt5.RES_S_OK, "Success"))

    def test_state_survives_save_and_load(self):
        result = market("EURUSD", 0.1, mt5.ORDER_TYPE_BUY)
        pending("EURUSD", 0.1, mt5.ORDER_TYPE_BUY_LIMIT, 1.0990)
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "state.json")
            mt5.emulator_save(path)
            balance = mt5.account_info().balance
            mt5.emulator_reset()
            mt5.emulator_load(path)
            mt5.initialize()
        self.assertEqual(mt5.account_info().balance, balance)
        self.assertEqual(mt5.history_deals_get(ticket=result.order)[0].volume, 0.1)
        self.assertEqual(len(mt5.orders_get()), 1)
        following = market("EURUSD", 0.1, mt5.ORDER_TYPE_BUY)
        self.assertGreater(following.order, result.order + 1)
        self.assertEqual(Decimal(repr(mt5.positions_get()[0].volume)), Decimal("0.2"))


if __name__ == "__main__":
    unittest.main()
