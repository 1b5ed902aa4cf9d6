//! Property tests of the manager.
//!
//! Invariant: whatever sequence of orders, fills, cancels and price moves arrives, an order the
//! manager approves never takes the worst-case gross exposure, the worst-case net exposure or a
//! symbol's worst-case position (working orders included) past its limit — unless it does not
//! increase that measure (reducing a position that a price move pushed over the limit). The
//! exposure is recomputed here independently of the manager's own book.

use std::collections::BTreeMap;

use airlock_core::{
    ClientOrderId, Fill, Liquidity, Money, OrderKind, OrderRequest, Price, Quantity, Side, Symbol,
    TimeInForce, UnixNanos,
};
use proptest::prelude::*;

use crate::manager::RiskManager;

#[derive(Debug, Clone)]
enum Step {
    Order {
        symbol: usize,
        buy: bool,
        units: i64,
        limit_offset: Option<i64>,
    },
    Fill {
        pick: usize,
        percent: i64,
    },
    Cancel {
        pick: usize,
    },
    Price {
        symbol: usize,
        cents: i64,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..3usize, any::<bool>(), 1..400i64, proptest::option::of(-4..=4i64))
            .prop_map(|(symbol, buy, units, limit_offset)| Step::Order { symbol, buy, units, limit_offset }),
        2 => (any::<usize>(), 1..=100i64).prop_map(|(pick, percent)| Step::Fill { pick, percent }),
        1 => any::<usize>().prop_map(|pick| Step::Cancel { pick }),
        1 => (0..3usize, 5_000..20_000i64).prop_map(|(symbol, cents)| Step::Price { symbol, cents }),
    ]
}

/// The test's own model: positions, working orders (id → symbol, side, remaining), prices.
#[derive(Default)]
struct Model {
    position: BTreeMap<usize, i64>,
    working: Vec<(String, usize, bool, i64)>,
    price_cents: BTreeMap<usize, i64>,
}

impl Model {
    /// (gross, |net| worst case, worst position per symbol) in cents × units.
    fn measures(&self) -> (i128, i128, BTreeMap<usize, i64>) {
        let (mut gross, mut net_long, mut net_short) = (0i128, 0i128, 0i128);
        let mut worst = BTreeMap::new();
        for symbol in 0..3 {
            let position = self.position.get(&symbol).copied().unwrap_or(0);
            let buys: i64 = self
                .working
                .iter()
                .filter(|w| w.1 == symbol && w.2)
                .map(|w| w.3)
                .sum();
            let sells: i64 = self
                .working
                .iter()
                .filter(|w| w.1 == symbol && !w.2)
                .map(|w| w.3)
                .sum();
            let (long, short) = (position + buys, position - sells);
            let abs = long.abs().max(short.abs());
            let price = i128::from(self.price_cents[&symbol]);
            gross += i128::from(abs) * price;
            net_long += i128::from(long) * price;
            net_short += i128::from(short) * price;
            worst.insert(symbol, abs);
        }
        (gross, net_long.abs().max(net_short.abs()), worst)
    }
}

const SYMBOLS: [&str; 3] = ["AAA", "bbb", "Ccc"];

fn cents(value: i64) -> Price {
    Price::from_raw(value * 10_000_000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_sequence_of_orders_takes_exposure_past_its_limits(steps in proptest::collection::vec(step(), 1..120)) {
        let mut limits = crate::manager::tests::generous_limits();
        limits.max_order_quantity = Some(Quantity::from_units(1_000).unwrap());
        limits.max_order_notional = Some(Money::from_units(1_000_000));
        limits.max_position = Some(Quantity::from_units(500).unwrap());
        limits.max_gross_exposure = Some(Money::from_units(60_000));
        limits.max_net_exposure = Some(Money::from_units(40_000));
        limits.max_leverage = Some("100".parse().unwrap());
        limits.duplicate_window_ms = Some(0);
        limits.max_drawdown_fraction = Some(airlock_core::Rate::ONE);
        limits.max_daily_loss = Some(Money::from_units(1_000_000_000));
        limits.price_collar = Some(crate::limits::PriceCollar {
            max_fraction: Some(airlock_core::Rate::ONE),
            max_ticks: None,
            tick_size: None,
        });
        let now = UnixNanos::new(1_618_963_200_000_000_000);
        let mut manager = RiskManager::new(limits);
        let mut model = Model::default();
        for (index, name) in SYMBOLS.iter().enumerate() {
            manager.on_price(Symbol::parse(name).unwrap(), cents(10_000), now);
            model.price_cents.insert(index, 10_000);
        }
        manager.on_equity(Money::from_units(100_000), now);
        manager.confirm_state(now, "test").unwrap();
        let (gross_limit, net_limit, position_limit) = (60_000i128 * 100, 40_000i128 * 100, 500i64);
        for (sequence, step) in steps.into_iter().enumerate() {
            match step {
                Step::Order { symbol, buy, units, limit_offset } => {
                    let id = format!("o-{sequence}");
                    let kind = match limit_offset {
                        None => OrderKind::Market,
                        Some(offset) => OrderKind::Limit { limit: cents(model.price_cents[&symbol] + offset * 100) },
                    };
                    let request = OrderRequest::new(
                        ClientOrderId::parse(&id).unwrap(),
                        Symbol::parse(SYMBOLS[symbol]).unwrap(),
                        if buy { Side::Buy } else { Side::Sell },
                        kind,
                        Quantity::from_units(units).unwrap(),
                        TimeInForce::Gtc,
                    ).unwrap();
                    let before = model.measures();
                    if manager.check(request, "prop", now).is_ok() {
                        model.working.push((id, symbol, buy, units));
                        let after = model.measures();
                        prop_assert!(after.0 <= gross_limit || after.0 <= before.0,
                            "gross {} > limit {gross_limit} (was {})", after.0, before.0);
                        prop_assert!(after.1 <= net_limit || after.1 <= before.1,
                            "net {} > limit {net_limit} (was {})", after.1, before.1);
                        let (worst_after, worst_before) = (after.2[&symbol], before.2[&symbol]);
                        prop_assert!(worst_after <= position_limit || worst_after <= worst_before);
                    }
                }
                Step::Fill { pick, percent } => {
                    if model.working.is_empty() { continue; }
                    let index = pick % model.working.len();
                    let (id, symbol, buy, remaining) = model.working[index].clone();
                    let quantity = (remaining * percent / 100).max(1);
                    manager.on_fill(&Fill {
                        client_order_id: ClientOrderId::parse(&id).unwrap(),
                        symbol: Symbol::parse(SYMBOLS[symbol]).unwrap(),
                        side: if buy { Side::Buy } else { Side::Sell },
                        price: cents(model.price_cents[&symbol]),
                        quantity: Quantity::from_units(quantity).unwrap(),
                        fee: Money::ZERO,
                        liquidity: Liquidity::Taker,
                        at: now,
                    });
                    *model.position.entry(symbol).or_insert(0) += if buy { quantity } else { -quantity };
                    if quantity == remaining {
                        model.working.remove(index);
                        manager.on_order_closed(&ClientOrderId::parse(&id).unwrap());
                    } else {
                        model.working[index].3 -= quantity;
                    }
                }
                Step::Cancel { pick } => {
                    if model.working.is_empty() { continue; }
                    let (id, ..) = model.working.remove(pick % model.working.len());
                    manager.on_order_closed(&ClientOrderId::parse(&id).unwrap());
                }
                Step::Price { symbol, cents: value } => {
                    manager.on_price(Symbol::parse(SYMBOLS[symbol]).unwrap(), cents(value), now);
                    model.price_cents.insert(symbol, value);
                }
            }
            // The manager's own view agrees with the model.
            prop_assert_eq!(
                manager.gross_exposure(),
                Some(Money::from_raw(model.measures().0 * 10_000_000))
            );
        }
    }
}
