//! [`Wiring`]: what start-up needs to know per mode — the one place the runtime names each mode.

use std::fmt;

use airlock_brokers::{Credentials, CredentialsError};
use airlock_core::{Backtest, DryRun, EnvSnapshot, Mode, Paper};

use super::GuardRefusal;
use crate::config::BrokerKind;

/// Per-mode start-up facts: which brokers the mode admits and which credentials it reads.
pub trait Wiring: Mode {
    /// The credentials this mode's broker needs ([`NoCredentials`] for the simulated modes).
    type Credentials: fmt::Debug + fmt::Display;
    /// The brokers an environment of this mode may declare.
    const BROKERS: &'static [BrokerKind];
    /// Reads this mode's credentials from its own namespace in `secrets`.
    ///
    /// # Errors
    ///
    /// Rule `credentials`, naming the missing or empty variable.
    fn credentials(secrets: &EnvSnapshot) -> Result<Self::Credentials, GuardRefusal>;
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
    fn credentials(_: &EnvSnapshot) -> Result<NoCredentials, GuardRefusal> {
        Ok(NoCredentials)
    }
}

impl Wiring for DryRun {
    type Credentials = NoCredentials;
    const BROKERS: &'static [BrokerKind] = &[BrokerKind::Sim];
    fn credentials(_: &EnvSnapshot) -> Result<NoCredentials, GuardRefusal> {
        Ok(NoCredentials)
    }
}

impl Wiring for Paper {
    type Credentials = Credentials<Paper>;
    const BROKERS: &'static [BrokerKind] = &[BrokerKind::Alpaca];
    fn credentials(secrets: &EnvSnapshot) -> Result<Credentials<Paper>, GuardRefusal> {
        Credentials::<Paper>::from_env(secrets).map_err(refusal)
    }
}

#[cfg(feature = "live")]
pub use live::LiveGate;

#[cfg(feature = "live")]
mod live {
    use airlock_brokers::Credentials;
    use airlock_core::{EnvSnapshot, Live};

    use super::{GuardRefusal, Wiring, refusal};
    use crate::config::BrokerKind;

    impl Wiring for Live {
        type Credentials = Credentials<Live>;
        const BROKERS: &'static [BrokerKind] = &[BrokerKind::Alpaca];
        fn credentials(secrets: &EnvSnapshot) -> Result<Credentials<Live>, GuardRefusal> {
            Credentials::<Live>::from_env(secrets).map_err(refusal)
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
