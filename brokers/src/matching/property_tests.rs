//! Property tests of the engine over random sequences of submits (all order types, times in
//! force, reduce-only, reused ids), cancels, replaces and candles across four accounts and two
//! symbols, under random fill models, fees, slippage and participation caps.
//!
//! Invariants checked after every operation:
//! 1. Conservation, exactly: for every account, cash + fees paid + Σ signed fill notional (buys
//!    positive) = initial cash, and each position equals the sum of its signed fill quantities.
//!    Under `next_open`, the fills of a submit, cancel or replace come only from the book, and
//!    these internal crosses net to zero quantity and zero notional across accounts.
//! 2. Orders are sane: filled ≤ quantity for every order; every working order has positive
//!    leaves; an order rests on a ladder exactly when it is a working limit (or triggered
//!    stop-limit) of time in force DAY or GTC that is flagged resting; every ladder level's live
//!    count equals its live entries and no level is empty; the per-symbol working count equals
//!    the number of non-terminal orders.
//! 3. Price-time priority of book matches: the prices an arriving order trades at never get
//!    better as it sweeps (it takes the best level first); after it, no resting order of another
//!    account that it could still have traded with remains at a better price than the worst it
//!    traded at, or anywhere within its limit if it still had quantity to trade; and at the worst
//!    level traded, every untouched resting order of another account is younger than every order
//!    that traded there.

use std::collections::BTreeMap;

use airlock_core::time::NANOS_PER_DAY;
use airlock_core::{
    AccountId, Candle, ClientOrderId, Liquidity, Money, OrderKind, OrderRequest, Price, Quantity,
    Rate, ReplaceRequest, Side, Symbol, TimeInForce, UnixNanos,
};
use proptest::prelude::*;

use super::book::is_live;
use super::ledger::OrderSlot;
use super::{EngineConfig, FeeSchedule, FillModel, MatchingEngine, SubmitError};

const ACCOUNTS: u32 = 4;
const SYMBOLS: [&str; 2] = ["AAPL", "MSFT"];

#[derive(Debug, Clone)]
enum Op {
    Submit {
        account: u32,
        symbol: usize,
        side: Side,
        kind: OrderKind,
        quarters: i64,
        time_in_force: TimeInForce,
        reduce_only: bool,
        reuse: Option<usize>,
    },
    Cancel {
        account: u32,
        pick: usize,
    },
    Replace {
        account: u32,
        pick: usize,
        quarters: Option<i64>,
        limit: Option<Price>,
        stop: Option<Price>,
    },
    Candle {
        symbol: usize,
        ticks: [i64; 4],
        volume: i64,
        next_day: bool,
    },
}

fn price(ticks: i64) -> Price {
    Price::from_raw(ticks * 500_000_000)
}

fn price_strategy() -> impl Strategy<Value = Price> {
    (190i64..=210).prop_map(price)
}

fn kind_strategy() -> impl Strategy<Value = OrderKind> {
    prop_oneof![
        3 => Just(OrderKind::Market),
        6 => price_strategy().prop_map(|limit| OrderKind::Limit { limit }),
        2 => price_strategy().prop_map(|stop| OrderKind::Stop { stop }),
        2 => (price_strategy(), price_strategy())
            .prop_map(|(stop, limit)| OrderKind::StopLimit { stop, limit }),
    ]
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let side = prop_oneof![Just(Side::Buy), Just(Side::Sell)];
    let time_in_force = prop_oneof![
        3 => Just(TimeInForce::Gtc),
        2 => Just(TimeInForce::Day),
        1 => Just(TimeInForce::Ioc),
        1 => Just(TimeInForce::Fok),
    ];
    let submit = (
        0..ACCOUNTS,
        0..SYMBOLS.len(),
        side,
        kind_strategy(),
        1i64..=40,
        time_in_force,
        proptest::bool::weighted(0.15),
        proptest::option::weighted(0.05, 0usize..1000),
    )
        .prop_map(
            |(account, symbol, side, kind, quarters, time_in_force, reduce_only, reuse)| {
                Op::Submit {
                    account,
                    symbol,
                    side,
                    kind,
                    quarters,
                    time_in_force,
                    reduce_only,
                    reuse,
                }
            },
        );
    let cancel =
        (0..ACCOUNTS, 0usize..1000).prop_map(|(account, pick)| Op::Cancel { account, pick });
    let replace = (
        0..ACCOUNTS,
        0usize..1000,
        proptest::option::of(1i64..=40),
        proptest::option::of(price_strategy()),
        proptest::option::weighted(0.3, price_strategy()),
    )
        .prop_map(|(account, pick, quarters, limit, stop)| Op::Replace {
            account,
            pick,
            quarters,
            limit,
            stop,
        });
    let candle = (
        0..SYMBOLS.len(),
        [196i64..=204, 196i64..=204, 0i64..=6, 0i64..=6],
        0i64..=120,
        proptest::bool::weighted(0.15),
    )
        .prop_map(|(symbol, ticks, volume, next_day)| Op::Candle {
            symbol,
            ticks,
            volume,
            next_day,
        });
    prop_oneof![8 => submit, 3 => cancel, 2 => replace, 4 => candle]
}

fn config_strategy() -> impl Strategy<Value = EngineConfig> {
    (
        prop_oneof![Just(FillModel::NextOpen), Just(FillModel::Close)],
        prop_oneof![Just("0"), Just("0.001"), Just("0.0025")],
        prop_oneof![Just(0i64), Just(1)],
        prop_oneof![Just("0"), Just("0.0005")],
        prop_oneof![Just(None), Just(Some("0.1")), Just(Some("0.5"))],
    )
        .prop_map(
            |(fill_model, fee, minimum, slippage, participation)| EngineConfig {
                fill_model,
                fees: FeeSchedule {
                    rate: fee.parse().unwrap(),
                    minimum_per_order: Money::from_units(minimum),
                },
                slippage: slippage.parse().unwrap(),
                participation: participation.map(|text| text.parse::<Rate>().unwrap()),
            },
        )
}

/// The test's own running totals, from the events alone.
#[derive(Default)]
struct Tally {
    flows: BTreeMap<AccountId, Money>,
    quantities: BTreeMap<(AccountId, Symbol), Quantity>,
}

struct Harness {
    engine: MatchingEngine,
    tally: Tally,
    initial: Money,
    ids: Vec<(AccountId, ClientOrderId)>,
    day: u64,
    bars: u64,
}

impl Harness {
    fn now(&self) -> UnixNanos {
        UnixNanos::new(self.day * NANOS_PER_DAY + self.bars * 60_000_000_000 + 1)
    }

    fn pick(&self, account: u32, pick: usize) -> Option<ClientOrderId> {
        let own: Vec<_> = self
            .ids
            .iter()
            .filter(|(owner, _)| owner.0 == account)
            .collect();
        own.get(pick % own.len().max(1)).map(|(_, id)| id.clone())
    }

    /// Applies one operation; returns the id of the arriving order for submits and replaces.
    fn apply(&mut self, op: &Op) -> Option<(AccountId, ClientOrderId)> {
        let now = self.now();
        match op {
            Op::Submit {
                account,
                symbol,
                side,
                kind,
                quarters,
                time_in_force,
                reduce_only,
                reuse,
            } => {
                let account = AccountId(*account);
                let id = match reuse.and_then(|pick| self.ids.get(pick % self.ids.len().max(1))) {
                    Some((_, id)) => id.clone(),
                    None => ClientOrderId::parse(&format!("o{}", self.ids.len())).unwrap(),
                };
                let mut request = OrderRequest::new(
                    id.clone(),
                    Symbol::parse(SYMBOLS[*symbol]).unwrap(),
                    *side,
                    *kind,
                    Quantity::from_raw(quarters * 250_000_000),
                    *time_in_force,
                )
                .unwrap();
                if *reduce_only {
                    request = request.reduce_only();
                }
                let fresh = self.engine.order(account, &id).is_none();
                let result = self.engine.submit(account, request, now);
                match (&result, fresh) {
                    (Ok(_), false) => panic!("a reused client order id was accepted"),
                    (Err(error), true) => {
                        assert!(matches!(error, SubmitError::ReduceOnly { .. }), "{error}");
                    }
                    _ => {}
                }
                if fresh {
                    self.ids.push((account, id.clone()));
                }
                result.ok().map(|_| (account, id))
            }
            Op::Cancel { account, pick } => {
                if let Some(id) = self.pick(*account, *pick) {
                    let result = self.engine.cancel(AccountId(*account), &id, now);
                    let working = self
                        .engine
                        .order(AccountId(*account), &id)
                        .is_some_and(|order| !order.status().is_terminal());
                    assert!(result.is_err() || !working);
                }
                None
            }
            Op::Replace {
                account,
                pick,
                quarters,
                limit,
                stop,
            } => {
                let id = self.pick(*account, *pick)?;
                let change = ReplaceRequest {
                    quantity: quarters.map(|quarters| Quantity::from_raw(quarters * 250_000_000)),
                    limit: *limit,
                    stop: *stop,
                };
                let account = AccountId(*account);
                let priority = |engine: &MatchingEngine| {
                    let ledger = engine.ledger();
                    let index = ledger.accounts[account.0 as usize]
                        .ids
                        .get(&id, &ledger.orders)?;
                    Some(ledger.orders[index as usize].priority)
                };
                let before = priority(&self.engine);
                let replaced = self.engine.replace(account, &id, change, now).is_ok();
                // Only a replace that lost priority arrives again (and may trade).
                (replaced && priority(&self.engine) != before).then_some((account, id))
            }
            Op::Candle {
                symbol,
                ticks: [open, close, up, down],
                volume,
                next_day,
            } => {
                if *next_day {
                    self.day += 1;
                    self.bars = 0;
                }
                self.bars += 1;
                let high = (*open).max(*close) + up;
                let low = ((*open).min(*close) - down).max(1);
                let candle = Candle::new(
                    UnixNanos::new(self.day * NANOS_PER_DAY + self.bars * 60_000_000_000),
                    price(*open),
                    price(high),
                    price(low),
                    price(*close),
                    Quantity::from_units(*volume).unwrap(),
                )
                .unwrap();
                let slot = self.engine.slot(Symbol::parse(SYMBOLS[*symbol]).unwrap());
                self.engine.on_candle(slot, &candle);
                None
            }
        }
    }
}

/// Invariant 1 (per operation and cumulative).
fn check_conservation(
    harness: &mut Harness,
    events: &[(AccountId, airlock_core::BrokerEvent)],
    book_only: bool,
) {
    let mut net_quantity = Quantity::ZERO;
    let mut net_notional = Money::ZERO;
    for (account, event) in events {
        let Some(fill) = &event.fill else { continue };
        assert!(fill.quantity.is_positive() && !fill.fee.is_negative());
        let notional = match fill.side {
            Side::Buy => fill.notional(),
            Side::Sell => -fill.notional(),
        };
        net_notional += notional;
        net_quantity = net_quantity.checked_add(fill.signed_quantity()).unwrap();
        *harness.tally.flows.entry(*account).or_default() += notional + fill.fee;
        let quantity = harness
            .tally
            .quantities
            .entry((*account, fill.symbol))
            .or_default();
        *quantity = quantity.checked_add(fill.signed_quantity()).unwrap();
    }
    if book_only {
        assert_eq!(net_quantity, Quantity::ZERO, "internal crosses net to zero");
        assert_eq!(net_notional, Money::ZERO, "internal crosses net to zero");
    }
    for account in (0..ACCOUNTS).map(AccountId) {
        let flows = harness
            .tally
            .flows
            .get(&account)
            .copied()
            .unwrap_or_default();
        assert_eq!(harness.engine.cash(account) + flows, harness.initial);
        for symbol in SYMBOLS.map(|text| Symbol::parse(text).unwrap()) {
            let expected = harness.tally.quantities.get(&(account, symbol)).copied();
            assert_eq!(
                harness.engine.position(account, symbol),
                expected.unwrap_or_default()
            );
        }
    }
}

/// Invariant 2.
fn check_orders(engine: &MatchingEngine) {
    let ledger = engine.ledger();
    let mut working = vec![0u32; engine.books().len()];
    for slot in ledger.orders.iter() {
        assert!(slot.order.filled() <= slot.order.quantity());
        let live = !slot.is_terminal();
        if live {
            assert!(slot.order.leaves().is_positive(), "{slot:?}");
            working[slot.book as usize] += 1;
        }
        if slot.resting {
            assert!(live, "a finished order rests: {slot:?}");
            assert!(slot.resting_price().is_some());
            assert!(matches!(
                slot.time_in_force,
                TimeInForce::Gtc | TimeInForce::Day
            ));
        }
    }
    assert_eq!(working, ledger.working);
    for book in engine.books() {
        for ladder in [&book.bids, &book.asks] {
            for (key, level) in &ladder.levels {
                let live: Vec<_> = level
                    .queue
                    .iter()
                    .filter(|entry| is_live(&ledger.orders, **entry))
                    .collect();
                assert!(!live.is_empty(), "empty level {key}");
                assert_eq!(live.len(), level.live as usize);
                for entry in live {
                    let slot = &ledger.orders[entry.order as usize];
                    assert_eq!(
                        slot.resting_price().map(|price| ladder.key(price)),
                        Some(*key)
                    );
                }
            }
        }
    }
    let resting = ledger.orders.iter().filter(|slot| slot.resting).count();
    let listed: usize = engine
        .books()
        .iter()
        .flat_map(|book| [&book.bids, &book.asks])
        .map(|ladder| {
            ladder
                .levels
                .values()
                .map(|level| level.live as usize)
                .sum::<usize>()
        })
        .sum();
    assert_eq!(resting, listed);
}

/// Invariant 3 for the order that just arrived (submit or re-priced replace), book fills only.
fn check_priority(
    engine: &MatchingEngine,
    arriving: &(AccountId, ClientOrderId),
    events: &[(AccountId, airlock_core::BrokerEvent)],
) {
    let ledger = engine.ledger();
    let (account, id) = arriving;
    let Some(index) = ledger.accounts[account.0 as usize]
        .ids
        .get(id, &ledger.orders)
    else {
        return;
    };
    let taker = &ledger.orders[index as usize];
    let ladder = match taker.side {
        Side::Buy => &engine.books()[taker.book as usize].asks,
        Side::Sell => &engine.books()[taker.book as usize].bids,
    };
    // (maker's index, ladder key of the fill), in event order.
    let makers: Vec<(u32, i64)> = events
        .iter()
        .filter_map(|(owner, event)| {
            let fill = event.fill.as_ref()?;
            if fill.liquidity != Liquidity::Maker || *owner == *account {
                return None;
            }
            let maker = ledger.accounts[owner.0 as usize]
                .ids
                .get(&event.client_order_id, &ledger.orders)?;
            (ledger.orders[maker as usize].book == taker.book)
                .then(|| (maker, ladder.key(fill.price)))
        })
        .collect();
    assert!(
        makers.windows(2).all(|pair| pair[0].1 <= pair[1].1),
        "the sweep went back to a better price"
    );
    let live_others: Vec<(u32, &OrderSlot)> = ladder
        .live_orders(&ledger.orders)
        .map(|order| (order, &ledger.orders[order as usize]))
        .filter(|(_, slot)| slot.account != account.0)
        .collect();
    if let Some(&(_, worst)) = makers.last() {
        let key_of = |slot: &OrderSlot| slot.resting_price().map(|price| ladder.key(price));
        assert!(
            live_others
                .iter()
                .all(|(_, slot)| key_of(slot) >= Some(worst)),
            "a better level of another account was left resting"
        );
        let youngest_traded = makers
            .iter()
            .filter(|(_, key)| *key == worst)
            .map(|(maker, _)| ledger.orders[*maker as usize].book_seq)
            .max()
            .unwrap_or(0);
        for (order, slot) in &live_others {
            let traded = makers.iter().any(|(maker, _)| maker == order);
            if !traded && key_of(slot) == Some(worst) {
                assert!(
                    slot.book_seq > youngest_traded,
                    "an older order was passed over"
                );
            }
        }
    }
    let still_wants = !taker.is_terminal() && ledger.capacity(index).is_positive();
    if still_wants && taker.time_in_force != TimeInForce::Fok {
        let bound = match taker.kind {
            OrderKind::Market => Some(i64::MAX),
            _ => taker.resting_price().map(|price| ladder.key(price)),
        };
        if let Some(bound) = bound {
            assert!(
                live_others.iter().all(|slot| {
                    slot.1.reduce_only
                        || slot
                            .1
                            .resting_price()
                            .is_some_and(|price| ladder.key(price) > bound)
                }),
                "a crossing order of another account was left resting"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn ledgers_orders_and_priority_hold_for_any_sequence(
        config in config_strategy(),
        ops in proptest::collection::vec(op_strategy(), 1..80),
    ) {
        let initial = Money::from_units(100_000);
        let mut engine = MatchingEngine::new(config);
        for _ in 0..ACCOUNTS {
            engine.open_account(initial);
        }
        let mut harness = Harness {
            engine,
            tally: Tally::default(),
            initial,
            ids: Vec::new(),
            day: 1,
            bars: 0,
        };
        let mut events = Vec::new();
        for op in &ops {
            let arriving = harness.apply(op);
            events.clear();
            harness.engine.take_events(&mut events);
            let book_only = config.fill_model == FillModel::NextOpen && !matches!(op, Op::Candle { .. });
            check_conservation(&mut harness, &events, book_only);
            check_orders(&harness.engine);
            if let Some(arriving) = arriving {
                check_priority(&harness.engine, &arriving, &events);
            }
        }
    }
}
