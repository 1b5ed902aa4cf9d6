//! Order entry: [`Broker`] and [`AccountBroker`] for [`Alpaca`].
//!
//! Submit and replace never guess. When Alpaca's answer is lost (a timeout, a dropped
//! connection, an unreadable body) or Alpaca refuses the client order id as a duplicate, the
//! order is looked up by its client order id (`GET /v2/orders:by_client_order_id`) before
//! anything is decided: the same order found means the request went through (the retry
//! succeeds with that order's acknowledgement); a different order under the id is a conflict
//! (rejected, naming it); no order after a lost answer means it never arrived (transient: resend
//! with the same id).

use airlock_core::{
    AccountSnapshot, Broker, BrokerAccount, BrokerError, BrokerEvent, BrokerOrderId, ClientOrderId,
    OrderReport, OrderRequest, OrderStatus, Position, ReplaceRequest, SubmitAck,
};
use apca::api::v2::order;
use futures_core::Stream;

use super::broker::Alpaca;
use super::convert::{LegSnapshot, create_request, order_id, price_num, quantity_num};
use super::error::CallError;
use super::ids::{MAX_REPLACEMENTS, has_reserved_suffix, leg_client_id};
use crate::account::{AccountBroker, AccountReport};
use crate::credentials::Credentials;
use crate::endpoint::Endpoint;

impl<M: BrokerAccount> Broker<M> for Alpaca<M> {
    async fn submit(&mut self, order: OrderRequest) -> Result<SubmitAck, BrokerError> {
        let ours = order.client_order_id().clone();
        let operation = format!("submit {ours}");
        let rejected = |reason: String| BrokerError::Rejected {
            reason: format!("{operation}: {reason}"),
        };
        if has_reserved_suffix(&ours) {
            return Err(rejected(format!(
                "client_order_id: {ours} ends in .r<number>, which names Alpaca replacements; \
                 choose another id"
            )));
        }
        let request = create_request(&order).map_err(rejected)?;
        match self.shared.api.call::<order::Create>(&request).await {
            Ok(created) => self.acknowledge(&created, &operation),
            Err(error) if error.is_duplicate_client_order_id() || error.outcome_unknown() => {
                self.resolve_submit(&order, error, &operation).await
            }
            Err(error) => Err(self.shared.api.fail(error, &operation)),
        }
    }

    async fn cancel(&mut self, id: &ClientOrderId) -> Result<(), BrokerError> {
        let operation = format!("cancel {id}");
        let (leg, leg_id) = self.current_leg(id, &operation).await?;
        let fatal = |reason: String| BrokerError::Fatal {
            reason: format!("{operation}: {reason}"),
        };
        let apca_id = order_id(&leg_id).map_err(fatal)?;
        match self.shared.api.call::<order::Delete>(&apca_id).await {
            Ok(()) => Ok(()),
            // Not cancelable: maybe replaced by a leg we have not heard of yet. Follow it.
            Err(error) if error.status() == Some(422) => {
                let newest = self.live_leg(id, leg, &leg_id, &operation).await?;
                if newest.leg == leg {
                    return Err(self.shared.api.fail(error, &operation));
                }
                let newest_id = order_id(&newest.broker_order_id).map_err(fatal)?;
                self.call::<order::Delete>(&newest_id, &operation).await
            }
            Err(error) => Err(self.shared.api.fail(error, &operation)),
        }
    }

    async fn replace(
        &mut self,
        id: &ClientOrderId,
        change: ReplaceRequest,
    ) -> Result<OrderReport, BrokerError> {
        let operation = format!("replace {id}");
        let rejected = |reason: String| BrokerError::Rejected {
            reason: format!("{operation}: {reason}"),
        };
        let (leg, leg_id) = self.current_leg(id, &operation).await?;
        let current = self.live_leg(id, leg, &leg_id, &operation).await?;
        let (leg, apca_id) = (
            current.leg,
            order_id(&current.broker_order_id).map_err(&rejected)?,
        );
        if current.status().is_terminal() {
            return Err(rejected(format!(
                "order {id} is already {} at Alpaca",
                current.status()
            )));
        }
        let before = self.shared.book().filled_before(id, leg);
        let filled = before.checked_add(current.filled).unwrap_or(before);
        let total = match change.quantity {
            Some(total) => total,
            None => before
                .checked_add(current.quantity)
                .unwrap_or(current.quantity),
        };
        let remaining = total
            .checked_sub(filled)
            .filter(|remaining| remaining.is_positive())
            .ok_or_else(|| {
                rejected(format!(
                    "quantity: the new total {total} must exceed the {filled} already filled"
                ))
            })?;
        let next = self
            .shared
            .book()
            .last_leg(id)
            .unwrap_or(leg)
            .max(leg)
            .saturating_add(1);
        let client_id = leg_client_id(id, next).map_err(&rejected)?;
        let request = order::ChangeReq {
            // Always sent, as what is left to fill: Alpaca's replacement is a new order and
            // would otherwise repeat the original quantity (Alpaca-API issue #165).
            quantity: Some(quantity_num(remaining, "qty").map_err(&rejected)?),
            limit_price: change
                .limit
                .map(|limit| price_num(limit, "limit_price"))
                .transpose()
                .map_err(&rejected)?,
            stop_price: change
                .stop
                .map(|stop| price_num(stop, "stop_price"))
                .transpose()
                .map_err(&rejected)?,
            client_order_id: Some(client_id.clone()),
            ..order::ChangeReq::default()
        };
        let replacement = match self
            .shared
            .api
            .call::<order::Change>(&(apca_id, request))
            .await
        {
            Ok(replacement) => self.snapshot(&replacement, &operation)?,
            Err(error) if error.is_duplicate_client_order_id() || error.outcome_unknown() => {
                self.find_after_lost_answer(&client_id, &error, &operation)
                    .await?
            }
            Err(error) => return Err(self.shared.api.fail(error, &operation)),
        };
        self.shared.book().register(&replacement);
        tracing::info!(
            client_order_id = %id,
            leg = next,
            alpaca_order_id = %replacement.broker_order_id,
            "alpaca order replaced"
        );
        let mut report = replacement.report();
        report.quantity = filled.checked_add(replacement.quantity).unwrap_or(total);
        report.filled = filled;
        report.status = if filled.is_positive() {
            OrderStatus::PartiallyFilled
        } else {
            OrderStatus::Accepted
        };
        Ok(report)
    }

    async fn open_orders(&mut self) -> Result<Vec<OrderReport>, BrokerError> {
        let open = super::broker::list(&self.shared, apca::api::v2::orders::Status::Open).await?;
        let mut newest: Vec<LegSnapshot> = Vec::with_capacity(open.len());
        for snapshot in open {
            // While a replace is pending both legs are open: report the newer one.
            match newest.iter_mut().find(|kept| kept.ours == snapshot.ours) {
                Some(kept) if kept.leg < snapshot.leg => *kept = snapshot,
                Some(_) => {}
                None => newest.push(snapshot),
            }
        }
        let unknown: Vec<LegSnapshot> = {
            let book = self.shared.book();
            newest
                .iter()
                .filter(|snapshot| !book.contains(&snapshot.ours))
                .cloned()
                .collect()
        };
        super::broker::adopt(&self.shared, &unknown).await;
        let book = self.shared.book();
        Ok(newest
            .iter()
            .map(|snapshot| book.report(snapshot))
            .collect())
    }

    async fn positions(&mut self) -> Result<Vec<Position>, BrokerError> {
        self.read_positions().await
    }

    async fn account(&mut self) -> Result<AccountSnapshot, BrokerError> {
        self.read_account().await
    }

    fn events(&mut self) -> impl Stream<Item = BrokerEvent> + Send + '_ {
        futures_util::stream::poll_fn(move |context| self.events.poll_recv(context))
    }
}

impl<M: BrokerAccount> AccountBroker<M> for Alpaca<M> {
    type Credentials = Credentials<M>;

    async fn connect(
        credentials: Credentials<M>,
        endpoint: Endpoint<M>,
    ) -> Result<Self, BrokerError> {
        Alpaca::connect(credentials, endpoint).await
    }

    fn account_report(&self) -> &AccountReport {
        self.account_report_ref()
    }

    async fn disconnect(self) {
        self.stop();
        tracing::info!("alpaca disconnected");
    }
}

impl<M: BrokerAccount> Alpaca<M> {
    fn snapshot(&self, found: &order::Order, operation: &str) -> Result<LegSnapshot, BrokerError> {
        match LegSnapshot::from_apca(found) {
            Ok(Some(snapshot)) => Ok(snapshot),
            Ok(None) => Err(BrokerError::Fatal {
                reason: format!(
                    "{operation}: Alpaca answered with client id {}, not ours",
                    found.client_order_id
                ),
            }),
            Err(reason) => Err(BrokerError::Fatal {
                reason: format!("{operation}: {reason}"),
            }),
        }
    }

    fn acknowledge(
        &self,
        created: &order::Order,
        operation: &str,
    ) -> Result<SubmitAck, BrokerError> {
        let snapshot = self.snapshot(created, operation)?;
        self.shared.book().register(&snapshot);
        Ok(SubmitAck {
            client_order_id: snapshot.ours.clone(),
            broker_order_id: snapshot.broker_order_id.clone(),
            status: snapshot.status(),
        })
    }

    /// A submit whose answer was lost or whose id Alpaca already knows: look it up.
    async fn resolve_submit(
        &self,
        order: &OrderRequest,
        error: CallError,
        operation: &str,
    ) -> Result<SubmitAck, BrokerError> {
        let ours = order.client_order_id();
        let existing = self
            .find_after_lost_answer(ours.as_str(), &error, operation)
            .await?;
        let differences = differences(order, &existing);
        if !differences.is_empty() {
            return Err(BrokerError::Rejected {
                reason: format!(
                    "{operation}: client order id {ours} already names a different order at \
                     Alpaca ({}: {}); Alpaca never reuses an id, even after a cancel",
                    existing.broker_order_id,
                    differences.join(", ")
                ),
            });
        }
        tracing::info!(
            client_order_id = %ours,
            alpaca_order_id = %existing.broker_order_id,
            "alpaca already has this order: the retry is acknowledged with it"
        );
        self.shared.book().register(&existing);
        Ok(SubmitAck {
            client_order_id: ours.clone(),
            broker_order_id: existing.broker_order_id.clone(),
            status: existing.status(),
        })
    }

    /// Looks up `client_id` after `error` left the outcome of a create or replace open.
    async fn find_after_lost_answer(
        &self,
        client_id: &str,
        error: &CallError,
        operation: &str,
    ) -> Result<LegSnapshot, BrokerError> {
        let original = self.shared.api.fail(error.clone(), operation);
        let lookup = self
            .shared
            .api
            .call::<order::GetByClientId>(&client_id.to_owned())
            .await;
        match lookup {
            Ok(found) => self.snapshot(&found, operation),
            Err(missing) if missing.status() == Some(404) => {
                if error.is_duplicate_client_order_id() {
                    Err(BrokerError::Rejected {
                        reason: format!(
                            "{operation}: Alpaca calls client order id {client_id} used, but no \
                             order carries it"
                        ),
                    })
                } else {
                    Err(BrokerError::Transient {
                        reason: format!(
                            "{original}; Alpaca has no order {client_id}, so it never arrived: \
                             resend with the same client order id"
                        ),
                    })
                }
            }
            Err(lookup_error) => Err(BrokerError::Transient {
                reason: format!(
                    "{original}; looking the order up failed too ({}): resend with the same \
                     client order id, which Alpaca will not execute twice",
                    self.shared.api.fail(lookup_error, "lookup")
                ),
            }),
        }
    }

    /// Leg `leg` of our order as Alpaca has it now, or, when it was replaced, the newest leg
    /// after it (a replace whose answer was lost leaves the book one leg behind).
    async fn live_leg(
        &self,
        id: &ClientOrderId,
        leg: u32,
        leg_id: &BrokerOrderId,
        operation: &str,
    ) -> Result<LegSnapshot, BrokerError> {
        let apca_id = order_id(leg_id).map_err(|reason| BrokerError::Fatal {
            reason: format!("{operation}: {reason}"),
        })?;
        let found = self.call::<order::Get>(&apca_id, operation).await?;
        let mut current = self.snapshot(&found, operation)?;
        while current.alpaca_status == order::Status::Replaced && current.leg < MAX_REPLACEMENTS {
            let client_id = leg_client_id(id, current.leg.saturating_add(1)).map_err(|reason| {
                BrokerError::Rejected {
                    reason: format!("{operation}: {reason}"),
                }
            })?;
            let found = self
                .call::<order::GetByClientId>(&client_id, operation)
                .await?;
            current = self.snapshot(&found, operation)?;
            self.shared.book().register(&current);
        }
        if current.leg != leg {
            tracing::info!(client_order_id = %id, leg = current.leg, "alpaca order leg caught up");
        }
        Ok(current)
    }

    /// The current leg of our order: from the book, or found at Alpaca (after a restart) by
    /// following the replacement ids from ours.
    async fn current_leg(
        &self,
        id: &ClientOrderId,
        operation: &str,
    ) -> Result<(u32, BrokerOrderId), BrokerError> {
        let known = {
            let book = self.shared.book();
            book.current_leg(id).map(|leg| (leg, book.is_finished(id)))
        };
        if let Some((leg, finished)) = known {
            if finished {
                return Err(BrokerError::Rejected {
                    reason: format!("{operation}: order {id} is already finished"),
                });
            }
            return Ok(leg);
        }
        for leg in 0..=MAX_REPLACEMENTS {
            let client_id = leg_client_id(id, leg).map_err(|reason| BrokerError::Rejected {
                reason: format!("{operation}: {reason}"),
            })?;
            let found = match self
                .shared
                .api
                .call::<order::GetByClientId>(&client_id)
                .await
            {
                Ok(found) => self.snapshot(&found, operation)?,
                Err(error) if error.status() == Some(404) && leg == 0 => {
                    return Err(BrokerError::Rejected {
                        reason: format!("{operation}: Alpaca has no order {id}"),
                    });
                }
                Err(error) => return Err(self.shared.api.fail(error, operation)),
            };
            self.shared.book().adopt(&found);
            if found.alpaca_status != order::Status::Replaced {
                if found.status().is_terminal() {
                    return Err(BrokerError::Rejected {
                        reason: format!(
                            "{operation}: order {id} is already {} at Alpaca",
                            found.status()
                        ),
                    });
                }
                return Ok((leg, found.broker_order_id));
            }
        }
        Err(BrokerError::Rejected {
            reason: format!("{operation}: order {id} has no current leg at Alpaca"),
        })
    }
}

/// How `existing` differs from what `order` asked for, field by field.
fn differences(order: &OrderRequest, existing: &LegSnapshot) -> Vec<String> {
    let mut found = Vec::new();
    let mut compare = |field: &str, ours: String, theirs: String| {
        if ours != theirs {
            found.push(format!("{field} is {theirs} there, {ours} here"));
        }
    };
    compare(
        "symbol",
        order.symbol().to_string(),
        existing.symbol.to_string(),
    );
    compare("side", order.side().to_string(), existing.side.to_string());
    compare(
        "qty",
        order.quantity().to_string(),
        existing.quantity.to_string(),
    );
    compare(
        "type",
        format!("{:?}", order.kind()),
        format!("{:?}", existing.kind),
    );
    compare(
        "time_in_force",
        order.time_in_force().to_string(),
        existing.time_in_force.to_string(),
    );
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alpaca::test_data::order_json;
    use airlock_core::{OrderKind, Quantity, Side, Symbol, TimeInForce};

    fn snapshot(json: &str) -> LegSnapshot {
        let order: order::Order = serde_json::from_str(json).unwrap();
        LegSnapshot::from_apca(&order).unwrap().unwrap()
    }

    #[test]
    fn a_lookup_matches_only_the_same_order() {
        let request = OrderRequest::new(
            ClientOrderId::parse("o-1").unwrap(),
            Symbol::parse("AAPL").unwrap(),
            Side::Buy,
            OrderKind::Limit {
                limit: "187.25".parse().unwrap(),
            },
            Quantity::from_units(10).unwrap(),
            TimeInForce::Day,
        )
        .unwrap();
        let same = snapshot(&order_json("o-1", "new", "10", "0", None));
        assert_eq!(differences(&request, &same), Vec::<String>::new());
        let other = snapshot(
            &order_json("o-1", "new", "12", "0", None)
                .replace(r#""side":"buy""#, r#""side":"sell""#),
        );
        assert_eq!(
            differences(&request, &other),
            ["side is sell there, buy here", "qty is 12 there, 10 here"]
        );
    }
}
