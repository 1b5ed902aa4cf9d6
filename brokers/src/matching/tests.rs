//! Scripted scenarios, one rule per test. The script language is documented in `script.rs`.

use airlock_core::{
    AccountId, Candle, ClientOrderId, Money, OrderEvent, OrderKind, OrderRequest, OrderStatus,
    Price, Quantity, Rate, Side, Symbol, TimeInForce, UnixNanos,
};
use expect_test::expect;

use super::script::{check, check_with};
use super::{EngineConfig, FeeSchedule, FillModel, MatchingEngine};

fn rate(text: &str) -> Rate {
    text.parse().unwrap()
}

#[test]
fn arriving_order_takes_best_price_then_oldest_at_the_resting_price() {
    check(
        "
        open A 10000
        open B 10000
        open C 10000
        B b1 sell 5 AAPL limit 101
        C c1 sell 5 AAPL limit 100
        B b2 sell 5 AAPL limit 100
        A a1 buy 12 AAPL limit 101
        show B
        ",
        expect![[r#"
            > open A 10000
            > open B 10000
            > open C 10000
            > B b1 sell 5 AAPL limit 101
              B b1 accepted
            > C c1 sell 5 AAPL limit 100
              C c1 accepted
            > B b2 sell 5 AAPL limit 100
              B b2 accepted
            > A a1 buy 12 AAPL limit 101
              A a1 accepted
              C c1 filled: sell 5 AAPL @ 100 fee 0 maker
              A a1 partially_filled: buy 5 AAPL @ 100 fee 0 taker
              B b2 filled: sell 5 AAPL @ 100 fee 0 maker
              A a1 partially_filled: buy 5 AAPL @ 100 fee 0 taker
              B b1 partially_filled: sell 2 AAPL @ 101 fee 0 maker
              A a1 filled: buy 2 AAPL @ 101 fee 0 taker
            > show B
              B cash 10702 fees 0 equity 9995
              B position AAPL -7 avg 100.285714285 realised 0
              B open b1 sell 2/5 AAPL limit 101 gtc
        "#]],
    );
}

#[test]
fn a_sweep_passes_a_kept_own_level_and_continues_through_emptied_ones() {
    check(
        "
        open A 10000
        open B 10000
        A a1 sell 1 AAPL limit 100
        B b1 sell 1 AAPL limit 101
        A a2 sell 1 AAPL limit 102
        B b2 sell 1 AAPL limit 102
        B b3 sell 1 AAPL limit 103
        A a3 buy 3 AAPL limit 103
        A a4 buy 1 AAPL market
        show A
        ",
        expect![[r#"
            > open A 10000
            > open B 10000
            > A a1 sell 1 AAPL limit 100
              A a1 accepted
            > B b1 sell 1 AAPL limit 101
              B b1 accepted
            > A a2 sell 1 AAPL limit 102
              A a2 accepted
            > B b2 sell 1 AAPL limit 102
              B b2 accepted
            > B b3 sell 1 AAPL limit 103
              B b3 accepted
            > A a3 buy 3 AAPL limit 103
              A a3 accepted
              B b1 filled: sell 1 AAPL @ 101 fee 0 maker
              A a3 partially_filled: buy 1 AAPL @ 101 fee 0 taker
              B b2 filled: sell 1 AAPL @ 102 fee 0 maker
              A a3 partially_filled: buy 1 AAPL @ 102 fee 0 taker
              B b3 filled: sell 1 AAPL @ 103 fee 0 maker
              A a3 filled: buy 1 AAPL @ 103 fee 0 taker
            > A a4 buy 1 AAPL market
              A a4 accepted
            > show A
              A cash 9694 fees 0 equity 10003
              A position AAPL 3 avg 102 realised 0
              A open a1 sell 0/1 AAPL limit 100 gtc
              A open a2 sell 0/1 AAPL limit 102 gtc
              A open a4 buy 0/1 AAPL market gtc
        "#]],
    );
}

#[test]
fn self_trade_is_skipped_and_the_resting_order_keeps_its_place() {
    check(
        "
        open A 10000
        open B 10000
        A a1 sell 5 AAPL limit 100
        A a2 buy 5 AAPL limit 100
        B b1 sell 3 AAPL market
        B b2 buy 2 AAPL market
        show A
        ",
        expect![[r#"
            > open A 10000
            > open B 10000
            > A a1 sell 5 AAPL limit 100
              A a1 accepted
            > A a2 buy 5 AAPL limit 100
              A a2 accepted
            > B b1 sell 3 AAPL market
              B b1 accepted
              A a2 partially_filled: buy 3 AAPL @ 100 fee 0 maker
              B b1 filled: sell 3 AAPL @ 100 fee 0 taker
            > B b2 buy 2 AAPL market
              B b2 accepted
              A a1 partially_filled: sell 2 AAPL @ 100 fee 0 maker
              B b2 filled: buy 2 AAPL @ 100 fee 0 taker
            > show A
              A cash 9900 fees 0 equity 10000
              A position AAPL 1 avg 100 realised 0
              A open a1 sell 2/5 AAPL limit 100 gtc
              A open a2 buy 3/5 AAPL limit 100 gtc
        "#]],
    );
}

#[test]
fn next_open_fills_market_orders_at_the_next_open_only() {
    check(
        "
        open A 10000
        bar AAPL 100 101 99 100.5
        A a1 buy 10 AAPL market day
        A a2 sell 4 AAPL market
        bar AAPL 102 103 101 102
        show A
        ",
        expect![[r#"
            > open A 10000
            > bar AAPL 100 101 99 100.5
            > A a1 buy 10 AAPL market day
              A a1 accepted
            > A a2 sell 4 AAPL market
              A a2 accepted
            > bar AAPL 102 103 101 102
              A a1 filled: buy 10 AAPL @ 102 fee 0 taker
              A a2 filled: sell 4 AAPL @ 102 fee 0 taker
            > show A
              A cash 9388 fees 0 equity 10000
              A position AAPL 6 avg 102 realised 0
        "#]],
    );
}

#[test]
fn limits_fill_at_the_open_on_a_gap_else_at_the_limit() {
    check(
        "
        open A 10000
        A gap buy 1 AAPL limit 101
        A touch buy 1 AAPL limit 95
        A miss buy 1 AAPL limit 90
        A sgap sell 1 AAPL limit 99
        A stouch sell 1 AAPL limit 104
        bar AAPL 100 105 94 100
        ",
        expect![[r#"
            > open A 10000
            > A gap buy 1 AAPL limit 101
              A gap accepted
            > A touch buy 1 AAPL limit 95
              A touch accepted
            > A miss buy 1 AAPL limit 90
              A miss accepted
            > A sgap sell 1 AAPL limit 99
              A sgap accepted
            > A stouch sell 1 AAPL limit 104
              A stouch accepted
            > bar AAPL 100 105 94 100
              A gap filled: buy 1 AAPL @ 100 fee 0 taker
              A touch filled: buy 1 AAPL @ 95 fee 0 maker
              A sgap filled: sell 1 AAPL @ 100 fee 0 taker
              A stouch filled: sell 1 AAPL @ 104 fee 0 maker
        "#]],
    );
}

#[test]
fn stops_trigger_on_gap_at_the_open_else_at_the_stop_and_slip() {
    let config = EngineConfig {
        slippage: rate("0.001"),
        ..EngineConfig::default()
    };
    check_with(
        config,
        "
        open A 10000
        A gap buy 1 AAPL stop 99
        A touch buy 1 AAPL stop 104
        A miss buy 1 AAPL stop 106
        A sgap sell 1 AAPL stop 101
        A stouch sell 1 AAPL stop 95
        A lim buy 1 AAPL limit 101
        bar AAPL 100 105 94 100
        ",
        expect![[r#"
            > open A 10000
            > A gap buy 1 AAPL stop 99
              A gap accepted
            > A touch buy 1 AAPL stop 104
              A touch accepted
            > A miss buy 1 AAPL stop 106
              A miss accepted
            > A sgap sell 1 AAPL stop 101
              A sgap accepted
            > A stouch sell 1 AAPL stop 95
              A stouch accepted
            > A lim buy 1 AAPL limit 101
              A lim accepted
            > bar AAPL 100 105 94 100
              A gap filled: buy 1 AAPL @ 100.1 fee 0 taker
              A touch filled: buy 1 AAPL @ 104.104 fee 0 taker
              A sgap filled: sell 1 AAPL @ 99.9 fee 0 taker
              A stouch filled: sell 1 AAPL @ 94.905 fee 0 taker
              A lim filled: buy 1 AAPL @ 100 fee 0 taker
        "#]],
    );
}

#[test]
fn stop_limit_fills_at_its_trigger_within_the_limit_else_rests_from_the_next_bar() {
    check(
        "
        open A 10000
        A inside buy 1 AAPL stoplimit 104 110
        A gapped buy 1 AAPL stoplimit 99 99.5
        bar AAPL 100 105 94 100
        show A
        bar AAPL 100 101 99.2 100
        ",
        expect![[r#"
            > open A 10000
            > A inside buy 1 AAPL stoplimit 104 110
              A inside accepted
            > A gapped buy 1 AAPL stoplimit 99 99.5
              A gapped accepted
            > bar AAPL 100 105 94 100
              A inside filled: buy 1 AAPL @ 104 fee 0 taker
            > show A
              A cash 9896 fees 0 equity 9996
              A position AAPL 1 avg 104 realised 0
              A open gapped buy 0/1 AAPL stop_limit 99/99.5 gtc
            > bar AAPL 100 101 99.2 100
              A gapped filled: buy 1 AAPL @ 99.5 fee 0 maker
        "#]],
    );
}

#[test]
fn close_model_fills_market_and_marketable_limits_at_the_last_close() {
    let config = EngineConfig {
        fill_model: FillModel::Close,
        ..EngineConfig::default()
    };
    check_with(
        config,
        "
        open A 10000
        A early buy 1 AAPL market
        bar AAPL 100 101 99 100.5
        A now buy 2 AAPL market
        A marketable sell 1 AAPL limit 100
        A resting sell 1 AAPL limit 101
        A trigger sell 1 AAPL stop 100.5
        A ioc buy 1 AAPL limit 99 ioc
        bar AAPL 100.4 101.5 100.2 101
        ",
        expect![[r#"
            > open A 10000
            > A early buy 1 AAPL market
              A early accepted
            > bar AAPL 100 101 99 100.5
              A early filled: buy 1 AAPL @ 100 fee 0 taker
            > A now buy 2 AAPL market
              A now accepted
              A now filled: buy 2 AAPL @ 100.5 fee 0 taker
            > A marketable sell 1 AAPL limit 100
              A marketable accepted
              A marketable filled: sell 1 AAPL @ 100.5 fee 0 taker
            > A resting sell 1 AAPL limit 101
              A resting accepted
            > A trigger sell 1 AAPL stop 100.5
              A trigger accepted
            > A ioc buy 1 AAPL limit 99 ioc
              A ioc accepted
              A ioc cancelled (ioc: the remainder did not fill on its first eligible bar)
            > bar AAPL 100.4 101.5 100.2 101
              A resting filled: sell 1 AAPL @ 101 fee 0 maker
              A trigger filled: sell 1 AAPL @ 100.4 fee 0 taker
        "#]],
    );
}

#[test]
fn participation_caps_fills_per_candle_in_time_priority() {
    let config = EngineConfig {
        participation: Some(rate("0.1")),
        ..EngineConfig::default()
    };
    check_with(
        config,
        "
        open A 10000
        open B 10000
        A a1 buy 8 AAPL market
        B b1 buy 5 AAPL limit 100
        bar AAPL 100 101 99 100 vol=100
        bar AAPL 100 101 99 100 vol=0
        bar AAPL 100 101 99 100 vol=25
        ",
        expect![[r#"
            > open A 10000
            > open B 10000
            > A a1 buy 8 AAPL market
              A a1 accepted
            > B b1 buy 5 AAPL limit 100
              B b1 accepted
            > bar AAPL 100 101 99 100 vol=100
              A a1 filled: buy 8 AAPL @ 100 fee 0 taker
              B b1 partially_filled: buy 2 AAPL @ 100 fee 0 taker
            > bar AAPL 100 101 99 100 vol=0
            > bar AAPL 100 101 99 100 vol=25
              B b1 partially_filled: buy 2.5 AAPL @ 100 fee 0 taker
        "#]],
    );
}

#[test]
fn ioc_keeps_what_fills_on_its_first_bar_and_fok_is_all_or_nothing() {
    let config = EngineConfig {
        participation: Some(rate("0.1")),
        ..EngineConfig::default()
    };
    check_with(
        config,
        "
        open A 10000
        A ioc buy 15 AAPL market ioc
        A fok buy 5 AAPL market fok
        A away buy 1 AAPL limit 90 ioc
        bar AAPL 100 101 99 100 vol=100
        A fok2 buy 10 AAPL market fok
        bar AAPL 100 101 99 100 vol=100
        ",
        expect![[r#"
            > open A 10000
            > A ioc buy 15 AAPL market ioc
              A ioc accepted
            > A fok buy 5 AAPL market fok
              A fok accepted
            > A away buy 1 AAPL limit 90 ioc
              A away accepted
            > bar AAPL 100 101 99 100 vol=100
              A ioc partially_filled: buy 10 AAPL @ 100 fee 0 taker
              A ioc cancelled (ioc: the remainder did not fill on its first eligible bar)
              A fok cancelled (fok: could not fill completely on its first eligible bar)
              A away cancelled (ioc: the remainder did not fill on its first eligible bar)
            > A fok2 buy 10 AAPL market fok
              A fok2 accepted
            > bar AAPL 100 101 99 100 vol=100
              A fok2 filled: buy 10 AAPL @ 100 fee 0 taker
        "#]],
    );
}

#[test]
fn day_orders_expire_on_the_first_candle_of_a_later_day() {
    check(
        "
        open A 10000
        A day1 buy 1 AAPL limit 90 day
        A gtc1 buy 1 AAPL limit 90 gtc
        bar AAPL 100 101 99 100 day=1
        bar AAPL 100 101 99 100
        bar AAPL 95 96 80 90 day=2
        show A
        ",
        expect![[r#"
            > open A 10000
            > A day1 buy 1 AAPL limit 90 day
              A day1 accepted
            > A gtc1 buy 1 AAPL limit 90 gtc
              A gtc1 accepted
            > bar AAPL 100 101 99 100 day=1
            > bar AAPL 100 101 99 100
            > bar AAPL 95 96 80 90 day=2
              A day1 expired (day: the trading day it was eligible on has ended)
              A gtc1 filled: buy 1 AAPL @ 90 fee 0 maker
            > show A
              A cash 9910 fees 0 equity 10000
              A position AAPL 1 avg 90 realised 0
        "#]],
    );
}

#[test]
fn fees_charge_the_rate_and_top_up_to_the_minimum_on_the_first_fill() {
    let config = EngineConfig {
        fees: FeeSchedule {
            rate: rate("0.001"),
            minimum_per_order: Money::from_units(1),
        },
        participation: Some(rate("0.5")),
        ..EngineConfig::default()
    };
    check_with(
        config,
        "
        open A 10000
        A small buy 4 AAPL market
        bar AAPL 100 101 99 100 vol=4
        bar AAPL 100 101 99 100 vol=4
        A big sell 20 AAPL market
        bar AAPL 100 101 99 100 vol=1000
        show A
        ",
        expect![[r#"
            > open A 10000
            > A small buy 4 AAPL market
              A small accepted
            > bar AAPL 100 101 99 100 vol=4
              A small partially_filled: buy 2 AAPL @ 100 fee 1 taker
            > bar AAPL 100 101 99 100 vol=4
              A small filled: buy 2 AAPL @ 100 fee 0.2 taker
            > A big sell 20 AAPL market
              A big accepted
            > bar AAPL 100 101 99 100 vol=1000
              A big filled: sell 20 AAPL @ 100 fee 2 taker
            > show A
              A cash 11596.8 fees 3.2 equity 9996.8
              A position AAPL -16 avg 100 realised 0
        "#]],
    );
}

#[test]
fn reduce_only_is_refused_when_it_would_grow_or_flip_and_cut_at_fill_time() {
    check(
        "
        open A 10000
        A grow sell 1 AAPL market reduce
        A open1 buy 10 AAPL market
        bar AAPL 100 101 99 100
        A flip sell 11 AAPL market reduce
        A tp sell 10 AAPL limit 100.5 reduce
        A sl sell 10 AAPL stop 99 reduce
        bar AAPL 100 101 98 100
        show A
        ",
        expect![[r#"
            > open A 10000
            > A grow sell 1 AAPL market reduce
              error: reduce_only: a sell of 1 against a position of 0 would increase it
              A grow rejected (reduce_only: a sell of 1 against a position of 0 would increase it)
            > A open1 buy 10 AAPL market
              A open1 accepted
            > bar AAPL 100 101 99 100
              A open1 filled: buy 10 AAPL @ 100 fee 0 taker
            > A flip sell 11 AAPL market reduce
              error: reduce_only: a sell of 11 against a position of 10 would flip it
              A flip rejected (reduce_only: a sell of 11 against a position of 10 would flip it)
            > A tp sell 10 AAPL limit 100.5 reduce
              A tp accepted
            > A sl sell 10 AAPL stop 99 reduce
              A sl accepted
            > bar AAPL 100 101 98 100
              A tp filled: sell 10 AAPL @ 100.5 fee 0 maker
              A sl cancelled (reduce_only: the remainder would increase or flip the position)
            > show A
              A cash 10005 fees 0 equity 10005
        "#]],
    );
}

#[test]
fn client_order_ids_are_unique_per_account_forever() {
    check(
        "
        open A 10000
        open B 10000
        A x buy 1 AAPL market ioc
        bar AAPL 100 101 99 100
        A x buy 1 AAPL market
        B x buy 1 AAPL limit 1
        Z z buy 1 AAPL market
        ",
        expect![[r#"
            > open A 10000
            > open B 10000
            > A x buy 1 AAPL market ioc
              A x accepted
            > bar AAPL 100 101 99 100
              A x filled: buy 1 AAPL @ 100 fee 0 taker
            > A x buy 1 AAPL market
              error: client_order_id: x was already used by this account
            > B x buy 1 AAPL limit 1
              B x accepted
            > Z z buy 1 AAPL market
              error: account: no account 999 in this engine
        "#]],
    );
}

#[test]
fn cancel_removes_from_the_book_and_refuses_finished_or_unknown_orders() {
    check(
        "
        open A 10000
        open B 10000
        A a1 sell 5 AAPL limit 100
        A a2 sell 5 AAPL limit 101
        cancel A a1
        cancel A a1
        cancel A nope
        cancel Z a1
        B b1 buy 5 AAPL limit 101
        show A
        ",
        expect![[r#"
            > open A 10000
            > open B 10000
            > A a1 sell 5 AAPL limit 100
              A a1 accepted
            > A a2 sell 5 AAPL limit 101
              A a2 accepted
            > cancel A a1
              A a1 cancelled (cancelled by request)
            > cancel A a1
              error: client_order_id: order a1 is already cancelled
            > cancel A nope
              error: client_order_id: no order nope for this account
            > cancel Z a1
              error: account: no account 999 in this engine
            > B b1 buy 5 AAPL limit 101
              B b1 accepted
              A a2 filled: sell 5 AAPL @ 101 fee 0 maker
              B b1 filled: buy 5 AAPL @ 101 fee 0 taker
            > show A
              A cash 10505 fees 0 equity 10000
              A position AAPL -5 avg 101 realised 0
        "#]],
    );
}

#[test]
fn replace_keeps_priority_on_reduction_and_loses_it_on_price_or_increase() {
    check(
        "
        open A 10000
        open B 10000
        open C 10000
        A a1 sell 5 AAPL limit 100
        B b1 sell 5 AAPL limit 100
        replace A a1 qty=4
        C c1 buy 1 AAPL market
        replace A a1 qty=6
        C c2 buy 1 AAPL market
        replace B b1 limit=100.5
        C c3 buy 6 AAPL limit 100.5
        show A
        show B
        ",
        expect![[r#"
            > open A 10000
            > open B 10000
            > open C 10000
            > A a1 sell 5 AAPL limit 100
              A a1 accepted
            > B b1 sell 5 AAPL limit 100
              B b1 accepted
            > replace A a1 qty=4
              A a1 accepted (replaced)
            > C c1 buy 1 AAPL market
              C c1 accepted
              A a1 partially_filled: sell 1 AAPL @ 100 fee 0 maker
              C c1 filled: buy 1 AAPL @ 100 fee 0 taker
            > replace A a1 qty=6
              A a1 partially_filled (replaced)
            > C c2 buy 1 AAPL market
              C c2 accepted
              B b1 partially_filled: sell 1 AAPL @ 100 fee 0 maker
              C c2 filled: buy 1 AAPL @ 100 fee 0 taker
            > replace B b1 limit=100.5
              B b1 partially_filled (replaced)
            > C c3 buy 6 AAPL limit 100.5
              C c3 accepted
              A a1 filled: sell 5 AAPL @ 100 fee 0 maker
              C c3 partially_filled: buy 5 AAPL @ 100 fee 0 taker
              B b1 partially_filled: sell 1 AAPL @ 100.5 fee 0 maker
              C c3 filled: buy 1 AAPL @ 100.5 fee 0 taker
            > show A
              A cash 10600 fees 0 equity 9997
              A position AAPL -6 avg 100 realised 0
            > show B
              B cash 10200.5 fees 0 equity 9999.5
              B position AAPL -2 avg 100.25 realised 0
              B open b1 sell 2/5 AAPL limit 100.5 gtc
        "#]],
    );
}

#[test]
fn replace_refusals_name_the_field() {
    check(
        "
        open A 10000
        open B 10000
        A m buy 10 AAPL market
        A s sell 1 AAPL stop 90
        A l buy 10 AAPL limit 99
        B b sell 4 AAPL limit 99
        replace A m limit=100
        replace A l stop=100
        replace A s limit=100
        replace A l limit=0
        replace A l qty=4
        replace A l
        replace A nope qty=1
        replace A b qty=1
        bar AAPL 100 101 95 100
        replace A l qty=20
        replace A s stop=95
        replace A l limit=98
        ",
        expect![[r#"
            > open A 10000
            > open B 10000
            > A m buy 10 AAPL market
              A m accepted
            > A s sell 1 AAPL stop 90
              A s accepted
            > A l buy 10 AAPL limit 99
              A l accepted
            > B b sell 4 AAPL limit 99
              B b accepted
              A l partially_filled: buy 4 AAPL @ 99 fee 0 maker
              B b filled: sell 4 AAPL @ 99 fee 0 taker
            > replace A m limit=100
              error: limit: a market order has no limit price
            > replace A l stop=100
              error: stop: a limit order has no stop price
            > replace A s limit=100
              error: limit: a stop order has no limit price
            > replace A l limit=0
              error: limit: must be positive, got 0
            > replace A l qty=4
              error: quantity: 4 must exceed the filled 4
            > replace A l
              error: replace: the request changes neither quantity, limit nor stop
            > replace A nope qty=1
              error: client_order_id: no order nope for this account
            > replace A b qty=1
              error: client_order_id: no order b for this account
            > bar AAPL 100 101 95 100
              A m filled: buy 10 AAPL @ 100 fee 0 taker
              A l filled: buy 6 AAPL @ 99 fee 0 maker
            > replace A l qty=20
              error: client_order_id: order l is already filled
            > replace A s stop=95
              A s accepted (replaced)
            > replace A l limit=98
              error: client_order_id: order l is already filled
        "#]],
    );
}

#[test]
fn replaced_limit_that_crosses_trades_as_a_new_arrival() {
    check(
        "
        open A 10000
        open B 10000
        A a1 buy 5 AAPL limit 99
        B b1 sell 3 AAPL limit 100
        replace A a1 limit=100
        show A
        ",
        expect![[r#"
            > open A 10000
            > open B 10000
            > A a1 buy 5 AAPL limit 99
              A a1 accepted
            > B b1 sell 3 AAPL limit 100
              B b1 accepted
            > replace A a1 limit=100
              A a1 accepted (replaced)
              B b1 filled: sell 3 AAPL @ 100 fee 0 maker
              A a1 partially_filled: buy 3 AAPL @ 100 fee 0 taker
            > show A
              A cash 9700 fees 0 equity 10000
              A position AAPL 3 avg 100 realised 0
              A open a1 buy 3/5 AAPL limit 100 gtc
        "#]],
    );
}

#[test]
fn triggered_stop_keeps_filling_at_later_opens_under_the_cap() {
    let config = EngineConfig {
        participation: Some(rate("0.1")),
        ..EngineConfig::default()
    };
    check_with(
        config,
        "
        open A 10000
        A s buy 15 AAPL stop 100.5
        bar AAPL 100 101 99 100 vol=100
        bar AAPL 103 104 102 103 vol=100
        ",
        expect![[r#"
            > open A 10000
            > A s buy 15 AAPL stop 100.5
              A s accepted
            > bar AAPL 100 101 99 100 vol=100
              A s partially_filled: buy 10 AAPL @ 100.5 fee 0 taker
            > bar AAPL 103 104 102 103 vol=100
              A s filled: buy 5 AAPL @ 103 fee 0 taker
        "#]],
    );
}

fn request(id: &str, side: Side, kind: OrderKind, units: i64) -> OrderRequest {
    OrderRequest::new(
        ClientOrderId::parse(id).unwrap(),
        Symbol::parse("AAPL").unwrap(),
        side,
        kind,
        Quantity::from_units(units).unwrap(),
        TimeInForce::Gtc,
    )
    .unwrap()
}

fn px(text: &str) -> Price {
    text.parse().unwrap()
}

#[test]
fn equity_marks_positions_at_the_last_trade_and_snapshot_agrees() {
    let mut engine = MatchingEngine::new(EngineConfig::default());
    let buyer = engine.open_account(Money::from_units(1000));
    let seller = engine.open_account(Money::from_units(1000));
    let now = UnixNanos::new(5);
    let symbol = Symbol::parse("AAPL").unwrap();
    let limit = OrderKind::Limit { limit: px("10") };
    engine
        .submit(seller, request("s", Side::Sell, limit, 3), now)
        .unwrap();
    engine
        .submit(buyer, request("b", Side::Buy, OrderKind::Market, 3), now)
        .unwrap();
    assert_eq!(engine.last_price(symbol), Some(px("10")));
    assert_eq!(
        engine.position(buyer, symbol),
        Quantity::from_units(3).unwrap()
    );
    assert_eq!(
        engine.position(seller, symbol),
        Quantity::from_units(-3).unwrap()
    );
    assert_eq!(engine.cash(buyer), Money::from_units(970));
    assert_eq!(engine.equity(buyer), Money::from_units(1000));
    let slot = engine.slot(symbol);
    let candle = Candle::new(
        UnixNanos::new(10),
        px("12"),
        px("12"),
        px("12"),
        px("12"),
        Quantity::ONE,
    )
    .unwrap();
    engine.on_candle(slot, &candle);
    assert_eq!(engine.equity(buyer), Money::from_units(1006));
    assert_eq!(engine.equity(seller), Money::from_units(994));
    let snapshot = engine.snapshot(buyer, now);
    assert_eq!(snapshot.equity, Money::from_units(1006));
    assert_eq!(snapshot.positions.len(), 1);
    assert_eq!(snapshot.positions[0].average_price(), Some(px("10")));
    assert_eq!(snapshot.at, now);
    assert!(engine.positions(AccountId(9)).is_empty());
}

#[test]
fn order_history_goes_through_the_core_state_machine() {
    let mut engine = MatchingEngine::new(EngineConfig::default());
    let account = engine.open_account(Money::from_units(1000));
    let id = ClientOrderId::parse("o").unwrap();
    let limit = OrderKind::Limit { limit: px("10") };
    let broker_id = engine
        .submit(
            account,
            request("o", Side::Buy, limit, 2),
            UnixNanos::new(1),
        )
        .unwrap();
    assert_eq!(broker_id.as_str(), "sim-0");
    let slot = engine.slot(Symbol::parse("AAPL").unwrap());
    let candle = Candle::new(
        UnixNanos::new(2),
        px("11"),
        px("11"),
        px("9"),
        px("10"),
        Quantity::ONE,
    )
    .unwrap();
    engine.on_candle(slot, &candle);
    let order = engine.order(account, &id).unwrap();
    let events: Vec<_> = order
        .history()
        .iter()
        .map(|step| step.event.clone())
        .collect();
    assert_eq!(
        events,
        vec![
            OrderEvent::Accept,
            OrderEvent::Fill {
                quantity: Quantity::from_units(2).unwrap(),
                price: px("10"),
            },
        ]
    );
    assert_eq!(order.status(), OrderStatus::Filled);
    assert!(engine.open_orders(account).is_empty());
    let mut out = Vec::new();
    engine.take_events(&mut out);
    let statuses: Vec<_> = out.iter().map(|(_, event)| event.status).collect();
    assert_eq!(statuses, vec![OrderStatus::Accepted, OrderStatus::Filled]);
    assert!(!engine.has_events());
    engine
        .submit(
            account,
            request("p", Side::Buy, limit, 1),
            UnixNanos::new(3),
        )
        .unwrap();
    engine.take_events(&mut out);
    assert_eq!(out.len(), 3, "appended after what was there");
    assert_eq!(out[2].1.client_order_id.as_str(), "p");
    assert!(out.iter().all(|(owner, _)| *owner == account));
}

#[test]
fn candles_for_unknown_slots_and_symbols_without_orders_change_nothing_but_the_price() {
    let mut engine = MatchingEngine::new(EngineConfig::default());
    let other = MatchingEngine::new(EngineConfig::default()).clone();
    assert_eq!(other.config(), &EngineConfig::default());
    let slot = engine.slot(Symbol::parse("MSFT").unwrap());
    assert_eq!(slot.index(), 0);
    assert_eq!(engine.slot(Symbol::parse("msft").unwrap()), slot);
    let candle = Candle::new(
        UnixNanos::new(2),
        px("11"),
        px("11"),
        px("9"),
        px("10"),
        Quantity::ONE,
    )
    .unwrap();
    engine.on_candle(slot, &candle);
    assert_eq!(
        engine.last_price(Symbol::parse("MSFT").unwrap()),
        Some(px("10"))
    );
    assert!(!engine.has_events());
    assert_eq!(engine.find_slot(Symbol::parse("IBM").unwrap()), None);
}

#[test]
fn set_last_price_fills_close_model_market_orders_in_full_without_trading_working_ones() {
    let config = EngineConfig {
        fill_model: FillModel::Close,
        participation: Some(rate("0.1")),
        ..EngineConfig::default()
    };
    let mut engine = MatchingEngine::new(config);
    let account = engine.open_account(Money::from_units(10_000));
    let symbol = Symbol::parse("AAPL").unwrap();
    let slot = engine.slot(symbol);
    let resting = OrderKind::Limit { limit: px("90") };
    engine
        .submit(
            account,
            request("l", Side::Buy, resting, 1),
            UnixNanos::new(1),
        )
        .unwrap();
    engine.set_last_price(slot, px("80"));
    assert_eq!(engine.last_price(symbol), Some(px("80")));
    let mut out = Vec::new();
    engine.take_events(&mut out);
    assert_eq!(out.len(), 1, "only the limit's acceptance: no bar traded");
    engine
        .submit(
            account,
            request("m", Side::Buy, OrderKind::Market, 50),
            UnixNanos::new(2),
        )
        .unwrap();
    out.clear();
    engine.take_events(&mut out);
    let fill = out[1].1.fill.as_ref().unwrap();
    assert_eq!(fill.price, px("80"));
    assert_eq!(fill.quantity, Quantity::from_units(50).unwrap());
    assert_eq!(out[1].1.status, OrderStatus::Filled);
    let id = ClientOrderId::parse("l").unwrap();
    assert_eq!(
        engine.report(account, &id).unwrap().status,
        OrderStatus::Accepted
    );
}
