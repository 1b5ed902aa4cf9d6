//! Submit, cancel, replace and the reads (working orders, positions, account).

use airlock_core::{
    BrokerAccount, BrokerError, BrokerEvent, OrderKind, OrderRequest, OrderStatus, Quantity, Side,
    SubmitAck, Symbol, TimeInForce, UnixNanos,
};

use super::auth::order_tag;
use super::connect::link_error;
use super::convert::{
    self, Done, EXECUTION_MARKET, MarginMode, Spec, fatal, none_result, rejected, transient,
};
use super::link::LinkError;
use super::wire::{
    DealRow, PositionRow, Send, SendAnswer, SymbolQuery, SymbolSpec, TagLookup, TagQuery,
    TradeRequest,
};
use super::{Mt5Bridge, Tracked};

pub(super) fn nanos(ms: i64) -> UnixNanos {
    UnixNanos::new(
        u64::try_from(ms)
            .ok()
            .and_then(|ms| ms.checked_mul(1_000_000))
            .unwrap_or(0),
    )
}

pub(super) fn time_in_force_name(time_in_force: TimeInForce) -> &'static str {
    match time_in_force {
        TimeInForce::Day => "day",
        TimeInForce::Gtc | TimeInForce::Ioc | TimeInForce::Fok => "gtc",
    }
}

fn order_type(side: Side, kind: &OrderKind) -> &'static str {
    match (side, kind) {
        (Side::Buy, OrderKind::Market) => "buy",
        (Side::Sell, OrderKind::Market) => "sell",
        (Side::Buy, OrderKind::Limit { .. }) => "buy_limit",
        (Side::Sell, OrderKind::Limit { .. }) => "sell_limit",
        (Side::Buy, OrderKind::Stop { .. }) => "buy_stop",
        (Side::Sell, OrderKind::Stop { .. }) => "sell_stop",
        (Side::Buy, OrderKind::StopLimit { .. }) => "buy_stop_limit",
        (Side::Sell, OrderKind::StopLimit { .. }) => "sell_stop_limit",
    }
}

impl<M: BrokerAccount> Mt5Bridge<M> {
    pub(super) fn at(&self) -> String {
        self.link
            .base()
            .split_once("://")
            .map_or(self.link.base(), |(_, rest)| rest)
            .to_owned()
    }

    pub(super) fn link_failed(&self, error: LinkError) -> BrokerError {
        link_error(&self.at(), error)
    }

    /// The terminal's name for our symbol.
    pub(super) fn mt5_name(&self, symbol: Symbol) -> String {
        self.settings
            .symbols
            .get(&symbol)
            .cloned()
            .unwrap_or_else(|| symbol.as_str().to_owned())
    }

    /// Our symbol for the terminal's name.
    pub(super) fn our_symbol(&self, name: &str) -> Result<Symbol, BrokerError> {
        if let Some((symbol, _)) = self.settings.symbols.iter().find(|(_, mt5)| *mt5 == name) {
            return Ok(*symbol);
        }
        Symbol::parse(name).map_err(|error| fatal(format!("MT5 symbol {name:?}: {error}")))
    }

    pub(super) async fn spec(&mut self, symbol: Symbol) -> Result<Spec, BrokerError> {
        if let Some(spec) = self.specs.get(&symbol) {
            return Ok(spec.clone());
        }
        let name = self.mt5_name(symbol);
        let wire: SymbolSpec = self
            .link
            .call("/v1/symbol", &SymbolQuery { symbol: &name })
            .await
            .map_err(|error| self.link_failed(error))?;
        let spec = Spec::from_wire(&wire)?;
        self.specs.insert(symbol, spec.clone());
        Ok(spec)
    }

    fn ack(tracked: &Tracked) -> SubmitAck {
        SubmitAck {
            client_order_id: tracked.client_order_id.clone(),
            broker_order_id: airlock_core::BrokerOrderId::new(tracked.ticket.to_string()),
            status: tracked.status,
        }
    }

    pub(super) fn queue(
        &mut self,
        tracked: &Tracked,
        status: OrderStatus,
        reason: Option<String>,
        at: i64,
    ) {
        self.pending.push_back(BrokerEvent {
            client_order_id: tracked.client_order_id.clone(),
            status,
            fill: None,
            reason: reason.map(Into::into),
            at: nanos(at),
        });
    }

    // ----- submit ---------------------------------------------------------------------------

    pub(super) async fn submit_order(
        &mut self,
        order: OrderRequest,
    ) -> Result<SubmitAck, BrokerError> {
        let id = order.client_order_id().clone();
        if let Some(tracked) = self.book.by_id(&id) {
            // Sent by this client already: answer with it, never send twice; but a different
            // order under the same id is refused, never taken for the first one.
            let same = tracked.symbol == order.symbol()
                && tracked.side == order.side()
                && tracked.kind.as_str() == order.kind().as_str()
                && tracked.quantity == order.quantity()
                && tracked.time_in_force == order.time_in_force();
            if !same {
                return Err(rejected(format!(
                    "client_order_id {id} already names a different order ({} {} {} {} {}); \
                     a new order needs a new id",
                    tracked.side,
                    tracked.quantity,
                    tracked.symbol,
                    tracked.kind.as_str(),
                    tracked.time_in_force
                )));
            }
            return Ok(Self::ack(tracked));
        }
        let spec = self.spec(order.symbol()).await?;
        let request = self.trade_request(&order, &spec).await?;
        let tag = order_tag(&id);
        self.book.ids_by_tag.insert(tag.clone(), id.clone());
        // Sent before (a lost answer, or a previous process)? MT5 cannot tell us, the tag can.
        if let Some(tracked) = self.find_by_tag(&order, &spec, &tag, false).await? {
            return Ok(Self::ack(&tracked));
        }
        let sent: Result<SendAnswer, LinkError> =
            self.link.call("/v1/order_send", &Send { request }).await;
        let unknown = match sent {
            Ok(SendAnswer {
                result: Some(result),
                ..
            }) => {
                let done = convert::retcode(result.retcode, &result.retcode_name, &result.comment)?;
                let tracked = Tracked {
                    client_order_id: id,
                    ticket: result.order,
                    symbol: order.symbol(),
                    side: order.side(),
                    kind: order.kind(),
                    time_in_force: order.time_in_force(),
                    quantity: order.quantity(),
                    filled: Quantity::ZERO,
                    status: OrderStatus::Accepted,
                    fills_from_ms: i64::MIN,
                };
                self.book.insert(tracked.clone());
                let now = self.link.clock().now_ms;
                self.queue(&tracked, OrderStatus::Accepted, None, now);
                if done != Done::Placed {
                    // Fills of an executed deal are in the history now: report them promptly.
                    if let Err(error) = self.sync().await {
                        self.last_poll_error = Some(error);
                    }
                }
                return Ok(Self::ack(&tracked));
            }
            Ok(SendAnswer {
                result: None,
                last_error,
            }) => match none_result(last_error.code, &last_error.message) {
                Some(error) => return Err(error),
                None => format!(
                    "order_send returned None: last_error {} {}",
                    last_error.code, last_error.message
                ),
            },
            Err(LinkError::NoAnswer {
                maybe_delivered: false,
                reason,
            }) => {
                return Err(transient(format!(
                    "bridge at {}: {reason} (nothing was sent)",
                    self.at()
                )));
            }
            Err(error @ LinkError::NoAnswer { .. }) => error.to_string(),
            Err(error) => return Err(self.link_failed(error)),
        };
        // The outcome is unknown: the order may exist. Look for it before anything else.
        match self.find_by_tag(&order, &spec, &tag, true).await {
            Ok(Some(tracked)) => Ok(Self::ack(&tracked)),
            Ok(None) => Err(transient(format!(
                "outcome of order {} unknown ({unknown}); no order carries its tag {tag}, so it \
                 was not placed; retrying with the same id looks it up again before sending",
                order.client_order_id()
            ))),
            Err(error) => Err(transient(format!(
                "outcome of order {} unknown ({unknown}) and the lookup by tag failed ({error}); \
                 retrying with the same id looks it up again before sending",
                order.client_order_id()
            ))),
        }
    }

    /// The MT5 request for `order`, refusing what MT5 would refuse or could misread.
    async fn trade_request(
        &mut self,
        order: &OrderRequest,
        spec: &Spec,
    ) -> Result<TradeRequest, BrokerError> {
        let lots = spec.lots(order.quantity())?;
        if spec.trade_mode == 0 {
            return Err(rejected(format!(
                "{} is not tradeable (SYMBOL_TRADE_MODE_DISABLED)",
                spec.name
            )));
        }
        let mut request = TradeRequest {
            symbol: Some(spec.name.clone()),
            volume: Some(lots.to_string()),
            order_type: Some(order_type(order.side(), &order.kind())),
            magic: Some(self.settings.magic),
            comment: Some(order_tag(order.client_order_id())),
            type_time: Some(time_in_force_name(order.time_in_force())),
            ..TradeRequest::default()
        };
        match order.kind() {
            OrderKind::Market => {
                request.action = "deal";
                // A deal has no lifetime; DAY/GTC decided its fill policy below.
                request.type_time = Some("gtc");
                request.deviation = Some(self.settings.deviation_points);
                request.type_filling = Some(self.market_filling(order, spec)?);
            }
            kind => {
                if matches!(order.time_in_force(), TimeInForce::Ioc | TimeInForce::Fok) {
                    return Err(rejected(format!(
                        "MT5 pending orders (limit, stop, stop-limit) take DAY or GTC, not {}",
                        order.time_in_force()
                    )));
                }
                request.action = "pending";
                request.type_filling = Some(self.pending_filling(spec));
                let (price, stoplimit) = match kind {
                    OrderKind::Limit { limit } => (limit, None),
                    OrderKind::Stop { stop } => (stop, None),
                    OrderKind::StopLimit { stop, limit } => {
                        let wrong_side = match order.side() {
                            Side::Buy => limit > stop,
                            Side::Sell => limit < stop,
                        };
                        if wrong_side {
                            return Err(rejected(format!(
                                "MT5 places a {} stop-limit's limit order {} its trigger: limit \
                                 {limit} is on the other side of stop {stop}",
                                order.side(),
                                if order.side() == Side::Buy {
                                    "at or below"
                                } else {
                                    "at or above"
                                }
                            )));
                        }
                        (stop, Some(limit))
                    }
                    OrderKind::Market => return Err(fatal("unreachable: market handled above")),
                };
                spec.check_price(if stoplimit.is_some() { "stop" } else { "price" }, price)?;
                request.price = Some(price.to_string());
                if let Some(limit) = stoplimit {
                    spec.check_price("limit", limit)?;
                    request.stoplimit = Some(limit.to_string());
                }
            }
        }
        if order.is_reduce_only() {
            request.position = self.reduce_only(order, spec, lots).await?;
        }
        Ok(request)
    }

    fn market_filling(
        &self,
        order: &OrderRequest,
        spec: &Spec,
    ) -> Result<&'static str, BrokerError> {
        let refuse = |policy: &str| {
            rejected(format!(
                "{} does not allow {policy} fills (allowed: {})",
                spec.name,
                spec.allowed_fillings()
            ))
        };
        match order.time_in_force() {
            TimeInForce::Ioc if spec.allows_ioc() => Ok("ioc"),
            TimeInForce::Ioc => Err(refuse("IOC")),
            TimeInForce::Fok if spec.allows_fok() => Ok("fok"),
            TimeInForce::Fok => Err(refuse("FOK")),
            TimeInForce::Day | TimeInForce::Gtc => {
                if spec.allows_fok() {
                    Ok("fok")
                } else if spec.allows_ioc() {
                    Ok("ioc")
                } else if spec.exemode != EXECUTION_MARKET {
                    Ok("return")
                } else {
                    Err(refuse("any"))
                }
            }
        }
    }

    fn pending_filling(&self, spec: &Spec) -> &'static str {
        if spec.exemode == EXECUTION_MARKET && spec.allows_fok() {
            "fok"
        } else if spec.exemode == EXECUTION_MARKET && spec.allows_ioc() {
            "ioc"
        } else {
            "return"
        }
    }

    /// Checks a reduce-only order against the open position; on a hedging account returns the
    /// ticket of the oldest opposite position that covers it.
    async fn reduce_only(
        &mut self,
        order: &OrderRequest,
        spec: &Spec,
        lots: Quantity,
    ) -> Result<Option<u64>, BrokerError> {
        let rows = self.position_rows().await?;
        let closing = match order.side() {
            Side::Buy => "sell",
            Side::Sell => "buy",
        };
        let mut opposite: Vec<&PositionRow> = rows
            .iter()
            .filter(|row| row.symbol == spec.name && row.position_type == closing)
            .collect();
        opposite.sort_by_key(|row| (row.time_ms, row.ticket));
        let refuse = || {
            rejected(format!(
                "reduce-only {} of {} {} would not only reduce the open position",
                order.side(),
                order.quantity(),
                spec.name
            ))
        };
        match self.margin_mode {
            MarginMode::Netting => {
                let held = opposite
                    .iter()
                    .map(|row| convert::quantity("position.volume", &row.volume))
                    .try_fold(Quantity::ZERO, |sum, volume| {
                        volume.map(|volume| sum.checked_add(volume).unwrap_or(Quantity::MAX))
                    })?;
                if opposite.is_empty() || lots > held {
                    return Err(refuse());
                }
                Ok(None)
            }
            MarginMode::Hedging => {
                if order.kind() != OrderKind::Market {
                    return Err(rejected(
                        "reduce-only pending orders are not supported on MT5 hedging accounts",
                    ));
                }
                for row in opposite {
                    if convert::quantity("position.volume", &row.volume)? >= lots {
                        return Ok(Some(row.ticket));
                    }
                }
                Err(refuse())
            }
        }
    }

    /// Asks the bridge for anything carrying `tag`; tracks and returns the order found.
    /// `sent_here` says this client sent it (an answer was lost), so all its deals are news;
    /// otherwise deals before the connection are history.
    async fn find_by_tag(
        &mut self,
        order: &OrderRequest,
        spec: &Spec,
        tag: &str,
        sent_here: bool,
    ) -> Result<Option<Tracked>, BrokerError> {
        let lookback = i64::try_from(self.settings.lookback.as_millis()).unwrap_or(i64::MAX);
        let since_ms = self.link.clock().now_ms.saturating_sub(lookback);
        let found: TagLookup = self
            .link
            .call(
                "/v1/order_by_tag",
                &TagQuery {
                    magic: self.settings.magic,
                    tag,
                    since_ms,
                },
            )
            .await
            .map_err(|error| self.link_failed(error))?;
        let row = found
            .orders
            .iter()
            .chain(&found.history_orders)
            .min_by_key(|row| row.ticket);
        let Some(row) = row else {
            return Ok(None);
        };
        // The tag names one order forever: a different order under the same id is refused.
        let wanted_type = order_type(order.side(), &order.kind());
        let wanted_lots = spec.lots(order.quantity())?;
        let found_lots = convert::quantity("volume_initial", &row.volume_initial)?;
        if row.symbol != spec.name || row.order_type != wanted_type || found_lots != wanted_lots {
            return Err(rejected(format!(
                "client_order_id {} already names a different MT5 order (ticket {}: {} {} lots \
                 of {}); a new order needs a new id",
                order.client_order_id(),
                row.ticket,
                row.order_type,
                row.volume_initial,
                row.symbol
            )));
        }
        let mut tracked = Tracked {
            client_order_id: order.client_order_id().clone(),
            ticket: row.ticket,
            symbol: order.symbol(),
            side: order.side(),
            kind: order.kind(),
            time_in_force: order.time_in_force(),
            quantity: order.quantity(),
            filled: Quantity::ZERO,
            status: OrderStatus::Accepted,
            fills_from_ms: if sent_here { i64::MIN } else { self.floor_ms },
        };
        self.count_earlier_fills(&mut tracked, spec, &found.deals)?;
        self.book.insert(tracked.clone());
        if tracked.status == OrderStatus::Accepted {
            // Its acceptance is news to the caller; an order that already traded before this
            // connection is reconciliation's, reported by the ack's status.
            let now = self.link.clock().now_ms;
            self.queue(&tracked, OrderStatus::Accepted, None, now);
        }
        Ok(Some(tracked))
    }

    /// Counts the fills of `tracked` before its `fills_from_ms` (history, never events); later
    /// ones arrive as events.
    pub(super) fn count_earlier_fills(
        &self,
        tracked: &mut Tracked,
        spec: &Spec,
        deals: &[DealRow],
    ) -> Result<(), BrokerError> {
        for deal in deals.iter().filter(|deal| deal.order == tracked.ticket) {
            if deal.time_ms < tracked.fills_from_ms {
                let lots = convert::quantity("deal.volume", &deal.volume)?;
                let units = spec.units(lots)?;
                tracked.filled = tracked.filled.checked_add(units).unwrap_or(Quantity::MAX);
            }
        }
        tracked.status = if tracked.filled >= tracked.quantity {
            OrderStatus::Filled
        } else if tracked.filled.is_positive() {
            OrderStatus::PartiallyFilled
        } else {
            OrderStatus::Accepted
        };
        Ok(())
    }
}
