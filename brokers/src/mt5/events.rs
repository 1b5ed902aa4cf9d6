//! Events by polling: new deals of our magic become fills, orders that left the working list
//! become cancelled or expired. Deals are deduplicated by ticket and read by time from the last
//! one seen (with an overlap), so a bridge restart or a missed poll loses nothing.

use std::time::Duration;

use airlock_core::{
    BrokerAccount, BrokerError, BrokerEvent, Fill, Liquidity, OrderKind, OrderStatus, Quantity,
    Side,
};
use futures_core::Stream;
use tokio::time::Instant;

use super::Mt5Bridge;
use super::convert::{self, deal_side};
use super::orders::nanos;
use super::wire::{DealRow, Deals, HistoryQuery, LiveQuery, OrderRow, Orders};

/// Every poll re-reads this much history before the newest deal seen: deals the server books
/// late, or with a slightly earlier time, are still found (and deduplicated by ticket).
const OVERLAP_MS: i64 = 10 * 60 * 1000;
/// The upper end of the deal query: the bridge's clock and the server's may disagree a little.
const AHEAD_MS: i64 = 24 * 60 * 60 * 1000;
/// The longest wait between polls after failures.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

impl<M: BrokerAccount> Mt5Bridge<M> {
    /// Polls the bridge once and queues the events found: fills for new deals of our orders,
    /// then cancellations and expiries of orders that left the working list. [`Broker::events`]
    /// calls this every `poll_interval`; call it directly to drive polling yourself.
    ///
    /// [`Broker::events`]: airlock_core::Broker::events
    ///
    /// # Errors
    ///
    /// The bridge could not be reached or answered wrongly; nothing is lost, the next poll
    /// reads the same history again.
    pub async fn sync(&mut self) -> Result<(), BrokerError> {
        self.last_sync = Some(Instant::now());
        let now = self.link.clock().now_ms;
        let query = HistoryQuery {
            from_ms: Some(self.cursor_ms.saturating_sub(OVERLAP_MS)),
            to_ms: Some(now.saturating_add(AHEAD_MS)),
            magic: Some(self.settings.magic),
            ..HistoryQuery::default()
        };
        let answer: Deals = self
            .link
            .call("/v1/deals", &query)
            .await
            .map_err(|error| self.link_failed(error))?;
        let mut deals = answer.deals;
        deals.sort_by_key(|deal| (deal.time_ms, deal.ticket));
        for deal in deals {
            if self.seen_deals.contains_key(&deal.ticket) {
                continue;
            }
            let news = match self.book.by_ticket.get(&deal.order) {
                Some(tracked) => deal.time_ms >= tracked.fills_from_ms,
                // An order this client does not know: news only after the connection.
                None => deal.time_ms >= self.floor_ms,
            };
            if news && let Some(side) = deal_side(&deal.deal_type) {
                self.on_deal(&deal, side).await?;
            }
            self.seen_deals.insert(deal.ticket, deal.time_ms);
            self.cursor_ms = self.cursor_ms.max(deal.time_ms);
        }
        let horizon = self.cursor_ms.saturating_sub(2 * OVERLAP_MS);
        self.seen_deals.retain(|_, time_ms| *time_ms >= horizon);
        self.check_finished().await
    }

    /// The working or finished order with `ticket`, if the terminal knows it.
    async fn order_row(&mut self, ticket: u64) -> Result<Option<OrderRow>, BrokerError> {
        let working: Orders = self
            .link
            .call(
                "/v1/orders",
                &LiveQuery {
                    ticket: Some(ticket),
                    ..LiveQuery::default()
                },
            )
            .await
            .map_err(|error| self.link_failed(error))?;
        if let Some(row) = working.orders.into_iter().next() {
            return Ok(Some(row));
        }
        self.finished_order(ticket).await
    }

    /// The finished (history) order with `ticket`, if the terminal knows it.
    async fn finished_order(&mut self, ticket: u64) -> Result<Option<OrderRow>, BrokerError> {
        let finished: Orders = self
            .link
            .call(
                "/v1/history_orders",
                &HistoryQuery {
                    order: Some(ticket),
                    ..HistoryQuery::default()
                },
            )
            .await
            .map_err(|error| self.link_failed(error))?;
        Ok(finished.orders.into_iter().next())
    }

    async fn on_deal(&mut self, deal: &DealRow, side: Side) -> Result<(), BrokerError> {
        if !self.book.by_ticket.contains_key(&deal.order) {
            // An order of our magic this client did not send (an earlier process's): track it.
            let Some(row) = self.order_row(deal.order).await? else {
                return Ok(());
            };
            let id = self.book.id_for(&row.comment, row.ticket);
            let tracked = self.track_row(&row, id).await?;
            self.book.insert(tracked);
        }
        let Some(mut tracked) = self.book.by_ticket.get(&deal.order).cloned() else {
            return Ok(());
        };
        let spec = self.spec(tracked.symbol).await?;
        let quantity = spec.units(convert::quantity("deal.volume", &deal.volume)?)?;
        let price = convert::price("deal.price", &deal.price)?;
        let charged = convert::money("deal.commission", &deal.commission)?
            + convert::money("deal.fee", &deal.fee)?;
        tracked.filled = tracked
            .filled
            .checked_add(quantity)
            .unwrap_or(Quantity::MAX);
        if !tracked.status.is_terminal() {
            tracked.status = if tracked.filled >= tracked.quantity {
                OrderStatus::Filled
            } else {
                OrderStatus::PartiallyFilled
            };
        }
        let liquidity = match tracked.kind {
            OrderKind::Limit { .. } | OrderKind::StopLimit { .. } => Liquidity::Maker,
            OrderKind::Market | OrderKind::Stop { .. } => Liquidity::Taker,
        };
        self.pending.push_back(BrokerEvent {
            client_order_id: tracked.client_order_id.clone(),
            status: tracked.status,
            fill: Some(Fill {
                client_order_id: tracked.client_order_id.clone(),
                symbol: tracked.symbol,
                side,
                price,
                quantity,
                fee: -charged,
                liquidity,
                at: nanos(deal.time_ms),
            }),
            reason: None,
            at: nanos(deal.time_ms),
        });
        self.book.insert(tracked);
        Ok(())
    }

    /// Orders we track as working that MT5 no longer lists as working: read their final state.
    async fn check_finished(&mut self) -> Result<(), BrokerError> {
        let open: Vec<u64> = self
            .book
            .by_ticket
            .values()
            .filter(|tracked| !tracked.status.is_terminal())
            .map(|tracked| tracked.ticket)
            .collect();
        if open.is_empty() {
            return Ok(());
        }
        let working: Orders = self
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
        for ticket in open {
            if working.orders.iter().any(|row| row.ticket == ticket) {
                continue;
            }
            let Some(row) = self.finished_order(ticket).await? else {
                continue;
            };
            let status = convert::status(&row)?;
            if status.is_terminal() && status != OrderStatus::Filled {
                // The terminal may book an order's last deal after its final state: report
                // those fills before the order ends.
                self.catch_up_deals(ticket).await?;
            }
            let Some(mut tracked) = self.book.by_ticket.get(&ticket).cloned() else {
                continue;
            };
            let (status, reason) = match status {
                OrderStatus::Cancelled if tracked.kind == OrderKind::Market => (
                    OrderStatus::Cancelled,
                    "the unfilled rest of the market order was cancelled",
                ),
                OrderStatus::Cancelled => (OrderStatus::Cancelled, "cancelled at the venue"),
                OrderStatus::Expired => (OrderStatus::Expired, "expired (time in force)"),
                // Our lifecycle rejects only new orders; one refused after acceptance (say, no
                // margin when a pending order triggered) ends cancelled, with the reason.
                OrderStatus::Rejected => (
                    OrderStatus::Cancelled,
                    "rejected by the trade server after acceptance",
                ),
                // Filled: the deals tell; anything else is still in flight.
                OrderStatus::Filled
                | OrderStatus::New
                | OrderStatus::Accepted
                | OrderStatus::PartiallyFilled => continue,
            };
            tracked.status = status;
            self.pending.push_back(BrokerEvent {
                client_order_id: tracked.client_order_id.clone(),
                status,
                fill: None,
                reason: Some(reason.into()),
                at: nanos(row.time_done_ms),
            });
            self.book.insert(tracked);
        }
        Ok(())
    }

    /// Reports unseen deals of one order.
    pub(super) async fn catch_up_deals(&mut self, ticket: u64) -> Result<(), BrokerError> {
        let answer: Deals = self
            .link
            .call(
                "/v1/deals",
                &HistoryQuery {
                    order: Some(ticket),
                    ..HistoryQuery::default()
                },
            )
            .await
            .map_err(|error| self.link_failed(error))?;
        let mut deals = answer.deals;
        deals.sort_by_key(|deal| (deal.time_ms, deal.ticket));
        // Older deals are outside the memory of seen tickets: polls have read them already.
        let horizon = self.cursor_ms.saturating_sub(2 * OVERLAP_MS);
        for deal in deals {
            if deal.time_ms < horizon || self.seen_deals.contains_key(&deal.ticket) {
                continue;
            }
            let news = self
                .book
                .by_ticket
                .get(&ticket)
                .is_some_and(|tracked| deal.time_ms >= tracked.fills_from_ms);
            if news && let Some(side) = deal_side(&deal.deal_type) {
                self.on_deal(&deal, side).await?;
            }
            self.seen_deals.insert(deal.ticket, deal.time_ms);
        }
        Ok(())
    }

    fn poll_delay(&self) -> Duration {
        if self.last_poll_error.is_some() {
            (self.settings.poll_interval * 4).min(MAX_BACKOFF)
        } else {
            self.settings.poll_interval
        }
    }

    /// The polling stream; boxed so it is `Unpin` like the simulator's (callers can use
    /// `StreamExt::next` on it directly).
    pub(super) fn event_stream(&mut self) -> impl Stream<Item = BrokerEvent> + Send + '_ {
        Box::pin(futures_util::stream::unfold(self, |this| async move {
            loop {
                if let Some(event) = this.pending.pop_front() {
                    return Some((event, this));
                }
                if let Some(last) = this.last_sync {
                    tokio::time::sleep_until(last + this.poll_delay()).await;
                }
                match this.sync().await {
                    Ok(()) => this.last_poll_error = None,
                    Err(error) => this.last_poll_error = Some(error),
                }
            }
        }))
    }
}
