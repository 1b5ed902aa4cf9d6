//! [`EnvSnapshot`]: the process environment, captured once, as a plain map.
//!
//! The runtime captures the environment in `main` and hands this snapshot to everything that needs
//! a variable, so tests build one from a map instead of mutating the process environment, and no
//! library code reads the environment itself.

use std::collections::BTreeMap;
use std::fmt;

/// Environment variables captured at one instant: names and values.
///
/// Values may be secrets, so neither `Debug` nor `Display` shows a value: both list names only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EnvSnapshot {
    variables: BTreeMap<String, String>,
}

impl EnvSnapshot {
    /// A snapshot holding exactly these variables. A later pair with the same name wins.
    pub fn from_pairs<N, V>(pairs: impl IntoIterator<Item = (N, V)>) -> Self
    where
        N: Into<String>,
        V: Into<String>,
    {
        Self {
            variables: pairs
                .into_iter()
                .map(|(name, value)| (name.into(), value.into()))
                .collect(),
        }
    }

    /// The value of `name`, if it is set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.variables.get(name).map(String::as_str)
    }

    /// True when `name` is set (even to an empty value).
    pub fn contains(&self, name: &str) -> bool {
        self.variables.contains_key(name)
    }

    /// Every variable name, in byte order.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.variables.keys().map(String::as_str)
    }

    /// The names that start with `prefix`, in byte order.
    pub fn names_with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.variables
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .map(|(name, _)| name.as_str())
            .take_while(move |name| name.starts_with(prefix))
    }

    /// Every `(name, value)` pair, in byte order of the names.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.variables
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// Adds or replaces one variable.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.variables.insert(name.into(), value.into());
    }

    /// The number of variables.
    pub fn len(&self) -> usize {
        self.variables.len()
    }

    /// True when no variable is set.
    pub fn is_empty(&self) -> bool {
        self.variables.is_empty()
    }
}

impl fmt::Debug for EnvSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvSnapshot")
            .field("names", &self.variables.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl fmt::Display for EnvSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} environment variables", self.variables.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_listing_stops_at_the_prefix_and_formatting_shows_no_value() {
        let env = EnvSnapshot::from_pairs([
            ("AIRLOCK_LIVE__ALPACA__KEY_ID", "value-one"),
            ("AIRLOCK_LIVEX", "value-two"),
            ("AIRLOCK_LIVE", "value-three"),
            ("AIRLOCK_PAPER__X", "value-four"),
            ("PATH", "/bin"),
        ]);
        let live: Vec<&str> = env.names_with_prefix("AIRLOCK_LIVE__").collect();
        assert_eq!(live, ["AIRLOCK_LIVE__ALPACA__KEY_ID"]);
        assert_eq!(env.get("PATH"), Some("/bin"));
        let shown = format!("{env:?} {env}");
        assert!(shown.contains("AIRLOCK_LIVEX"), "{shown}");
        for value in [
            "value-one",
            "value-two",
            "value-three",
            "value-four",
            "/bin",
        ] {
            assert!(!shown.contains(value), "{value} in {shown}");
        }
    }
}
