//! Where the QuestDB connection settings come from: flag, then variable, then environment file.

use std::fmt;

use airlock_core::EnvSnapshot;
use serde::{Deserialize, Serialize, Serializer};

use super::{IlpSettings, QuestDbError, TableName};
use crate::store::redact_url;

/// The variable holding the ILP configuration string, e.g. `http::addr=127.0.0.1:9000;`.
pub const ILP_VAR: &str = "QUESTDB_ILP";
/// The variable holding the PG wire URL, e.g. `postgres://admin:quest@127.0.0.1:8812/qdb`.
pub const PG_URL_VAR: &str = "QUESTDB_PG_URL";

const ILP_SETTING: &str = "--questdb-ilp / $QUESTDB_ILP / [questdb] ilp";
const PG_SETTING: &str = "--questdb-pg-url / $QUESTDB_PG_URL / [questdb] pg_url";

/// A connection setting that may carry a password or token: printed, debugged and serialized
/// with it masked.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Setting(String);

impl Setting {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the connect functions.
    pub fn value(&self) -> &str {
        &self.0
    }

    fn masked(&self) -> String {
        if self.0.contains("::") {
            IlpSettings::parse(&self.0).map_or_else(
                |_| "(unparsable ILP settings)".to_owned(),
                |ilp| ilp.describe(),
            )
        } else {
            redact_url(&self.0)
        }
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Setting({})", self.masked())
    }
}

impl Serialize for Setting {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.masked())
    }
}

/// The optional `[questdb]` table of an environment file. Both keys can also come from
/// `AIRLOCK__QUESTDB__ILP` / `AIRLOCK__QUESTDB__PG_URL` overrides. Environment files hold no
/// secrets: put a URL with a password in `QUESTDB_PG_URL` instead.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QuestDbSection {
    /// The ILP configuration string.
    #[serde(default)]
    pub ilp: Option<Setting>,
    /// The PG wire URL.
    #[serde(default)]
    pub pg_url: Option<Setting>,
}

/// The resolved QuestDB settings: each one from its flag, else its variable, else the file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QuestDbSettings {
    ilp: Option<Setting>,
    pg_url: Option<Setting>,
    /// The candle table.
    pub table: TableName,
}

impl QuestDbSettings {
    /// Resolves flag > variable > file for both settings. Empty values count as unset.
    pub fn resolve(
        ilp_flag: Option<&str>,
        pg_url_flag: Option<&str>,
        environment: &EnvSnapshot,
        file: Option<&QuestDbSection>,
    ) -> Self {
        let pick = |flag: Option<&str>, variable: &str, from_file: Option<&Setting>| {
            flag.filter(|value| !value.is_empty())
                .or_else(|| environment.get(variable).filter(|value| !value.is_empty()))
                .map(Setting::new)
                .or_else(|| from_file.filter(|value| !value.0.is_empty()).cloned())
        };
        Self {
            ilp: pick(
                ilp_flag,
                ILP_VAR,
                file.and_then(|section| section.ilp.as_ref()),
            ),
            pg_url: pick(
                pg_url_flag,
                PG_URL_VAR,
                file.and_then(|section| section.pg_url.as_ref()),
            ),
            table: TableName::default(),
        }
    }

    /// The parsed ILP settings.
    ///
    /// # Errors
    /// [`QuestDbError::Setting`] when unset or not a valid ILP/HTTP configuration string.
    pub fn ilp(&self) -> Result<IlpSettings, QuestDbError> {
        let setting = self.ilp.as_ref().ok_or_else(|| QuestDbError::Setting {
            setting: ILP_SETTING,
            reason: "not set; give the QuestDB ILP/HTTP address, e.g. --questdb-ilp 'http::addr=127.0.0.1:9000;'".to_owned(),
        })?;
        IlpSettings::parse(setting.value()).map_err(|reason| QuestDbError::Setting {
            setting: ILP_SETTING,
            reason,
        })
    }

    /// The PG wire URL.
    ///
    /// # Errors
    /// [`QuestDbError::Setting`] when unset or not a `postgres://` / `postgresql://` URL.
    pub fn pg_url(&self) -> Result<&Setting, QuestDbError> {
        let setting = self.pg_url.as_ref().ok_or_else(|| QuestDbError::Setting {
            setting: PG_SETTING,
            reason: "not set; give QuestDB's PostgreSQL wire URL, e.g. --questdb-pg-url postgres://admin:quest@127.0.0.1:8812/qdb".to_owned(),
        })?;
        let url = setting.value();
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(QuestDbError::Setting {
                setting: PG_SETTING,
                reason: format!("{} is not a postgres:// URL", setting.masked()),
            });
        }
        Ok(setting)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(ilp: &str, pg: &str) -> QuestDbSection {
        QuestDbSection {
            ilp: Some(Setting::new(ilp)),
            pg_url: Some(Setting::new(pg)),
        }
    }

    #[test]
    fn flag_beats_variable_beats_file() {
        let file = section("http::addr=file:9000;", "postgres://file:8812/qdb");
        let env = EnvSnapshot::from_pairs([
            (ILP_VAR, "http::addr=var:9000;"),
            (PG_URL_VAR, "postgres://admin:quest@var:8812/qdb"),
        ]);
        let all = QuestDbSettings::resolve(
            Some("http::addr=flag:9000;"),
            Some("postgres://flag:8812/qdb"),
            &env,
            Some(&file),
        );
        assert_eq!(all.ilp().unwrap().describe(), "http::addr=flag:9000;");
        assert_eq!(all.pg_url().unwrap().value(), "postgres://flag:8812/qdb");
        let no_flags = QuestDbSettings::resolve(None, Some(""), &env, Some(&file));
        assert_eq!(no_flags.ilp().unwrap().describe(), "http::addr=var:9000;");
        assert_eq!(
            no_flags.pg_url().unwrap().value(),
            "postgres://admin:quest@var:8812/qdb"
        );
        let only_file = QuestDbSettings::resolve(None, None, &EnvSnapshot::default(), Some(&file));
        assert_eq!(only_file.ilp().unwrap().describe(), "http::addr=file:9000;");
        assert_eq!(
            only_file.pg_url().unwrap().value(),
            "postgres://file:8812/qdb"
        );
    }

    #[test]
    fn missing_settings_name_the_flag_and_variable() {
        let none = QuestDbSettings::resolve(None, None, &EnvSnapshot::default(), None);
        let ilp = none.ilp().unwrap_err().to_string();
        assert!(
            ilp.contains("--questdb-ilp") && ilp.contains("QUESTDB_ILP"),
            "{ilp}"
        );
        let pg = none.pg_url().unwrap_err().to_string();
        assert!(
            pg.contains("--questdb-pg-url") && pg.contains("QUESTDB_PG_URL"),
            "{pg}"
        );
        let env = EnvSnapshot::from_pairs([(PG_URL_VAR, "mysql://root:hunter2@h/db")]);
        let wrong = QuestDbSettings::resolve(None, None, &env, None);
        let message = wrong.pg_url().unwrap_err().to_string();
        assert!(message.contains("not a postgres:// URL"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn passwords_are_masked_everywhere() {
        let url = Setting::new("postgres://admin:quest@127.0.0.1:8812/qdb");
        let ilp = Setting::new("https::addr=db:9000;username=u;password=hunter2;");
        for shown in [
            url.to_string(),
            format!("{url:?}"),
            serde_json::to_string(&url).unwrap(),
            ilp.to_string(),
            format!("{ilp:?}"),
            serde_json::to_string(&ilp).unwrap(),
        ] {
            assert!(
                !shown.contains("quest@") && !shown.contains("hunter2"),
                "{shown}"
            );
        }
        assert_eq!(url.to_string(), "postgres://admin:***@127.0.0.1:8812/qdb");
        assert_eq!(ilp.to_string(), "https::addr=db:9000;");
    }
}
