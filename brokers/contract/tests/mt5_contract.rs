//! The contract suite against `Mt5Bridge<Paper>` and the real bridge program running its
//! terminal emulator on loopback (a demo account on a netting server, `AAPL` as a CFD of
//! contract size 1 with no spread and no commission, as [`Setup::STANDARD`] asks).
//!
//! Needs `python3` (3.10 or later) on PATH; without it every test fails, naming it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly by design"
)]

#[path = "mt5/harness.rs"]
#[allow(
    dead_code,
    reason = "the harness serves mt5.rs too; this suite uses part of it"
)]
mod harness;

use airlock_broker_contract::{Differences, IdenticalResend, Setup, Venue, contract_suite};
use airlock_brokers::mt5::Mt5Bridge;
use airlock_core::{Candle, Paper, Quantity, Rate, Symbol};
use harness::Bridge;
use serde_json::json;

struct Mt5Venue {
    bridge: Bridge,
    broker: Mt5Bridge<Paper>,
    participation: Rate,
}

impl Venue for Mt5Venue {
    type Mode = Paper;
    type Broker = Mt5Bridge<Paper>;

    fn name(&self) -> &'static str {
        "mt5 (bridge + emulator)"
    }

    fn broker(&mut self) -> &mut Mt5Bridge<Paper> {
        &mut self.broker
    }

    fn differences(&self) -> Differences {
        Differences {
            cash_pays_for_positions: false,
            checks_buying_power: true,
            identical_resend: IdenticalResend::Acknowledged,
        }
    }

    async fn bar(&mut self, symbol: &Symbol, candle: Candle) {
        // The bar can fill the participation cap's share of its volume (AAPL: 1 lot = 1 share).
        let budget: Quantity = candle
            .volume()
            .checked_mul_rate(self.participation)
            .unwrap_or_else(|| panic!("bar volume × participation overflows"));
        self.bridge.call(
            "/emulator/bar",
            json!({
                "symbol": symbol.as_str(),
                "open": candle.open().to_string(),
                "high": candle.high().to_string(),
                "low": candle.low().to_string(),
                "close": candle.close().to_string(),
                "volume": budget.to_string(),
            }),
        );
    }
}

async fn mt5() -> Mt5Venue {
    let participation: Rate = Setup::STANDARD.participation.parse().unwrap();
    let bridge = Bridge::start();
    bridge.call(
        "/emulator/symbol",
        json!({
            "symbol": Setup::STANDARD.symbol,
            "bid": "100", "ask": "100", "commission_per_lot": "0",
            "volume_max": "10000000",
        }),
    );
    bridge.call(
        "/emulator/account",
        json!({ "balance": format!("{}.00", Setup::STANDARD.cash) }),
    );
    let broker = bridge.connect().await.unwrap();
    Mt5Venue {
        bridge,
        broker,
        participation,
    }
}

contract_suite!(mt5);
