//! The audit log's hash chain.
//!
//! Row `n`'s hash is SHA-256 over: the previous row's hash (32 zero bytes for row 1), then `n`
//! and the row's timestamp as 8-byte big-endian integers, then actor, action, subject and detail,
//! each as an 8-byte big-endian length followed by its UTF-8 bytes. Lengths make the encoding
//! unambiguous: moving a character from one field to the next changes the hash.
//!
//! Changing, deleting or reordering any row breaks every later hash, so `verify` finds the first
//! row that was tampered with. The databases also refuse UPDATE and DELETE on the table.

use std::fmt;

use airlock_core::UnixNanos;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// A SHA-256 hash in the chain.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ChainHash(pub [u8; 32]);

impl ChainHash {
    /// The hash before the first row: 32 zero bytes.
    pub const GENESIS: ChainHash = ChainHash([0; 32]);

    /// From a stored byte string; `None` unless it is exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(ChainHash)
    }

    /// Lowercase hexadecimal.
    pub fn to_hex(&self) -> String {
        use std::fmt::Write;
        let mut text = String::with_capacity(64);
        for byte in self.0 {
            let _ = write!(text, "{byte:02x}");
        }
        text
    }
}

impl fmt::Display for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainHash({})", self.to_hex())
    }
}

impl Serialize for ChainHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// An audit record to append: who did what to what, and the details (usually JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    /// When it happened.
    pub at: UnixNanos,
    /// Who: an operator, `runtime`, a strategy, the signal API's client.
    pub actor: String,
    /// What: `halt`, `promote`, `guard.refused`, `reconcile.fix`, …
    pub action: String,
    /// The object acted on: a run, an order's client id, a strategy version.
    pub subject: String,
    /// Details, usually a JSON object.
    pub detail: String,
}

/// A stored audit row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Position in the log, from 1, without gaps.
    pub seq: u64,
    /// When it happened.
    pub at: UnixNanos,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// On what.
    pub subject: String,
    /// Details.
    pub detail: String,
    /// The previous row's hash.
    pub prev_hash: ChainHash,
    /// This row's hash.
    pub hash: ChainHash,
}

/// The hash of row `seq` holding `entry`, chained to `prev`.
pub fn chain_hash(prev: &ChainHash, seq: u64, entry: &NewAuditEntry) -> ChainHash {
    let mut hasher = Sha256::new();
    hasher.update(prev.0);
    hasher.update(seq.to_be_bytes());
    hasher.update(entry.at.as_u64().to_be_bytes());
    for field in [&entry.actor, &entry.action, &entry.subject, &entry.detail] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    ChainHash(hasher.finalize().into())
}

/// The outcome of verifying the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum AuditVerdict {
    /// Every row's hash matches; `head` is the last row's hash (genesis for an empty log).
    Intact {
        /// Rows checked.
        rows: u64,
        /// The last hash.
        head: ChainHash,
    },
    /// The first row that does not verify, and why.
    Broken {
        /// Its sequence number.
        seq: u64,
        /// What does not match.
        reason: String,
    },
}

/// Walks rows in sequence order and checks each against the chain. Feed rows with
/// [`Verifier::check`]; finish with [`Verifier::verdict`].
#[derive(Debug)]
pub struct Verifier {
    expected_seq: u64,
    prev: ChainHash,
    broken: Option<(u64, String)>,
}

impl Default for Verifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev: ChainHash::GENESIS,
            broken: None,
        }
    }
}

impl Verifier {
    /// Checks the next row. Returns false once the chain is broken (the caller may stop).
    pub fn check(&mut self, row: &AuditEntry) -> bool {
        if self.broken.is_some() {
            return false;
        }
        let problem = if row.seq != self.expected_seq {
            Some(format!(
                "expected row {} next, found row {} (a row is missing)",
                self.expected_seq, row.seq
            ))
        } else if row.prev_hash != self.prev {
            Some(format!(
                "prev_hash {} does not match the previous row's hash {}",
                row.prev_hash, self.prev
            ))
        } else {
            let entry = NewAuditEntry {
                at: row.at,
                actor: row.actor.clone(),
                action: row.action.clone(),
                subject: row.subject.clone(),
                detail: row.detail.clone(),
            };
            let computed = chain_hash(&self.prev, row.seq, &entry);
            (computed != row.hash).then(|| {
                format!(
                    "stored hash {} does not match the recomputed {} (the row was changed)",
                    row.hash, computed
                )
            })
        };
        if let Some(reason) = problem {
            self.broken = Some((row.seq, reason));
            return false;
        }
        self.prev = row.hash;
        self.expected_seq = self.expected_seq.saturating_add(1);
        true
    }

    /// The verdict over the rows checked so far.
    pub fn verdict(self) -> AuditVerdict {
        match self.broken {
            Some((seq, reason)) => AuditVerdict::Broken { seq, reason },
            None => AuditVerdict::Intact {
                rows: self.expected_seq.saturating_sub(1),
                head: self.prev,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(detail: &str) -> NewAuditEntry {
        NewAuditEntry {
            at: UnixNanos::new(1_700_000_000_000_000_000),
            actor: "operator:ana".into(),
            action: "halt".into(),
            subject: "run:7".into(),
            detail: detail.into(),
        }
    }

    fn chain(details: &[&str]) -> Vec<AuditEntry> {
        let mut prev = ChainHash::GENESIS;
        let mut rows = Vec::new();
        for (index, detail) in details.iter().enumerate() {
            let seq = index as u64 + 1;
            let new = entry(detail);
            let hash = chain_hash(&prev, seq, &new);
            rows.push(AuditEntry {
                seq,
                at: new.at,
                actor: new.actor,
                action: new.action,
                subject: new.subject,
                detail: new.detail,
                prev_hash: prev,
                hash,
            });
            prev = hash;
        }
        rows
    }

    fn verify(rows: &[AuditEntry]) -> AuditVerdict {
        let mut verifier = Verifier::default();
        for row in rows {
            if !verifier.check(row) {
                break;
            }
        }
        verifier.verdict()
    }

    #[test]
    fn the_first_hash_is_pinned() {
        // Pinned (computed independently with Python's hashlib from the documented encoding) so
        // that a change to the encoding, which would orphan every stored chain, fails.
        let hash = chain_hash(&ChainHash::GENESIS, 1, &entry("{}"));
        assert_eq!(
            hash.to_hex(),
            "d461b7dd01e05b9b1701db389b4b5a82357c5984385f693b3c1a27c8ce070a10"
        );
    }

    #[test]
    fn an_intact_chain_verifies() {
        let rows = chain(&["a", "b", "c"]);
        let head = rows[2].hash;
        assert_eq!(verify(&rows), AuditVerdict::Intact { rows: 3, head });
        assert_eq!(
            verify(&[]),
            AuditVerdict::Intact {
                rows: 0,
                head: ChainHash::GENESIS
            }
        );
    }

    #[test]
    fn a_changed_row_is_found() {
        let mut rows = chain(&["a", "b", "c"]);
        rows[1].detail = "B".into();
        let AuditVerdict::Broken { seq, reason } = verify(&rows) else {
            panic!("not detected");
        };
        assert_eq!(seq, 2);
        assert!(reason.contains("was changed"), "{reason}");
    }

    #[test]
    fn a_deleted_row_is_found() {
        let mut rows = chain(&["a", "b", "c"]);
        rows.remove(1);
        assert!(matches!(verify(&rows), AuditVerdict::Broken { seq: 3, .. }));
    }

    #[test]
    fn a_rehashed_row_breaks_the_next_link() {
        let mut rows = chain(&["a", "b", "c"]);
        rows[1].detail = "B".into();
        let new = entry("B");
        rows[1].hash = chain_hash(&rows[0].hash, 2, &new);
        assert!(matches!(verify(&rows), AuditVerdict::Broken { seq: 3, .. }));
    }

    #[test]
    fn field_boundaries_matter() {
        let mut left = entry("x");
        left.actor = "ab".into();
        left.action = "c".into();
        let mut right = entry("x");
        right.actor = "a".into();
        right.action = "bc".into();
        assert_ne!(
            chain_hash(&ChainHash::GENESIS, 1, &left),
            chain_hash(&ChainHash::GENESIS, 1, &right)
        );
    }
}
