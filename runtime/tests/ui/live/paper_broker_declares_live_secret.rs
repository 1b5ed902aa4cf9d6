//! A paper account broker cannot declare live credentials: `AccountBroker<M>::Credentials` must
//! be credentials of the same mode.
use airlock_brokers::{AccountBroker, AccountReport, BridgeSecret, Endpoint};
use airlock_core::{
    AccountSnapshot, Broker, BrokerError, BrokerEvent, ClientOrderId, Live, OrderReport,
    OrderRequest, Paper, Position, ReplaceRequest, SubmitAck,
};

pub struct Venue(AccountReport);

impl Broker<Paper> for Venue {
    async fn submit(&mut self, _: OrderRequest) -> Result<SubmitAck, BrokerError> {
        Err(refused())
    }
    async fn cancel(&mut self, _: &ClientOrderId) -> Result<(), BrokerError> {
        Err(refused())
    }
    async fn replace(&mut self, _: &ClientOrderId, _: ReplaceRequest) -> Result<OrderReport, BrokerError> {
        Err(refused())
    }
    async fn open_orders(&mut self) -> Result<Vec<OrderReport>, BrokerError> {
        Err(refused())
    }
    async fn positions(&mut self) -> Result<Vec<Position>, BrokerError> {
        Err(refused())
    }
    async fn account(&mut self) -> Result<AccountSnapshot, BrokerError> {
        Err(refused())
    }
    fn events(&mut self) -> impl futures_core::Stream<Item = BrokerEvent> + Send + '_ {
        futures_util::stream::empty()
    }
}

impl AccountBroker<Paper> for Venue {
    type Credentials = BridgeSecret<Live>;

    async fn connect(_: BridgeSecret<Live>, _: Endpoint<Paper>) -> Result<Self, BrokerError> {
        Err(refused())
    }
    fn account_report(&self) -> &AccountReport {
        &self.0
    }
    async fn disconnect(self) {}
}

fn main() {}

/// What every call of this venue answers (it never trades: the file must not even compile).
fn refused() -> BrokerError {
    BrokerError::Fatal {
        reason: "compile-fail fixture".to_owned(),
    }
}
