//! Secrets: `AIRLOCK_<ENV>__…` variables, or a secrets file whose permissions are 0600 or
//! stricter.
//!
//! A secrets file holds `NAME=value` lines (blank lines and `#` comments are skipped) with the same
//! names as the variables, e.g. `AIRLOCK_PAPER__ALPACA__SECRET_KEY=…`, so the same guards apply to
//! both: a live entry in the file refuses a paper start exactly as a live variable does.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use airlock_core::EnvSnapshot;
use thiserror::Error;

use crate::config::OVERRIDE_PREFIX;
use crate::guard::GuardRefusal;

/// Why a secrets file was not read.
#[derive(Debug, Error)]
pub enum SecretsFileError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// A line is not `NAME=value` with an `AIRLOCK_<ENV>__…` name. The line's content is not
    /// repeated: it may hold a secret.
    #[error("{path}: line {line}: expected AIRLOCK_<ENV>__<NAME>=<value>")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
    },
}

/// True for a name in some environment's secret namespace: `AIRLOCK_<ENV>__…`.
pub fn is_secret_name(name: &str) -> bool {
    name.strip_prefix("AIRLOCK_")
        .and_then(|rest| rest.split_once("__"))
        .is_some_and(|(environment, key)| {
            !environment.is_empty()
                && !key.is_empty()
                && environment
                    .bytes()
                    .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == b'_')
        })
}

/// Refuses a secrets file readable or writable by anyone but its owner (any of the bits 0o077).
///
/// # Errors
///
/// [`GuardRefusal`] with rule `secrets-file-permissions`; [`SecretsFileError`] when the file's
/// metadata cannot be read (returned inside `Ok(Err)` so the caller can tell the two apart).
#[cfg(unix)]
pub fn check_permissions(path: &Path) -> Result<Result<(), GuardRefusal>, SecretsFileError> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = fs::metadata(path).map_err(|source| SecretsFileError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Ok(Err(GuardRefusal::new(
            "secrets-file-permissions",
            path.display().to_string(),
            format!(
                "permissions are {mode:04o}; a secrets file must be 0600 or stricter (chmod 600)"
            ),
        )));
    }
    Ok(Ok(()))
}

/// Secrets files need Unix permissions; on other systems they are refused.
///
/// # Errors
///
/// Always [`GuardRefusal`] with rule `secrets-file-permissions`.
#[cfg(not(unix))]
pub fn check_permissions(path: &Path) -> Result<Result<(), GuardRefusal>, SecretsFileError> {
    Ok(Err(GuardRefusal::new(
        "secrets-file-permissions",
        path.display().to_string(),
        "secrets files need Unix permissions; use AIRLOCK_<ENV>__ variables here".to_owned(),
    )))
}

/// Reads a secrets file's entries (without checking its permissions: see
/// [`check_permissions`]).
///
/// # Errors
///
/// [`SecretsFileError`] when the file cannot be read or a line is malformed.
pub fn read_file(path: &Path) -> Result<EnvSnapshot, SecretsFileError> {
    let text = fs::read_to_string(path).map_err(|source| SecretsFileError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut entries = EnvSnapshot::default();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let syntax = || SecretsFileError::Syntax {
            path: path.to_owned(),
            line: index + 1,
        };
        let (name, value) = line.split_once('=').ok_or_else(syntax)?;
        let name = name.trim();
        if !is_secret_name(name) || name.starts_with(OVERRIDE_PREFIX) {
            return Err(syntax());
        }
        entries.insert(name, value.trim());
    }
    Ok(entries)
}

/// Joins the process's secret variables with a secrets file's entries into one view.
///
/// # Errors
///
/// [`GuardRefusal`] with rule `secret-defined-twice` when a name is both a variable and a file
/// entry (the value is never compared or shown).
pub fn merge(process: &EnvSnapshot, file: &EnvSnapshot) -> Result<EnvSnapshot, GuardRefusal> {
    let mut merged = EnvSnapshot::from_pairs(
        process
            .iter()
            .filter(|(name, _)| is_secret_name(name) && !name.starts_with(OVERRIDE_PREFIX)),
    );
    for (name, value) in file.iter() {
        if merged.contains(name) {
            return Err(GuardRefusal::new(
                "secret-defined-twice",
                name.to_owned(),
                "set both as a variable and in the secrets file; keep one".to_owned(),
            ));
        }
        merged.insert(name, value);
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_are_environment_namespaced() {
        assert!(is_secret_name("AIRLOCK_PAPER__ALPACA__KEY_ID"));
        assert!(is_secret_name("AIRLOCK_LIVE__DATABASE_URL"));
        assert!(!is_secret_name("AIRLOCK_PAPER"));
        assert!(!is_secret_name("AIRLOCK_paper__X"));
        assert!(!is_secret_name("APCA_API_KEY_ID"));
    }

    #[cfg(unix)]
    #[test]
    fn group_readable_files_are_refused_and_private_ones_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets");
        fs::write(
            &path,
            "# paper\nAIRLOCK_PAPER__ALPACA__KEY_ID = PKFILEKEY00000000001\n\n",
        )
        .unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let refusal = check_permissions(&path).unwrap().unwrap_err();
        assert_eq!(refusal.rule, "secrets-file-permissions");
        assert!(refusal.to_string().contains("0640"), "{refusal}");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
        check_permissions(&path).unwrap().unwrap();
        let entries = read_file(&path).unwrap();
        assert_eq!(
            entries.get("AIRLOCK_PAPER__ALPACA__KEY_ID"),
            Some("PKFILEKEY00000000001")
        );
    }

    #[test]
    fn malformed_lines_are_refused_without_echoing_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets");
        fs::write(&path, "APCA_API_SECRET_KEY=topsecretvalue123\n").unwrap();
        let error = read_file(&path).unwrap_err();
        assert!(!error.to_string().contains("topsecretvalue123"), "{error}");
        assert!(error.to_string().contains("line 1"), "{error}");
    }

    #[test]
    fn a_name_in_both_places_is_refused() {
        let process = EnvSnapshot::from_pairs([("AIRLOCK_PAPER__X", "a"), ("HOME", "/root")]);
        let file = EnvSnapshot::from_pairs([("AIRLOCK_PAPER__X", "b")]);
        assert_eq!(
            merge(&process, &file).unwrap_err().rule,
            "secret-defined-twice"
        );
        let merged = merge(&process, &EnvSnapshot::default()).unwrap();
        assert_eq!(merged.names().collect::<Vec<_>>(), ["AIRLOCK_PAPER__X"]);
    }
}
