//! [`BridgeSecret`]: the shared secret of the MetaTrader 5 bridge link, bound to one mode.

use std::fmt;
use std::marker::PhantomData;

use airlock_core::{BrokerAccount, EnvSnapshot, Paper};
use secrecy::{ExposeSecret, SecretString};

use crate::credentials::{CredentialsError, mask, namespace, read_secret};

/// The shortest shared secret accepted, on both sides of the link (the bridge program refuses a
/// shorter one too).
pub const BRIDGE_SECRET_MIN_LEN: usize = 32;

/// The secret the runtime and the MT5 bridge program share to sign every request and answer
/// (HMAC-SHA256; see `brokers/mt5/bridge/PROTOCOL.md`). It never crosses the wire.
///
/// Read only from the mode's own variable, `AIRLOCK_<MODE>__MT5__BRIDGE_SECRET`: a paper bridge
/// client cannot pick up the live secret, and a broker of mode `M` takes only
/// `BridgeSecret<M>`. The MT5 account password is not here: it stays on the Windows host, in the
/// bridge's own configuration. There is no constructor from a raw string, the live constructor
/// exists only with the cargo feature `live`, and `Debug`/`Display` show at most the last four
/// characters (see [`mask`]).
pub struct BridgeSecret<M: BrokerAccount> {
    secret: SecretString,
    mode: PhantomData<fn() -> M>,
}

impl BridgeSecret<Paper> {
    /// Reads the paper bridge secret from `AIRLOCK_PAPER__MT5__BRIDGE_SECRET`.
    ///
    /// # Errors
    ///
    /// [`CredentialsError`] naming the variable when it is missing, empty or shorter than
    /// [`BRIDGE_SECRET_MIN_LEN`].
    pub fn from_env(env: &EnvSnapshot) -> Result<Self, CredentialsError> {
        Self::read(env)
    }
}

#[cfg(feature = "live")]
mod live {
    use airlock_core::{EnvSnapshot, Live};

    use super::{BridgeSecret, CredentialsError};

    impl BridgeSecret<Live> {
        /// Reads the live bridge secret from `AIRLOCK_LIVE__MT5__BRIDGE_SECRET`. Exists only
        /// with the cargo feature `live`.
        ///
        /// # Errors
        ///
        /// [`CredentialsError`] naming the variable when it is missing, empty or too short.
        pub fn from_env(env: &EnvSnapshot) -> Result<Self, CredentialsError> {
            Self::read(env)
        }
    }
}

impl<M: BrokerAccount> BridgeSecret<M> {
    /// The variable holding this mode's bridge secret, e.g. `AIRLOCK_PAPER__MT5__BRIDGE_SECRET`.
    pub fn variable() -> String {
        format!("{}__MT5__BRIDGE_SECRET", namespace::<M>())
    }

    fn read(env: &EnvSnapshot) -> Result<Self, CredentialsError> {
        let variable = Self::variable();
        let secret = read_secret(env, variable.clone())?;
        if secret.expose_secret().trim().chars().count() < BRIDGE_SECRET_MIN_LEN {
            return Err(CredentialsError::TooShort {
                variable,
                minimum: BRIDGE_SECRET_MIN_LEN,
            });
        }
        Ok(Self {
            secret,
            mode: PhantomData,
        })
    }

    /// The secret, masked as [`mask`] does.
    pub fn masked(&self) -> String {
        mask(&self.secret)
    }

    #[cfg(feature = "mt5")]
    pub(crate) fn secret(&self) -> &SecretString {
        &self.secret
    }
}

impl<M: BrokerAccount> fmt::Debug for BridgeSecret<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BridgeSecret")
            .field("mode", &M::TAG)
            .field("secret", &self.masked())
            .finish()
    }
}

impl<M: BrokerAccount> fmt::Display for BridgeSecret<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} mt5 bridge secret {}", M::TAG, self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "bridge-secret-that-must-never-print-77c1";

    #[test]
    fn paper_secret_reads_only_the_paper_variable_and_never_prints() {
        let env = EnvSnapshot::from_pairs([
            ("AIRLOCK_PAPER__MT5__BRIDGE_SECRET", SECRET),
            (
                "AIRLOCK_LIVE__MT5__BRIDGE_SECRET",
                "live-secret-0000000000000000000000000000",
            ),
        ]);
        let secret = BridgeSecret::<Paper>::from_env(&env).unwrap();
        let shown = format!("{secret:?} {secret}");
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(shown.contains("****77c1"), "{shown}");
        assert!(!shown.contains("live-secret"), "{shown}");
    }

    #[test]
    fn missing_empty_and_short_secrets_name_the_variable_only() {
        let missing = BridgeSecret::<Paper>::from_env(&EnvSnapshot::default()).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "AIRLOCK_PAPER__MT5__BRIDGE_SECRET is not set"
        );
        let env = EnvSnapshot::from_pairs([("AIRLOCK_PAPER__MT5__BRIDGE_SECRET", "short-one")]);
        let short = BridgeSecret::<Paper>::from_env(&env).unwrap_err();
        assert_eq!(
            short.to_string(),
            "AIRLOCK_PAPER__MT5__BRIDGE_SECRET is shorter than 32 characters"
        );
        assert!(!format!("{short:?}").contains("short-one"));
    }
}
