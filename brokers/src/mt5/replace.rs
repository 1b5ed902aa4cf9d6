//! Cancel and replace: `TRADE_ACTION_REMOVE` and `TRADE_ACTION_MODIFY` (prices only).

use airlock_core::{
    BrokerAccount, BrokerError, ClientOrderId, OrderKind, OrderReport, OrderStatus, Quantity,
    ReplaceRequest, TimeInForce,
};

use super::auth::order_tag;
use super::convert::{self, fatal, none_result, rejected, transient};
use super::orders::time_in_force_name;
use super::wire::{
    Deals, HistoryQuery, LiveQuery, OrderRow, Orders, Send, SendAnswer, TradeRequest,
};
use super::{Mt5Bridge, Tracked};

impl<M: BrokerAccount> Mt5Bridge<M> {
    /// Our tracked order for `id`, found by tag among working orders when an earlier process
    /// sent it.
    async fn working(&mut self, id: &ClientOrderId) -> Result<Tracked, BrokerError> {
        if let Some(tracked) = self.book.by_id(id) {
            return Ok(tracked.clone());
        }
        let tag = order_tag(id);
        self.book.ids_by_tag.insert(tag.clone(), id.clone());
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
        let row = rows
            .orders
            .into_iter()
            .find(|row| row.comment == tag)
            .ok_or_else(|| rejected(format!("no working order {id} (tag {tag}) at the bridge")))?;
        let tracked = self.track_row(&row, id.clone()).await?;
        self.book.insert(tracked.clone());
        Ok(tracked)
    }

    /// Tracks an order row we did not submit in this process.
    pub(super) async fn track_row(
        &mut self,
        row: &OrderRow,
        id: ClientOrderId,
    ) -> Result<Tracked, BrokerError> {
        let symbol = self.our_symbol(&row.symbol)?;
        let spec = self.spec(symbol).await?;
        let (side, kind) = convert::side_and_kind(row)?;
        let initial = convert::quantity("order.volume_initial", &row.volume_initial)?;
        let mut tracked = Tracked {
            client_order_id: id,
            ticket: row.ticket,
            symbol,
            side,
            kind,
            time_in_force: if row.type_time == "day" {
                TimeInForce::Day
            } else {
                TimeInForce::Gtc
            },
            quantity: spec.units(initial)?,
            filled: Quantity::ZERO,
            status: OrderStatus::Accepted,
            fills_from_ms: self.floor_ms,
        };
        let deals: Deals = self
            .link
            .call(
                "/v1/deals",
                &HistoryQuery {
                    order: Some(row.ticket),
                    ..HistoryQuery::default()
                },
            )
            .await
            .map_err(|error| self.link_failed(error))?;
        self.count_earlier_fills(&mut tracked, &spec, &deals.deals)?;
        Ok(tracked)
    }

    pub(super) async fn cancel_order(&mut self, id: &ClientOrderId) -> Result<(), BrokerError> {
        let tracked = self.working(id).await?;
        if tracked.status.is_terminal() {
            return Err(rejected(format!(
                "order {id} is already {}",
                tracked.status
            )));
        }
        let request = TradeRequest {
            action: "remove",
            order: Some(tracked.ticket),
            ..TradeRequest::default()
        };
        let answer: SendAnswer = self
            .link
            .call("/v1/order_send", &Send { request })
            .await
            .map_err(|error| self.link_failed(error))?;
        let outcome = match &answer.result {
            Some(result) => {
                convert::retcode(result.retcode, &result.retcode_name, &result.comment).map(|_| ())
            }
            None => Err(
                none_result(answer.last_error.code, &answer.last_error.message).unwrap_or_else(
                    || {
                        transient(format!(
                            "order_send returned None: last_error {} {}",
                            answer.last_error.code, answer.last_error.message
                        ))
                    },
                ),
            ),
        };
        match outcome {
            Ok(()) => {
                // Fills that raced the cancel are reported first, then the cancel.
                if let Err(error) = self.catch_up_deals(tracked.ticket).await {
                    self.last_poll_error = Some(error);
                }
                let current = self.book.by_ticket.get(&tracked.ticket).cloned();
                if let Some(mut current) = current.filter(|current| !current.status.is_terminal()) {
                    current.status = OrderStatus::Cancelled;
                    let now = self.link.clock().now_ms;
                    self.queue(
                        &current,
                        OrderStatus::Cancelled,
                        Some("cancelled on request".into()),
                        now,
                    );
                    self.book.insert(current);
                }
                Ok(())
            }
            Err(error) => {
                // Refused: perhaps the order had just filled or ended. Learn its state first.
                if let Err(poll) = self.sync().await {
                    self.last_poll_error = Some(poll);
                }
                match self
                    .book
                    .by_ticket
                    .get(&tracked.ticket)
                    .map(|current| current.status)
                {
                    Some(OrderStatus::Cancelled) => Ok(()),
                    Some(status) if status.is_terminal() => {
                        Err(rejected(format!("order {id} is already {status}")))
                    }
                    _ => Err(error),
                }
            }
        }
    }

    pub(super) async fn replace_order(
        &mut self,
        id: &ClientOrderId,
        change: ReplaceRequest,
    ) -> Result<OrderReport, BrokerError> {
        let tracked = self.working(id).await?;
        if tracked.status.is_terminal() {
            return Err(rejected(format!(
                "order {id} is already {}",
                tracked.status
            )));
        }
        if let Some(quantity) = change
            .quantity
            .filter(|quantity| *quantity != tracked.quantity)
        {
            return Err(rejected(format!(
                "MT5 cannot change a pending order's volume (order {id}: {} → {quantity}); \
                 cancel it and submit a new order",
                tracked.quantity
            )));
        }
        let spec = self.spec(tracked.symbol).await?;
        let stray = |field: &str, kind: &str| {
            rejected(format!(
                "order {id} is a {kind} order: it has no {field} price"
            ))
        };
        let kind = match (tracked.kind, change.limit, change.stop) {
            (OrderKind::Market, _, _) => {
                return Err(rejected(format!(
                    "order {id} is a market order: nothing to replace"
                )));
            }
            (OrderKind::Limit { limit }, new_limit, None) => OrderKind::Limit {
                limit: new_limit.unwrap_or(limit),
            },
            (OrderKind::Limit { .. }, _, Some(_)) => return Err(stray("stop", "limit")),
            (OrderKind::Stop { stop }, None, new_stop) => OrderKind::Stop {
                stop: new_stop.unwrap_or(stop),
            },
            (OrderKind::Stop { .. }, Some(_), _) => return Err(stray("limit", "stop")),
            (OrderKind::StopLimit { stop, limit }, new_limit, new_stop) => OrderKind::StopLimit {
                stop: new_stop.unwrap_or(stop),
                limit: new_limit.unwrap_or(limit),
            },
        };
        let (price, stoplimit) = match kind {
            OrderKind::Limit { limit } => (limit, None),
            OrderKind::Stop { stop } => (stop, None),
            OrderKind::StopLimit { stop, limit } => (stop, Some(limit)),
            OrderKind::Market => return Err(fatal("unreachable: market refused above")),
        };
        spec.check_price("price", price)?;
        if let Some(limit) = stoplimit {
            spec.check_price("limit", limit)?;
        }
        let request = TradeRequest {
            action: "modify",
            order: Some(tracked.ticket),
            price: Some(price.to_string()),
            stoplimit: stoplimit.map(|limit| limit.to_string()),
            type_time: Some(time_in_force_name(tracked.time_in_force)),
            ..TradeRequest::default()
        };
        let answer: SendAnswer = self
            .link
            .call("/v1/order_send", &Send { request })
            .await
            .map_err(|error| self.link_failed(error))?;
        let Some(result) = answer.result else {
            return Err(
                none_result(answer.last_error.code, &answer.last_error.message).unwrap_or_else(
                    || {
                        transient(format!(
                            "modify returned None: last_error {} {}",
                            answer.last_error.code, answer.last_error.message
                        ))
                    },
                ),
            );
        };
        // 10025: the order already has these prices.
        if result.retcode != 10025 {
            convert::retcode(result.retcode, &result.retcode_name, &result.comment)?;
        }
        let mut updated = tracked;
        updated.kind = kind;
        self.book.insert(updated.clone());
        let now = self.link.clock().now_ms;
        self.queue(&updated, updated.status, Some("replaced".into()), now);
        Ok(Self::report(&updated))
    }

    fn report(tracked: &Tracked) -> OrderReport {
        OrderReport {
            client_order_id: tracked.client_order_id.clone(),
            broker_order_id: airlock_core::BrokerOrderId::new(tracked.ticket.to_string()),
            symbol: tracked.symbol,
            side: tracked.side,
            kind: tracked.kind,
            time_in_force: tracked.time_in_force,
            quantity: tracked.quantity,
            filled: tracked.filled,
            status: tracked.status,
        }
    }
}
