//! [`Wiring`]: what start-up needs to know per mode — the one place the runtime names each mode.

use std::fmt;

use airlock_brokers::{BridgeSecret, Credentials, CredentialsError};
use airlock_core::{Backtest, BrokerAccount, DryRun, EnvSnapshot, Mode, Paper};

use super::GuardRefusal;
use crate::config::BrokerKind;

/// Per-mode start-up facts: which brokers the mode admits and which credentials it reads.
pub trait Wiring: Mode {
    /// The credentials this mode's broker needs ([`NoCredentials`] for the simulated modes,
    /// [`AccountSecrets`] for paper and live).
    type Credentials: fmt::Debug + fmt::Display;
    /// The brokers an environment of this mode may declare.
    const BROKERS: &'static [BrokerKind];
    /// Reads the credentials `broker` needs from this mode's own namespace in `secrets`.
    ///
    /// # Errors
    ///
    /// Rule `credentials`, naming the missing, empty or too short variable.
    fn credentials(
        broker: BrokerKind,
        secrets: &EnvSnapshot,
    ) -> Result<Self::Credentials, GuardRefusal>;
}

/// The secrets of a broker account in mode `M`, by venue: Alpaca's key pair or the MT5 bridge's
/// shared secret. `Debug` and `Display` mask them as their types do.
#[derive(Debug)]
pub enum AccountSecrets<M: BrokerAccount> {
    /// `AIRLOCK_<MODE>__ALPACA__KEY_ID` and `…__SECRET_KEY`.
    Alpaca(Credentials<M>),
    /// `AIRLOCK_<MODE>__MT5__BRIDGE_SECRET`.
    Mt5(BridgeSecret<M>),
}

impl<M: BrokerAccount> fmt::Display for AccountSecrets<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountSecrets::Alpaca(credentials) => credentials.fmt(f),
            AccountSecrets::Mt5(secret) => secret.fmt(f),
        }
    }
}

/// The credentials of `broker` in a broker-account mode. The simulator needs none, but a paper
/// or live environment never declares it (rule `broker-mode`); Alpaca's are read for it so the
/// refusal still names a variable.
fn account_secrets<M: BrokerAccount>(
    broker: BrokerKind,
    secrets: &EnvSnapshot,
    alpaca: fn(&EnvSnapshot) -> Result<Credentials<M>, CredentialsError>,
    mt5: fn(&EnvSnapshot) -> Result<BridgeSecret<M>, CredentialsError>,
) -> Result<AccountSecrets<M>, GuardRefusal> {
    match broker {
        BrokerKind::Mt5 => mt5(secrets).map(AccountSecrets::Mt5).map_err(refusal),
        BrokerKind::Alpaca | BrokerKind::Sim => {
            alpaca(secrets).map(AccountSecrets::Alpaca).map_err(refusal)
        }
    }
}

/// The simulated modes need no credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoCredentials;

impl fmt::Display for NoCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("none (internal matching engine)")
    }
}

fn refusal(error: CredentialsError) -> GuardRefusal {
    let (variable, reason) = match error {
        CredentialsError::Missing { variable } => (
            variable,
            "not set (as a variable or in the secrets file)".to_owned(),
        ),
        CredentialsError::Empty { variable } => (variable, "set but empty".to_owned()),
        CredentialsError::TooShort { variable, minimum } => {
            (variable, format!("shorter than {minimum} characters"))
        }
    };
    GuardRefusal::new("credentials", variable, reason)
}

impl Wiring for Backtest {
    type Credentials = NoCredentials;
    const BROKERS: &'static [BrokerKind] = &[BrokerKind::Sim];
    fn credentials(_: BrokerKind, _: &EnvSnapshot) -> Result<NoCredentials, GuardRefusal> {
        Ok(NoCredentials)
    }
}

impl Wiring for DryRun {
    type Credentials = NoCredentials;
    const BROKERS: &'static [BrokerKind] = &[BrokerKind::Sim];
    fn credentials(_: BrokerKind, _: &EnvSnapshot) -> Result<NoCredentials, GuardRefusal> {
        Ok(NoCredentials)
    }
}

impl Wiring for Paper {
    type Credentials = AccountSecrets<Paper>;
    const BROKERS: &'static [BrokerKind] = &[BrokerKind::Alpaca, BrokerKind::Mt5];
    fn credentials(
        broker: BrokerKind,
        secrets: &EnvSnapshot,
    ) -> Result<AccountSecrets<Paper>, GuardRefusal> {
        account_secrets(
            broker,
            secrets,
            Credentials::<Paper>::from_env,
            BridgeSecret::<Paper>::from_env,
        )
    }
}

#[cfg(feature = "live")]
pub use live::LiveGate;

#[cfg(feature = "live")]
mod live {
    use airlock_brokers::{BridgeSecret, Credentials};
    use airlock_core::{EnvSnapshot, Live};

    use super::{AccountSecrets, GuardRefusal, Wiring, account_secrets};
    use crate::config::BrokerKind;

    impl Wiring for Live {
        type Credentials = AccountSecrets<Live>;
        const BROKERS: &'static [BrokerKind] = &[BrokerKind::Alpaca, BrokerKind::Mt5];
        fn credentials(
            broker: BrokerKind,
            secrets: &EnvSnapshot,
        ) -> Result<AccountSecrets<Live>, GuardRefusal> {
            account_secrets(
                broker,
                secrets,
                Credentials::<Live>::from_env,
                BridgeSecret::<Live>::from_env,
            )
        }
    }

    /// Proof that every live start-up guard passed: the live build, `--confirm-live` matching
    /// the configured account, a database tagged `live`, and every other guard. Only
    /// [`Evaluation::live_gate`](crate::guard::Evaluation::live_gate) makes one, and
    /// [`Runtime::new_live`](crate::Runtime::new_live) requires it.
    #[derive(Debug)]
    pub struct LiveGate {
        account: String,
    }

    impl LiveGate {
        pub(crate) fn new(account: String) -> Self {
            Self { account }
        }

        /// The confirmed account number.
        pub fn account(&self) -> &str {
            &self.account
        }
    }
}
