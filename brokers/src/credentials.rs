//! [`Credentials`]: a broker account's API key, bound to one mode by its type.

use std::fmt;
use std::marker::PhantomData;

use airlock_core::{BrokerAccount, EnvSnapshot, Mode, Paper};
use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

/// Why credentials could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CredentialsError {
    /// A variable the credentials need is not set.
    #[error("{variable} is not set")]
    Missing {
        /// The variable's name.
        variable: String,
    },
    /// A variable is set to an empty (or all-blank) value.
    #[error("{variable} is empty")]
    Empty {
        /// The variable's name.
        variable: String,
    },
    /// A variable holds a secret shorter than the venue requires (the value is not shown).
    #[error("{variable} is shorter than {minimum} characters")]
    TooShort {
        /// The variable's name.
        variable: String,
        /// The shortest accepted length.
        minimum: usize,
    },
}

/// The API key id and secret key of a broker account in mode `M` (Alpaca's
/// `APCA-API-KEY-ID` / `APCA-API-SECRET-KEY` pair).
///
/// Read only from the mode's own namespace, `AIRLOCK_<MODE>__ALPACA__KEY_ID` and
/// `AIRLOCK_<MODE>__ALPACA__SECRET_KEY`: the namespace is chosen by `M` at compile time, so paper
/// credentials cannot be read from live variables, and a broker of mode `M` takes only
/// `Credentials<M>`. There is no constructor from raw strings, and the live constructor exists
/// only with the cargo feature `live`. Both values are [`SecretString`]s: `Debug` and `Display`
/// show at most the last four characters of each (see [`mask`]).
pub struct Credentials<M: BrokerAccount> {
    key_id: SecretString,
    secret_key: SecretString,
    mode: PhantomData<fn() -> M>,
}

impl Credentials<Paper> {
    /// Reads the paper key pair from `AIRLOCK_PAPER__ALPACA__KEY_ID` and
    /// `AIRLOCK_PAPER__ALPACA__SECRET_KEY`.
    ///
    /// # Errors
    ///
    /// [`CredentialsError`] naming the variable that is missing or empty.
    pub fn from_env(env: &EnvSnapshot) -> Result<Self, CredentialsError> {
        Self::read(env)
    }
}

#[cfg(feature = "live")]
mod live {
    use airlock_core::{EnvSnapshot, Live};

    use super::{Credentials, CredentialsError};

    impl Credentials<Live> {
        /// Reads the live key pair from `AIRLOCK_LIVE__ALPACA__KEY_ID` and
        /// `AIRLOCK_LIVE__ALPACA__SECRET_KEY`. Exists only with the cargo feature `live`.
        ///
        /// # Errors
        ///
        /// [`CredentialsError`] naming the variable that is missing or empty.
        pub fn from_env(env: &EnvSnapshot) -> Result<Self, CredentialsError> {
            Self::read(env)
        }
    }
}

impl<M: BrokerAccount> Credentials<M> {
    /// The variable holding the key id for this mode, e.g. `AIRLOCK_PAPER__ALPACA__KEY_ID`.
    pub fn key_id_variable() -> String {
        format!("{}__ALPACA__KEY_ID", namespace::<M>())
    }

    /// The variable holding the secret key for this mode, e.g.
    /// `AIRLOCK_PAPER__ALPACA__SECRET_KEY`.
    pub fn secret_key_variable() -> String {
        format!("{}__ALPACA__SECRET_KEY", namespace::<M>())
    }

    fn read(env: &EnvSnapshot) -> Result<Self, CredentialsError> {
        let key_id = read_secret(env, Self::key_id_variable())?;
        let secret_key = read_secret(env, Self::secret_key_variable())?;
        Ok(Self {
            key_id,
            secret_key,
            mode: PhantomData,
        })
    }

    /// The key id, masked as [`mask`] does.
    pub fn masked_key_id(&self) -> String {
        mask(&self.key_id)
    }

    /// The secret key, masked as [`mask`] does.
    pub fn masked_secret_key(&self) -> String {
        mask(&self.secret_key)
    }

    /// The key pair itself, still wrapped: only the Alpaca client's connect step
    /// (`alpaca/connect.rs`) exposes it, to hand it to apca.
    #[cfg(feature = "alpaca")]
    pub(crate) fn key_pair(&self) -> (&SecretString, &SecretString) {
        (&self.key_id, &self.secret_key)
    }
}

pub(crate) fn namespace<M: Mode>() -> &'static str {
    // Every broker-account mode has a namespace (core's `Mode` docs); the fallback names no
    // environment's variables, so credentials read through it are never found.
    M::SECRET_NAMESPACE.unwrap_or("AIRLOCK_NO_SECRETS")
}

pub(crate) fn read_secret(
    env: &EnvSnapshot,
    variable: String,
) -> Result<SecretString, CredentialsError> {
    match env.get(&variable) {
        None => Err(CredentialsError::Missing { variable }),
        Some(value) if value.trim().is_empty() => Err(CredentialsError::Empty { variable }),
        Some(value) => Ok(SecretString::from(value.to_owned())),
    }
}

/// A secret as operators may see it: `****` followed by its last four characters, or only `****`
/// when it is shorter than 12 characters (too short to show any of it safely).
pub fn mask(secret: &SecretString) -> String {
    let value = secret.expose_secret();
    let length = value.chars().count();
    if length < 12 {
        return "****".to_owned();
    }
    let tail: String = value.chars().skip(length - 4).collect();
    format!("****{tail}")
}

impl<M: BrokerAccount> fmt::Debug for Credentials<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("mode", &M::TAG)
            .field("key_id", &self.masked_key_id())
            .field("secret_key", &self.masked_secret_key())
            .finish()
    }
}

impl<M: BrokerAccount> fmt::Display for Credentials<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} alpaca key {} (secret {})",
            M::TAG,
            self.masked_key_id(),
            self.masked_secret_key()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "PKTESTKEYID0000000042";
    const SECRET: &str = "s3cr3t-value-that-must-never-print-9f2a";

    fn paper_env() -> EnvSnapshot {
        EnvSnapshot::from_pairs([
            ("AIRLOCK_PAPER__ALPACA__KEY_ID", KEY),
            ("AIRLOCK_PAPER__ALPACA__SECRET_KEY", SECRET),
            ("AIRLOCK_LIVE__ALPACA__KEY_ID", "AKLIVEKEY000000000077"),
        ])
    }

    #[test]
    fn paper_credentials_read_only_the_paper_namespace_and_never_print_the_secret() {
        let credentials = Credentials::<Paper>::from_env(&paper_env()).unwrap();
        let shown = format!("{credentials:?} {credentials}");
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(!shown.contains(KEY), "{shown}");
        assert!(shown.contains("****9f2a"), "{shown}");
        assert!(shown.contains("****0042"), "{shown}");
        assert!(!shown.contains("0077"), "{shown}");
    }

    #[test]
    fn missing_and_empty_variables_are_named() {
        let env = EnvSnapshot::from_pairs([("AIRLOCK_PAPER__ALPACA__KEY_ID", KEY)]);
        assert_eq!(
            Credentials::<Paper>::from_env(&env).unwrap_err(),
            CredentialsError::Missing {
                variable: "AIRLOCK_PAPER__ALPACA__SECRET_KEY".into()
            }
        );
        let env = EnvSnapshot::from_pairs([("AIRLOCK_PAPER__ALPACA__KEY_ID", " ")]);
        assert_eq!(
            Credentials::<Paper>::from_env(&env)
                .unwrap_err()
                .to_string(),
            "AIRLOCK_PAPER__ALPACA__KEY_ID is empty"
        );
    }

    #[test]
    fn short_secrets_are_masked_whole() {
        assert_eq!(mask(&SecretString::from("abcdefghijk")), "****");
        assert_eq!(mask(&SecretString::from("abcdefghijkl")), "****ijkl");
    }
}
