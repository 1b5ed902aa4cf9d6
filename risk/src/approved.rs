//! [`Approved`]: an order that passed every pre-trade check.

/// A value (an order request) that passed the [`RiskManager`](crate::RiskManager)'s checks.
///
/// The field is private and no constructor is public: only this crate mints approvals, in
/// [`RiskManager::check`](crate::RiskManager::check). The broker-facing path (the backtest's
/// submission to the matching engine, the runtime's order manager) takes `Approved<OrderRequest>`
/// and nothing else, so no strategy, external signal or operator command can bypass the checks.
/// It is not `Clone`: one approval sends one order.
///
/// Outside this crate an approval cannot be forged:
///
/// ```compile_fail,E0423
/// use airlock_core::OrderRequest;
/// use airlock_risk::Approved;
///
/// fn forge(order: OrderRequest) -> Approved<OrderRequest> {
///     Approved(order) // error[E0423]: cannot initialize a tuple struct which contains private fields
/// }
/// ```
///
/// ```compile_fail,E0308
/// use airlock_core::OrderRequest;
/// use airlock_risk::Approved;
///
/// fn copy(order: &Approved<OrderRequest>) -> Approved<OrderRequest> {
///     order.clone() // not `Clone`: this only copies the reference (mismatched types)
/// }
/// ```
///
/// Reading one is allowed:
///
/// ```
/// use airlock_core::OrderRequest;
/// use airlock_risk::Approved;
///
/// fn symbol_of(order: &Approved<OrderRequest>) -> airlock_core::Symbol {
///     order.get().symbol()
/// }
/// ```
#[derive(Debug, PartialEq, Eq)]
pub struct Approved<T>(T);

impl<T> Approved<T> {
    /// Only the risk manager approves.
    pub(crate) fn new(value: T) -> Self {
        Self(value)
    }

    /// The approved value.
    pub fn get(&self) -> &T {
        &self.0
    }

    /// The approved value, consuming the approval (to hand it to a broker).
    pub fn into_inner(self) -> T {
        self.0
    }
}
