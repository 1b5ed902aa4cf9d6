"""The named tuples the `MetaTrader5` package returns, with its type names and field order.

Field lists and their order come from the project's MT5 notes (read from the package binary and
MetaQuotes' reference). ``SymbolInfo`` is the exception: our notes list the fields an order path
needs but not the full structure, so the emulator's ``SymbolInfo`` holds that subset, in the order
MetaQuotes' reference example prints them (verify against a terminal before relying on position).
"""

from collections import namedtuple

TerminalInfo = namedtuple(
    "TerminalInfo",
    "community_account community_connection connected dlls_allowed trade_allowed "
    "tradeapi_disabled email_enabled ftp_enabled notifications_enabled mqid build maxbars "
    "codepage ping_last community_balance retransmission company name language path data_path "
    "commondata_path",
)

AccountInfo = namedtuple(
    "AccountInfo",
    "login trade_mode leverage limit_orders margin_so_mode trade_allowed trade_expert "
    "margin_mode currency_digits fifo_close balance credit profit equity margin margin_free "
    "margin_level margin_so_call margin_so_so margin_initial margin_maintenance assets "
    "liabilities commission_blocked name server currency company",
)

# The emulator's "missing trade mode" account: the same structure without `trade_mode`, to prove
# that a bridge and runtime treat an absent field as a refusal rather than DEMO (whose value is 0).
AccountInfoWithoutTradeMode = namedtuple(
    "AccountInfo", [field for field in AccountInfo._fields if field != "trade_mode"]
)

SymbolInfo = namedtuple(
    "SymbolInfo",
    "custom chart_mode select visible session_deals time digits spread spread_float "
    "trade_calc_mode trade_mode trade_stops_level trade_freeze_level trade_exemode swap_mode "
    "expiration_mode filling_mode order_mode order_gtc_mode bid ask last volume_real point "
    "trade_tick_value trade_tick_size trade_contract_size volume_min volume_max volume_step "
    "volume_limit swap_long swap_short currency_base currency_profit currency_margin "
    "description name path",
)

Tick = namedtuple("Tick", "time bid ask last volume time_msc flags volume_real")

TradeRequest = namedtuple(
    "TradeRequest",
    "action magic order symbol volume price stoplimit sl tp deviation type type_filling "
    "type_time expiration comment position position_by",
)

OrderSendResult = namedtuple(
    "OrderSendResult",
    "retcode deal order volume price bid ask comment request_id retcode_external request",
)

OrderCheckResult = namedtuple(
    "OrderCheckResult",
    "retcode balance equity profit margin margin_free margin_level comment request",
)

TradePosition = namedtuple(
    "TradePosition",
    "ticket time time_msc time_update time_update_msc type magic identifier reason volume "
    "price_open sl tp price_current swap profit symbol comment external_id",
)

TradeOrder = namedtuple(
    "TradeOrder",
    "ticket time_setup time_setup_msc time_done time_done_msc time_expiration type type_time "
    "type_filling state magic position_id position_by_id reason volume_initial volume_current "
    "price_open sl tp price_current price_stoplimit symbol comment external_id",
)

TradeDeal = namedtuple(
    "TradeDeal",
    "ticket order time time_msc type entry magic position_id reason volume price commission "
    "swap profit fee symbol comment external_id",
)
