//! A deterministic synthetic run (an integer random walk with a trade every few bars), shared by
//! this example and the benchmark. Not part of the library.
//!
//! `cargo run -p airlock-analytics --example synthetic [html|json|table] > report.html`

use std::error::Error;

use airlock_core::{
    ClientOrderId, Fill, Liquidity, Money, Price, Quantity, Rate, Side, Symbol, UnixNanos,
};

/// A synthetic run's inputs.
pub(crate) struct Run {
    pub(crate) initial_cash: Money,
    pub(crate) fills: Vec<Fill>,
    pub(crate) equity: Vec<(UnixNanos, Money)>,
    pub(crate) in_market: Vec<bool>,
}

/// A 64-bit linear congruential generator: deterministic, good enough for test data.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

/// `bars` weekday daily bars of one symbol from 2015-01-05, entering or exiting every `hold` bars.
pub(crate) fn run(bars: usize, hold: usize) -> Result<Run, Box<dyn Error>> {
    const DAY: u64 = 86_400_000_000_000;
    let symbol = Symbol::parse("SPY")?;
    let lot = Quantity::from_units(100).ok_or("lot size out of range")?;
    let fee_rate = Rate::from_raw(500_000); // 5 bps
    let mut random = Lcg(42);
    let mut cents: i64 = 20_000;
    let initial_cash = Money::from_units(100_000);
    let mut cash = initial_cash;
    let mut position = Quantity::ZERO;
    let mut fills = Vec::new();
    let mut equity = Vec::with_capacity(bars);
    let mut in_market = Vec::with_capacity(bars);
    let start = UnixNanos::from_civil(2015, 1, 5, 21, 0, 0, 0).ok_or("bad start date")?;
    let mut at = start.as_u64();
    for bar in 0..bars {
        while matches!(at / DAY % 7, 2 | 3) {
            at += DAY;
        }
        cents = (cents + i64::try_from(random.next() % 601)? - 298).max(100);
        let price = Price::from_raw(cents * 10_000_000);
        if bar % hold.max(1) == 0 {
            let side = if position.is_zero() {
                Side::Buy
            } else {
                Side::Sell
            };
            let quantity = if position.is_zero() { lot } else { position };
            let notional = price.notional(quantity);
            let fee = notional.checked_mul_rate(fee_rate).ok_or("fee overflow")?;
            fills.push(Fill {
                client_order_id: ClientOrderId::derive("synthetic", "r1", u64::try_from(bar)?)?,
                symbol,
                side,
                price,
                quantity,
                fee,
                liquidity: Liquidity::Taker,
                at: UnixNanos::new(at),
            });
            if side == Side::Buy {
                cash = cash - notional - fee;
                position = quantity;
            } else {
                cash = cash + notional - fee;
                position = Quantity::ZERO;
            }
        }
        equity.push((UnixNanos::new(at), cash + price.notional(position)));
        in_market.push(!position.is_zero());
        at += DAY;
    }
    Ok(Run {
        initial_cash,
        fills,
        equity,
        in_market,
    })
}

#[allow(
    dead_code,
    reason = "the benchmark includes this file as a module and has its own main"
)]
fn main() -> Result<(), Box<dyn Error>> {
    use std::collections::BTreeMap;
    use std::io::Write;

    let run = run(2_500, 15)?;
    let input = airlock_analytics::AnalyticsInput {
        initial_cash: run.initial_cash,
        fills: &run.fills,
        equity: &run.equity,
        in_market: &run.in_market,
        periods_per_year: None,
    };
    let meta = BTreeMap::from([
        ("strategy".to_owned(), "synthetic".to_owned()),
        ("symbols".to_owned(), "SPY".to_owned()),
        ("fill model".to_owned(), "close, 5 bps fee".to_owned()),
    ]);
    let report = airlock_analytics::Report::build(meta, &input);
    let mut out = std::io::stdout().lock();
    match std::env::args().nth(1).as_deref() {
        Some("json") => report.write_json(&mut out)?,
        Some("table") => out.write_all(report.summary_table().as_bytes())?,
        _ => report.write_html(&mut out)?,
    }
    Ok(())
}
