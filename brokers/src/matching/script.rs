//! A tiny scenario language for the engine's tests, in the spirit of rust-analyzer's
//! `check(script, expect![[...]])`. One command per line:
//!
//! ```text
//! open A 10000                          account A with 10000 cash
//! A o1 buy 10 AAPL limit 100 day        submit (kinds: market | limit P | stop P | stoplimit S L;
//!                                       tif: day | gtc | ioc | fok, default gtc; `reduce`)
//! cancel A o1
//! replace A o1 qty=5 limit=101 stop=99
//! bar AAPL 100 101 99 100 vol=1000 day=2   a candle (day: UTC day index, default the current one)
//! show A                                cash, fees, positions, open orders
//! ```
//! Each command echoes as `> command` followed by the events it queued (or the error). After the
//! script, every account's ledger is checked against its fills (conservation), which panics in
//! the test on any mismatch.

use std::collections::BTreeMap;

use airlock_core::time::NANOS_PER_DAY;
use airlock_core::{
    AccountId, BrokerEvent, Candle, ClientOrderId, Liquidity, Money, OrderKind, OrderRequest,
    Price, Quantity, ReplaceRequest, Side, Symbol, TimeInForce, UnixNanos,
};

use super::{EngineConfig, MatchingEngine};

pub(super) struct Script {
    pub(super) engine: MatchingEngine,
    accounts: BTreeMap<String, AccountId>,
    names: BTreeMap<AccountId, String>,
    initial: BTreeMap<AccountId, Money>,
    flows: BTreeMap<AccountId, Money>,
    quantities: BTreeMap<(AccountId, Symbol), Quantity>,
    day: u64,
    bars: u64,
    now: UnixNanos,
}

fn px(text: &str) -> Price {
    text.parse()
        .unwrap_or_else(|error| panic!("price {text:?}: {error}"))
}

fn qty(text: &str) -> Quantity {
    text.parse()
        .unwrap_or_else(|error| panic!("quantity {text:?}: {error}"))
}

impl Script {
    pub(super) fn new(config: EngineConfig) -> Self {
        Self {
            engine: MatchingEngine::new(config),
            accounts: BTreeMap::new(),
            names: BTreeMap::new(),
            initial: BTreeMap::new(),
            flows: BTreeMap::new(),
            quantities: BTreeMap::new(),
            day: 1,
            bars: 0,
            now: UnixNanos::new(NANOS_PER_DAY),
        }
    }

    fn account(&self, name: &str) -> AccountId {
        *self.accounts.get(name).unwrap_or(&AccountId(999))
    }

    pub(super) fn run(&mut self, script: &str) -> String {
        let mut out = String::new();
        for line in script.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            out.push_str(&format!("> {line}\n"));
            let words: Vec<&str> = line.split_whitespace().collect();
            let result = match words.as_slice() {
                ["open", name, cash] => {
                    let cash: Money = cash.parse().unwrap();
                    let id = self.engine.open_account(cash);
                    self.accounts.insert((*name).to_owned(), id);
                    self.names.insert(id, (*name).to_owned());
                    self.initial.insert(id, cash);
                    Ok(())
                }
                ["bar", symbol, open, high, low, close, rest @ ..] => {
                    self.bar(symbol, [open, high, low, close], rest);
                    Ok(())
                }
                ["cancel", name, id] => self
                    .engine
                    .cancel(
                        self.account(name),
                        &ClientOrderId::parse(id).unwrap(),
                        self.now,
                    )
                    .map_err(|error| error.to_string()),
                ["replace", name, id, changes @ ..] => self.replace(name, id, changes),
                ["show", name] => {
                    out.push_str(&self.show(name));
                    Ok(())
                }
                [name, id, side, quantity, symbol, rest @ ..] => {
                    self.submit(name, id, side, quantity, symbol, rest)
                }
                _ => panic!("cannot read script line {line:?}"),
            };
            if let Err(error) = result {
                out.push_str(&format!("  error: {error}\n"));
            }
            out.push_str(&self.drain());
        }
        self.assert_ledgers();
        out
    }

    fn bar(&mut self, symbol: &str, prices: [&&str; 4], rest: &[&str]) {
        let mut volume = qty("1000000");
        for option in rest {
            match option.split_once('=') {
                Some(("vol", value)) => volume = qty(value),
                Some(("day", value)) => {
                    self.day = value.parse().unwrap();
                    self.bars = 0;
                }
                _ => panic!("unknown bar option {option:?}"),
            }
        }
        self.bars += 1;
        let ts = UnixNanos::new(self.day * NANOS_PER_DAY + self.bars * 60_000_000_000);
        let [open, high, low, close] = prices.map(|text| px(text));
        let candle = Candle::new(ts, open, high, low, close, volume).unwrap();
        let slot = self.engine.slot(Symbol::parse(symbol).unwrap());
        self.engine.on_candle(slot, &candle);
        self.now = UnixNanos::new(ts.as_u64() + 1_000_000_000);
    }

    fn submit(
        &mut self,
        name: &str,
        id: &str,
        side: &str,
        quantity: &str,
        symbol: &str,
        rest: &[&str],
    ) -> Result<(), String> {
        let side = match side {
            "buy" => Side::Buy,
            "sell" => Side::Sell,
            other => panic!("side {other:?}"),
        };
        let (kind, options) = match rest {
            ["market", options @ ..] => (OrderKind::Market, options),
            ["limit", limit, options @ ..] => (OrderKind::Limit { limit: px(limit) }, options),
            ["stop", stop, options @ ..] => (OrderKind::Stop { stop: px(stop) }, options),
            ["stoplimit", stop, limit, options @ ..] => (
                OrderKind::StopLimit {
                    stop: px(stop),
                    limit: px(limit),
                },
                options,
            ),
            other => panic!("order kind {other:?}"),
        };
        let mut time_in_force = TimeInForce::Gtc;
        let mut reduce_only = false;
        for option in options {
            match *option {
                "day" => time_in_force = TimeInForce::Day,
                "gtc" => time_in_force = TimeInForce::Gtc,
                "ioc" => time_in_force = TimeInForce::Ioc,
                "fok" => time_in_force = TimeInForce::Fok,
                "reduce" => reduce_only = true,
                other => panic!("order option {other:?}"),
            }
        }
        let mut request = OrderRequest::new(
            ClientOrderId::parse(id).unwrap(),
            Symbol::parse(symbol).unwrap(),
            side,
            kind,
            qty(quantity),
            time_in_force,
        )
        .unwrap();
        if reduce_only {
            request = request.reduce_only();
        }
        self.engine
            .submit(self.account(name), request, self.now)
            .map(drop)
            .map_err(|error| error.to_string())
    }

    fn replace(&mut self, name: &str, id: &str, changes: &[&str]) -> Result<(), String> {
        let mut change = ReplaceRequest::default();
        for item in changes {
            match item.split_once('=') {
                Some(("qty", value)) => change.quantity = Some(qty(value)),
                Some(("limit", value)) => change.limit = Some(px(value)),
                Some(("stop", value)) => change.stop = Some(px(value)),
                _ => panic!("replace option {item:?}"),
            }
        }
        self.engine
            .replace(
                self.account(name),
                &ClientOrderId::parse(id).unwrap(),
                change,
                self.now,
            )
            .map(drop)
            .map_err(|error| error.to_string())
    }

    fn drain(&mut self) -> String {
        let mut events = Vec::new();
        self.engine.take_events(&mut events);
        let mut out = String::new();
        for (account, event) in events {
            out.push_str(&format!("  {}\n", self.describe(account, &event)));
            if let Some(fill) = &event.fill {
                let notional = fill.notional();
                let signed = match fill.side {
                    Side::Buy => notional,
                    Side::Sell => -notional,
                };
                *self.flows.entry(account).or_default() += signed + fill.fee;
                let position = self.quantities.entry((account, fill.symbol)).or_default();
                *position = position.checked_add(fill.signed_quantity()).unwrap();
            }
        }
        out
    }

    fn describe(&self, account: AccountId, event: &BrokerEvent) -> String {
        let name = self.names.get(&account).map_or("?", String::as_str);
        let mut text = format!("{name} {} {}", event.client_order_id, event.status);
        if let Some(fill) = &event.fill {
            let liquidity = match fill.liquidity {
                Liquidity::Maker => "maker",
                Liquidity::Taker => "taker",
            };
            text.push_str(&format!(
                ": {} {} {} @ {} fee {} {liquidity}",
                fill.side, fill.quantity, fill.symbol, fill.price, fill.fee
            ));
        }
        if let Some(reason) = &event.reason {
            text.push_str(&format!(" ({reason})"));
        }
        text
    }

    fn show(&self, name: &str) -> String {
        let account = self.account(name);
        let mut out = format!(
            "  {name} cash {} fees {} equity {}\n",
            self.engine.cash(account),
            self.engine.fees_paid(account),
            self.engine.equity(account)
        );
        for position in self.engine.positions(account) {
            out.push_str(&format!(
                "  {name} position {} {} avg {} realised {}\n",
                position.symbol(),
                position.quantity(),
                position
                    .average_price()
                    .map_or("-".into(), |price| price.to_string()),
                position.realized_pnl()
            ));
        }
        for report in self.engine.open_orders(account) {
            let prices = match report.kind {
                OrderKind::Market => String::new(),
                OrderKind::Limit { limit } => format!(" {limit}"),
                OrderKind::Stop { stop } => format!(" {stop}"),
                OrderKind::StopLimit { stop, limit } => format!(" {stop}/{limit}"),
            };
            out.push_str(&format!(
                "  {name} open {} {} {}/{} {} {}{prices} {}\n",
                report.client_order_id,
                report.side,
                report.filled,
                report.quantity,
                report.symbol,
                report.kind.as_str(),
                report.time_in_force
            ));
        }
        out
    }

    /// Conservation: cash + fees + Σ signed fill notional = initial cash, and positions equal the
    /// sum of signed fill quantities, for every account.
    pub(super) fn assert_ledgers(&self) {
        for (&account, &initial) in &self.initial {
            // Flows hold Σ (signed notional + fee) of the account's fills.
            let flows = self.flows.get(&account).copied().unwrap_or_default();
            assert_eq!(
                self.engine.cash(account) + flows,
                initial,
                "cash of {account:?}"
            );
        }
        for (&(account, symbol), &quantity) in &self.quantities {
            assert_eq!(self.engine.position(account, symbol), quantity, "{symbol}");
        }
    }
}

/// Runs `script` on a default engine and compares the transcript.
pub(super) fn check(script: &str, expect: expect_test::Expect) {
    check_with(EngineConfig::default(), script, expect);
}

/// Runs `script` on an engine with `config` and compares the transcript.
pub(super) fn check_with(config: EngineConfig, script: &str, expect: expect_test::Expect) {
    let mut runner = Script::new(config);
    expect.assert_eq(&runner.run(script));
}
