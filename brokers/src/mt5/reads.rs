//! The reads: working orders, positions (netted per symbol), the account.

use std::collections::BTreeMap;

use airlock_core::{
    AccountSnapshot, BrokerAccount, BrokerError, Money, OrderReport, Position, Side, Symbol,
    TimeInForce,
};

use super::Mt5Bridge;
use super::convert::{self, fatal};
use super::orders::nanos;
use super::wire::{Account, Empty, LiveQuery, Orders, PositionRow, Positions};

impl<M: BrokerAccount> Mt5Bridge<M> {
    pub(super) async fn working_orders(&mut self) -> Result<Vec<OrderReport>, BrokerError> {
        let rows: Orders = self
            .link
            .call(
                "/v1/orders",
                &LiveQuery {
                    magic: Some(self.settings.magic),
                    ..LiveQuery::default()
                },
            )
            .await
            .map_err(|error| self.link_failed(error))?;
        let mut reports = Vec::with_capacity(rows.orders.len());
        for row in rows.orders {
            let symbol = self.our_symbol(&row.symbol)?;
            let spec = self.spec(symbol).await?;
            let (side, kind) = convert::side_and_kind(&row)?;
            let initial = convert::quantity("order.volume_initial", &row.volume_initial)?;
            let current = convert::quantity("order.volume_current", &row.volume_current)?;
            let left = initial
                .checked_sub(current)
                .ok_or_else(|| fatal("order volumes overflow"))?;
            let known = self.book.by_ticket.get(&row.ticket);
            reports.push(OrderReport {
                client_order_id: known.map_or_else(
                    || self.book.id_for(&row.comment, row.ticket),
                    |tracked| tracked.client_order_id.clone(),
                ),
                broker_order_id: airlock_core::BrokerOrderId::new(row.ticket.to_string()),
                symbol,
                side,
                kind,
                time_in_force: known.map_or(
                    if row.type_time == "day" {
                        TimeInForce::Day
                    } else {
                        TimeInForce::Gtc
                    },
                    |tracked| tracked.time_in_force,
                ),
                quantity: spec.units(initial)?,
                filled: spec.units(left)?,
                status: convert::status(&row)?,
            });
        }
        Ok(reports)
    }

    pub(super) async fn position_rows(&mut self) -> Result<Vec<PositionRow>, BrokerError> {
        let rows: Positions = self
            .link
            .call("/v1/positions", &LiveQuery::default())
            .await
            .map_err(|error| self.link_failed(error))?;
        Ok(rows.positions)
    }

    pub(super) async fn net_positions(&mut self) -> Result<Vec<Position>, BrokerError> {
        let mut rows = self.position_rows().await?;
        rows.sort_by_key(|row| (row.time_ms, row.ticket));
        let mut positions: BTreeMap<Symbol, Position> = BTreeMap::new();
        for row in rows {
            let symbol = self.our_symbol(&row.symbol)?;
            let spec = self.spec(symbol).await?;
            let units = spec.units(convert::quantity("position.volume", &row.volume)?)?;
            let price = convert::price("position.price_open", &row.price_open)?;
            let side = match row.position_type.as_str() {
                "buy" => Side::Buy,
                "sell" => Side::Sell,
                other => return Err(fatal(format!("position {} has type {other}", row.ticket))),
            };
            positions
                .entry(symbol)
                .or_insert_with(|| Position::flat(symbol))
                .apply_fill(side, units, price)
                .ok_or_else(|| fatal(format!("position {} overflows", row.ticket)))?;
        }
        Ok(positions
            .into_values()
            .filter(|position| !position.is_flat())
            .collect())
    }

    pub(super) async fn snapshot(&mut self) -> Result<AccountSnapshot, BrokerError> {
        let account: Account = self
            .link
            .call("/v1/account", &Empty {})
            .await
            .map_err(|error| self.link_failed(error))?;
        let text = |field: &str| {
            account
                .get(field)
                .and_then(serde_json::Value::as_str)
                .ok_or_else(|| fatal(format!("account.{field} is missing or not text")))
        };
        let cash = convert::money("account.balance", text("balance")?)?;
        let equity = convert::money("account.equity", text("equity")?)?;
        let positions = self.net_positions().await?;
        Ok(AccountSnapshot {
            cash,
            equity,
            fees_paid: Money::ZERO,
            positions,
            at: nanos(self.link.clock().now_ms),
        })
    }
}
