//! [`Runtime`]: one trading session of mode `M` around a broker of the same mode.

use std::marker::PhantomData;

use airlock_core::{AccountSnapshot, Broker, BrokerError, Mode, ModeTag, NotLive};
use tracing::Instrument;

/// A trading session in mode `M`. It accepts only a [`Broker<M>`]: a paper runtime given a live
/// broker, or a backtest runtime given a paper broker, does not compile. A live runtime is built
/// only by `Runtime::new_live`, which exists only with the cargo feature `live` and needs the
/// `LiveGate` that the live start-up guards hand out.
///
/// Everything the runtime does runs inside a tracing span carrying `mode`, so every log line of
/// the session names its mode.
#[derive(Debug)]
pub struct Runtime<M: Mode, B: Broker<M>> {
    broker: B,
    span: tracing::Span,
    mode: PhantomData<fn() -> M>,
}

impl<M: NotLive, B: Broker<M>> Runtime<M, B> {
    /// A session around `broker`, for every mode but live.
    pub fn new(broker: B) -> Self {
        Self::build(broker)
    }
}

#[cfg(feature = "live")]
impl<B: Broker<airlock_core::Live>> Runtime<airlock_core::Live, B> {
    /// A live session around `broker`. Exists only with the cargo feature `live`, and only for a
    /// caller holding the gate the live start-up guards issue.
    pub fn new_live(broker: B, gate: crate::guard::LiveGate) -> Self {
        let runtime = Self::build(broker);
        runtime.span.in_scope(|| {
            tracing::warn!(account = gate.account(), "live session: real money");
        });
        runtime
    }
}

impl<M: Mode, B: Broker<M>> Runtime<M, B> {
    fn build(broker: B) -> Self {
        Self {
            broker,
            span: tracing::info_span!("runtime", mode = %M::TAG),
            mode: PhantomData,
        }
    }

    /// The session's mode.
    pub fn mode(&self) -> ModeTag {
        M::TAG
    }

    /// The span every event of this session is recorded in.
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// The broker.
    pub fn broker(&self) -> &B {
        &self.broker
    }

    /// The broker's account now (cash, equity, positions), asked inside the session's span.
    ///
    /// # Errors
    ///
    /// The broker's [`BrokerError`].
    pub async fn account(&mut self) -> Result<AccountSnapshot, BrokerError> {
        let span = self.span.clone();
        self.broker.account().instrument(span).await
    }

    /// Ends the session and hands the broker back.
    pub fn into_broker(self) -> B {
        self.broker
    }
}

#[cfg(test)]
mod tests {
    use airlock_brokers::SimBroker;
    use airlock_brokers::matching::EngineConfig;
    use airlock_core::{Backtest, DryRun, Money};

    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn a_backtest_runtime_drives_its_simulator() {
        let cash = Money::from_raw(1_000 * i128::from(airlock_core::SCALE));
        let broker = SimBroker::<Backtest>::new(EngineConfig::default(), cash);
        let mut runtime = Runtime::<Backtest, _>::new(broker);
        assert_eq!(runtime.mode(), ModeTag::Backtest);
        let account = runtime.account().await.unwrap();
        assert_eq!(account.cash, cash);
        let dry_run =
            Runtime::<DryRun, _>::new(SimBroker::<DryRun>::new(EngineConfig::default(), cash));
        assert_eq!(dry_run.mode().as_str(), "dry_run");
    }
}
