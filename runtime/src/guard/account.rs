//! The run-time account-kind check: right after a broker connects, the kind of account it reached
//! must be the kind mode `M` trades; otherwise disconnect, write an audit record, refuse.

use airlock_brokers::{AccountBroker, AccountReport};
use airlock_core::{AccountKind, BrokerAccount, ModeTag};

use super::GuardRefusal;

/// One audit-log entry: a decision an operator must be able to find later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// The runtime's mode.
    pub mode: ModeTag,
    /// The rule that decided.
    pub rule: &'static str,
    /// What it is about (venue and account number).
    pub subject: String,
    /// What was decided and why.
    pub detail: String,
}

/// Where audit records go. The store's audit table plugs in here; [`TracingAudit`] writes them
/// to the log.
pub trait AuditSink {
    /// Records one entry.
    fn record(&mut self, record: AuditRecord);
}

/// Writes audit records as `error`-level log events with `audit = true`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingAudit;

impl AuditSink for TracingAudit {
    fn record(&mut self, record: AuditRecord) {
        tracing::error!(
            audit = true,
            rule = record.rule,
            subject = %record.subject,
            "{}",
            record.detail
        );
    }
}

/// Compares the account kind a broker reported with the kind `mode` trades.
///
/// # Errors
///
/// Rule `account-kind`, naming the venue and account number.
pub fn check_account_kind(
    mode: ModeTag,
    expected: AccountKind,
    report: &AccountReport,
) -> Result<(), GuardRefusal> {
    if report.kind == expected {
        return Ok(());
    }
    Err(GuardRefusal::new(
        "account-kind",
        format!("{} account {}", report.venue, report.account_number),
        format!(
            "the broker reports a {} account ({}) but this runtime is {mode}; disconnected",
            kind_name(report.kind),
            report.evidence
        ),
    ))
}

const fn kind_name(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::Paper => "paper",
        AccountKind::Live => "live",
    }
}

/// Admits a freshly connected broker: on an account-kind mismatch it disconnects the broker,
/// records the refusal in `audit`, and returns the refusal.
///
/// # Errors
///
/// Rule `account-kind` (see [`check_account_kind`]).
pub async fn admit_account<M, B>(broker: B, audit: &mut dyn AuditSink) -> Result<B, GuardRefusal>
where
    M: BrokerAccount,
    B: AccountBroker<M>,
{
    match check_account_kind(M::TAG, M::ACCOUNT_KIND, broker.account_report()) {
        Ok(()) => Ok(broker),
        Err(refusal) => {
            broker.disconnect().await;
            audit.record(AuditRecord {
                mode: M::TAG,
                rule: refusal.rule,
                subject: refusal.subject.clone(),
                detail: refusal.reason.clone(),
            });
            Err(refusal)
        }
    }
}
