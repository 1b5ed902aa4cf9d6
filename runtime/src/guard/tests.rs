use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};

use airlock_brokers::{AccountBroker, AccountReport, Credentials, Endpoint};
use airlock_core::{
    AccountKind, AccountSnapshot, Backtest, Broker, BrokerError, BrokerEvent, ClientOrderId,
    DryRun, Money, OrderReport, OrderRequest, Paper, Position, ReplaceRequest, SubmitAck,
    UnixNanos,
};
use futures_core::Stream;

use super::*;
use crate::config::EnvironmentName;

const PAPER_KEY: &str = "PKPAPERKEYID00000001";
const PAPER_SECRET: &str = "paper-secret-value-do-not-print-1111";
const LIVE_KEY: &str = "AKLIVEKEYID000000002";
const LIVE_SECRET: &str = "live-secret-value-do-not-print-2222";
const PAPER_DB: &str = "postgres://airlock:paper-db-password-3333@db.internal/airlock_paper";

fn environments() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../environments")
}

fn paper_secrets() -> Vec<(&'static str, &'static str)> {
    vec![
        ("AIRLOCK_PAPER__ALPACA__KEY_ID", PAPER_KEY),
        ("AIRLOCK_PAPER__ALPACA__SECRET_KEY", PAPER_SECRET),
        ("AIRLOCK_PAPER__DATABASE_URL", PAPER_DB),
    ]
}

fn run<M: Wiring>(
    environment: EnvironmentName,
    process: &EnvSnapshot,
    tag: Option<ModeTag>,
) -> Evaluation<M> {
    struct Fixed(Option<ModeTag>);
    impl EnvironmentTagSource for Fixed {
        fn read_tag(
            &mut self,
            _: Option<&secrecy::SecretString>,
        ) -> Result<Option<ModeTag>, TagReadError> {
            Ok(self.0)
        }
    }
    evaluate::<M>(
        Inputs {
            environment,
            environments_dir: &environments(),
            process,
            secrets_file: None,
            confirm_live: None,
        },
        &mut Fixed(tag),
    )
    .unwrap()
}

fn refused_rules<M: Wiring>(evaluation: &Evaluation<M>) -> Vec<&'static str> {
    evaluation
        .verdicts
        .iter()
        .filter(|verdict| matches!(verdict.outcome, Outcome::Refuse(_)))
        .map(|verdict| verdict.rule)
        .collect()
}

#[test]
fn a_clean_paper_environment_passes_every_guard() {
    let process = EnvSnapshot::from_pairs(paper_secrets());
    let evaluation = run::<Paper>(EnvironmentName::Paper, &process, Some(ModeTag::Paper));
    assert_eq!(
        refused_rules(&evaluation),
        Vec::<&str>::new(),
        "{evaluation:?}"
    );
    assert_eq!(evaluation.endpoints.len(), 2);
    assert_eq!(evaluation.endpoints[0].host(), "paper-api.alpaca.markets");
}

#[test]
fn a_live_variable_refuses_paper_local_and_backtest() {
    let mut pairs = paper_secrets();
    pairs.push(("AIRLOCK_LIVE__ALPACA__SECRET_KEY", LIVE_SECRET));
    let process = EnvSnapshot::from_pairs(pairs);
    let paper = run::<Paper>(EnvironmentName::Paper, &process, None);
    assert_eq!(refused_rules(&paper), ["foreign-secret"]);
    let refusal = paper.first_refusal().unwrap();
    assert_eq!(refusal.subject, "AIRLOCK_LIVE__ALPACA__SECRET_KEY");
    assert!(!refusal.to_string().contains(LIVE_SECRET));
    // Paper secrets are foreign to the simulated modes.
    let local = run::<DryRun>(EnvironmentName::Local, &process, None);
    assert!(refused_rules(&local).contains(&"foreign-secret"));
    let backtest = EnvSnapshot::from_pairs([("AIRLOCK_PAPER__ALPACA__KEY_ID", PAPER_KEY)]);
    let backtest = run::<Backtest>(EnvironmentName::Backtest, &backtest, None);
    assert_eq!(refused_rules(&backtest), ["foreign-secret"]);
    assert_eq!(
        backtest.first_refusal().unwrap().subject,
        "AIRLOCK_PAPER__ALPACA__KEY_ID"
    );
}

#[test]
fn apca_variables_are_refused_in_every_mode() {
    let process = EnvSnapshot::from_pairs([("APCA_API_KEY_ID", "x")]);
    let backtest = run::<Backtest>(EnvironmentName::Backtest, &process, None);
    assert_eq!(refused_rules(&backtest), ["foreign-secret"]);
}

#[test]
fn the_file_must_declare_the_mode_asked_for() {
    let process = EnvSnapshot::from_pairs(paper_secrets());
    // The paper file evaluated as a dry run: wrong mode, wrong broker, no local trading host.
    let evaluation = run::<DryRun>(EnvironmentName::Paper, &process, None);
    let rules = refused_rules(&evaluation);
    assert_eq!(rules[0], "foreign-secret");
    assert!(rules.contains(&"declared-mode"), "{rules:?}");
    assert!(rules.contains(&"broker-mode"), "{rules:?}");
    assert!(rules.contains(&"endpoint-allow-list"), "{rules:?}");
    let declared = check_declared_mode(ModeTag::Paper, ModeTag::Live, Path::new("e/paper.toml"));
    assert_eq!(
        declared.unwrap_err().to_string(),
        "guard declared-mode refused e/paper.toml: mode: the file declares live but paper was asked for"
    );
}

#[test]
fn endpoints_off_the_allow_list_and_loopback_without_the_setting_are_refused() {
    let mut pairs = paper_secrets();
    pairs.push(("AIRLOCK__ENDPOINTS__TRADING", "https://broker.example.com"));
    let evaluation = run::<Paper>(
        EnvironmentName::Paper,
        &EnvSnapshot::from_pairs(pairs),
        None,
    );
    assert_eq!(refused_rules(&evaluation), ["endpoint-allow-list"]);
    assert_eq!(
        evaluation.first_refusal().unwrap().subject,
        "endpoints.trading"
    );
    let mut pairs = paper_secrets();
    pairs.push(("AIRLOCK__ENDPOINTS__TRADING", "http://127.0.0.1:1"));
    let evaluation = run::<Paper>(
        EnvironmentName::Paper,
        &EnvSnapshot::from_pairs(pairs.clone()),
        None,
    );
    assert_eq!(refused_rules(&evaluation), ["endpoint-allow-list"]);
    pairs.push(("AIRLOCK__TESTING__ALLOW_LOOPBACK", "true"));
    let evaluation = run::<Paper>(
        EnvironmentName::Paper,
        &EnvSnapshot::from_pairs(pairs),
        None,
    );
    assert_eq!(refused_rules(&evaluation), Vec::<&str>::new());
    assert!(evaluation.endpoints[0].is_loopback());
}

const MT5_SECRET: &str = "mt5-bridge-secret-do-not-print-0123456789-5555";

fn paper_mt5_pairs(bridge: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("AIRLOCK_PAPER__MT5__BRIDGE_SECRET", MT5_SECRET),
        ("AIRLOCK_PAPER__DATABASE_URL", PAPER_DB),
        ("AIRLOCK__BROKER", "mt5"),
        ("AIRLOCK__ENDPOINTS__TRADING", bridge),
    ]
}

#[test]
fn a_paper_mt5_environment_reads_the_bridge_secret_and_checks_the_bridge_url() {
    let process = EnvSnapshot::from_pairs(paper_mt5_pairs("https://mt5-bridge.trading.example"));
    let evaluation = run::<Paper>(EnvironmentName::Paper, &process, Some(ModeTag::Paper));
    assert_eq!(
        refused_rules(&evaluation),
        Vec::<&str>::new(),
        "{evaluation:?}"
    );
    assert_eq!(
        evaluation.endpoints[0].kind(),
        airlock_brokers::EndpointKind::Mt5Bridge
    );
    assert_eq!(evaluation.endpoints[0].host(), "mt5-bridge.trading.example");
    let shown = format!("{evaluation:?} {evaluation}");
    assert!(!shown.contains(MT5_SECRET), "{shown}");
    assert!(
        shown.contains("paper mt5 bridge secret ****5555"),
        "{shown}"
    );

    let plain = EnvSnapshot::from_pairs(paper_mt5_pairs("http://mt5-bridge.trading.example"));
    let evaluation = run::<Paper>(EnvironmentName::Paper, &plain, None);
    assert_eq!(refused_rules(&evaluation), ["endpoint-allow-list"]);
    assert!(
        evaluation
            .first_refusal()
            .unwrap()
            .reason
            .contains("must be reached over TLS"),
        "{evaluation}"
    );

    let mut pairs = paper_mt5_pairs("https://mt5-bridge.trading.example");
    pairs.remove(0);
    let evaluation = run::<Paper>(
        EnvironmentName::Paper,
        &EnvSnapshot::from_pairs(pairs),
        None,
    );
    assert_eq!(refused_rules(&evaluation), ["credentials"]);
    assert_eq!(
        evaluation.first_refusal().unwrap().subject,
        "AIRLOCK_PAPER__MT5__BRIDGE_SECRET"
    );
}

#[test]
fn missing_credentials_and_database_url_are_named() {
    let process = EnvSnapshot::from_pairs([("AIRLOCK_PAPER__ALPACA__KEY_ID", PAPER_KEY)]);
    let evaluation = run::<Paper>(EnvironmentName::Paper, &process, None);
    assert_eq!(refused_rules(&evaluation), ["credentials", "database-url"]);
    assert_eq!(
        evaluation.first_refusal().unwrap().subject,
        "AIRLOCK_PAPER__ALPACA__SECRET_KEY"
    );
    let mut pairs = paper_secrets();
    pairs.push((
        "AIRLOCK__DATABASE__URL_VARIABLE",
        "AIRLOCK_LIVE__DATABASE_URL",
    ));
    let evaluation = run::<Paper>(
        EnvironmentName::Paper,
        &EnvSnapshot::from_pairs(pairs),
        None,
    );
    assert_eq!(refused_rules(&evaluation), ["database-url"]);
}

#[test]
fn the_database_tag_must_match_and_live_needs_one() {
    assert!(check_database_tag(ModeTag::Paper, Some(ModeTag::Paper)).is_ok());
    assert!(check_database_tag(ModeTag::Paper, None).is_ok());
    let refusal = check_database_tag(ModeTag::Paper, Some(ModeTag::Live)).unwrap_err();
    assert_eq!(refusal.rule, "database-tag");
    assert!(refusal.reason.contains("tagged live"), "{refusal}");
    assert!(check_database_tag(ModeTag::Live, None).is_err());
    assert!(check_database_tag(ModeTag::Live, Some(ModeTag::Live)).is_ok());
    let process = EnvSnapshot::from_pairs(paper_secrets());
    let evaluation = run::<Paper>(EnvironmentName::Paper, &process, Some(ModeTag::Live));
    assert_eq!(refused_rules(&evaluation), ["database-tag"]);
}

#[test]
fn live_confirmation_needs_the_configured_account() {
    let file = Path::new("environments/live.toml");
    assert_eq!(
        check_live_confirmation(Some("123"), Some(""), file)
            .unwrap_err()
            .subject,
        "environments/live.toml: account"
    );
    assert_eq!(
        check_live_confirmation(None, Some("PA123"), file)
            .unwrap_err()
            .subject,
        "--confirm-live"
    );
    assert!(check_live_confirmation(Some("PA124"), Some("PA123"), file).is_err());
    assert!(check_live_confirmation(Some("PA123"), Some("PA123"), file).is_ok());
}

#[test]
fn overrides_named_like_secrets_are_refused_before_loading() {
    let process = EnvSnapshot::from_pairs([("AIRLOCK__ALPACA__SECRET_KEY", "oops")]);
    let evaluation = run::<Backtest>(EnvironmentName::Backtest, &process, None);
    assert_eq!(refused_rules(&evaluation), ["secret-outside-namespace"]);
    assert!(evaluation.config.is_none());
}

/// A stand-in for the venue (an Alpaca or MT5 account), which is outside this program: it only
/// reports an account and counts disconnects.
struct Venue {
    report: AccountReport,
    disconnected: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

struct NoEvents;

impl Stream for NoEvents {
    type Item = BrokerEvent;
    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<BrokerEvent>> {
        Poll::Ready(None)
    }
}

fn outside(call: &str) -> BrokerError {
    BrokerError::Fatal {
        reason: format!("{call} is not part of the account-kind test"),
    }
}

impl Broker<Paper> for Venue {
    async fn submit(&mut self, _: OrderRequest) -> Result<SubmitAck, BrokerError> {
        Err(outside("submit"))
    }
    async fn cancel(&mut self, _: &ClientOrderId) -> Result<(), BrokerError> {
        Err(outside("cancel"))
    }
    async fn replace(
        &mut self,
        _: &ClientOrderId,
        _: ReplaceRequest,
    ) -> Result<OrderReport, BrokerError> {
        Err(outside("replace"))
    }
    async fn open_orders(&mut self) -> Result<Vec<OrderReport>, BrokerError> {
        Ok(Vec::new())
    }
    async fn positions(&mut self) -> Result<Vec<Position>, BrokerError> {
        Ok(Vec::new())
    }
    async fn account(&mut self) -> Result<AccountSnapshot, BrokerError> {
        Ok(AccountSnapshot {
            cash: Money::ZERO,
            equity: Money::ZERO,
            fees_paid: Money::ZERO,
            positions: Vec::new(),
            at: UnixNanos::default(),
        })
    }
    fn events(&mut self) -> impl Stream<Item = BrokerEvent> + Send + '_ {
        NoEvents
    }
}

impl AccountBroker<Paper> for Venue {
    type Credentials = Credentials<Paper>;

    async fn connect(_: Credentials<Paper>, _: Endpoint<Paper>) -> Result<Self, BrokerError> {
        Err(outside("connect"))
    }
    fn account_report(&self) -> &AccountReport {
        &self.report
    }
    async fn disconnect(self) {
        self.disconnected
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[derive(Default)]
struct Recorded(Vec<AuditRecord>);

impl AuditSink for Recorded {
    fn record(&mut self, record: AuditRecord) {
        self.0.push(record);
    }
}

fn venue(kind: AccountKind) -> (Venue, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    let disconnected = std::sync::Arc::default();
    let venue = Venue {
        report: AccountReport {
            venue: "alpaca",
            account_number: "PA0000000001".to_owned(),
            kind,
            evidence: "GET /v2/account at a test venue".to_owned(),
        },
        disconnected: std::sync::Arc::clone(&disconnected),
    };
    (venue, disconnected)
}

#[tokio::test(flavor = "current_thread")]
async fn a_live_account_behind_a_paper_runtime_is_disconnected_audited_and_refused() {
    let (broker, disconnected) = venue(AccountKind::Live);
    let mut audit = Recorded::default();
    let refusal = admit_account::<Paper, _>(broker, &mut audit)
        .await
        .err()
        .unwrap();
    assert_eq!(refusal.rule, "account-kind");
    assert_eq!(refusal.subject, "alpaca account PA0000000001");
    assert!(disconnected.load(std::sync::atomic::Ordering::SeqCst));
    assert_eq!(audit.0.len(), 1);
    assert_eq!(audit.0[0].mode, ModeTag::Paper);
    assert_eq!(audit.0[0].rule, "account-kind");

    let (broker, disconnected) = venue(AccountKind::Paper);
    let mut audit = Recorded::default();
    assert!(admit_account::<Paper, _>(broker, &mut audit).await.is_ok());
    assert!(!disconnected.load(std::sync::atomic::Ordering::SeqCst));
    assert!(audit.0.is_empty());
}

/// Every config and credential type, formatted with `{:?}` and `{}`, shows no secret value.
#[test]
fn no_config_or_credential_type_formats_a_secret() {
    let mut pairs = paper_secrets();
    pairs.push(("AIRLOCK_LIVE__ALPACA__KEY_ID", LIVE_KEY));
    pairs.push(("AIRLOCK_LIVE__ALPACA__SECRET_KEY", LIVE_SECRET));
    let process = EnvSnapshot::from_pairs(pairs);
    let clean = EnvSnapshot::from_pairs(paper_secrets());
    let refused = run::<Paper>(EnvironmentName::Paper, &process, None);
    let passed = run::<Paper>(EnvironmentName::Paper, &clean, None);
    let credentials = Credentials::<Paper>::from_env(&clean).unwrap();
    let config = passed.config.clone().unwrap();
    let refusal = refused.first_refusal().unwrap().clone();
    let mut shown = vec![
        format!("{process:?}"),
        format!("{process}"),
        format!("{credentials:?}"),
        format!("{credentials}"),
        format!("{config:?}"),
        format!("{config}"),
        format!("{refused:?}"),
        format!("{refused}"),
        format!("{passed:?}"),
        format!("{passed}"),
        format!("{refusal:?}"),
        format!("{refusal}"),
        format!("{:?}", NoCredentials),
        format!("{}", NoCredentials),
    ];
    for endpoint in &passed.endpoints {
        shown.push(format!("{endpoint:?}"));
        shown.push(format!("{endpoint}"));
    }
    for verdict in passed.verdicts.iter().chain(&refused.verdicts) {
        shown.push(format!("{verdict:?}"));
        shown.push(format!("{verdict}"));
    }
    // The masked forms are shown; the values never.
    assert!(shown.iter().any(|text| text.contains("****1111")));
    for text in &shown {
        for secret in [
            PAPER_KEY,
            PAPER_SECRET,
            LIVE_KEY,
            LIVE_SECRET,
            PAPER_DB,
            "paper-db-password",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}

#[cfg(feature = "live")]
#[test]
fn the_live_gate_is_issued_only_when_every_live_guard_passed() {
    use airlock_core::Live;
    struct Fixed(Option<ModeTag>);
    impl EnvironmentTagSource for Fixed {
        fn read_tag(
            &mut self,
            _: Option<&secrecy::SecretString>,
        ) -> Result<Option<ModeTag>, TagReadError> {
            Ok(self.0)
        }
    }
    let process = EnvSnapshot::from_pairs([
        ("AIRLOCK_LIVE__ALPACA__KEY_ID", LIVE_KEY),
        ("AIRLOCK_LIVE__ALPACA__SECRET_KEY", LIVE_SECRET),
        ("AIRLOCK_LIVE__DATABASE_URL", "postgres://live@db/live"),
        ("AIRLOCK__ACCOUNT", "PA0000000009"),
    ]);
    let live = |confirm: Option<&str>, tag: Option<ModeTag>| {
        evaluate::<Live>(
            Inputs {
                environment: EnvironmentName::Live,
                environments_dir: &environments(),
                process: &process,
                secrets_file: None,
                confirm_live: confirm,
            },
            &mut Fixed(tag),
        )
        .unwrap()
    };
    let gate = live(Some("PA0000000009"), Some(ModeTag::Live))
        .live_gate()
        .unwrap();
    assert_eq!(gate.account(), "PA0000000009");
    let untagged = live(Some("PA0000000009"), None).live_gate().unwrap_err();
    assert_eq!(untagged.rule, "database-tag");
    let paper_database = live(Some("PA0000000009"), Some(ModeTag::Paper));
    assert_eq!(refused_rules(&paper_database), ["database-tag"]);
    let unconfirmed = live(None, Some(ModeTag::Live)).live_gate().unwrap_err();
    assert_eq!(unconfirmed.rule, "live-confirmation");
}
