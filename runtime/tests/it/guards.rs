//! Start-up guards as an operator meets them: the real binary, real environment files, exit
//! codes, the one refusal line, and what reaches the network and the logs.

use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

const PAPER_KEY: &str = "PKITPAPERKEY0000A1B2";
const PAPER_SECRET: &str = "it-paper-secret-never-shown-0c0ffee5";
/// A real database tagged `paper` (created once and kept between runs; PostgreSQL's trust
/// authentication ignores the password, which is here so tests can prove it is never shown).
const PAPER_DB: &str =
    "postgres://postgres:it-paper-db-pass-77aa@127.0.0.1:5432/airlock_it_guards_paper";
const LIVE_KEY: &str = "AKITLIVEKEY00000C3D4";
const LIVE_SECRET: &str = "it-live-secret-never-shown-deadbeef9";

const SECRETS: [&str; 6] = [
    PAPER_KEY,
    PAPER_SECRET,
    PAPER_DB,
    "it-paper-db-pass-77aa",
    LIVE_KEY,
    LIVE_SECRET,
];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Creates (if missing), migrates and tags the paper database the guard tests point at.
fn paper_database() {
    static READY: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    READY.get_or_init(|| {
        crate::pg::block_on(async {
            let admin = "postgres://postgres@127.0.0.1:5432/postgres";
            // Another test process may create it at the same moment: "exists" is fine.
            let _ = airlock_store_postgres::admin::create_database(
                admin,
                "airlock_it_guards_paper",
            )
            .await;
            let open = || async {
                airlock::store::open(PAPER_DB).await.unwrap_or_else(|error| {
                    panic!("PostgreSQL must be reachable on 127.0.0.1:5432 (./scripts/test starts it): {error}")
                })
            };
            let mut store = open().await;
            if store.migrate().await.is_err() {
                // Left by a checkout with other migrations: start it afresh.
                drop(store);
                airlock_store_postgres::admin::drop_database(admin, "airlock_it_guards_paper")
                    .await
                    .unwrap();
                let _ = airlock_store_postgres::admin::create_database(
                    admin,
                    "airlock_it_guards_paper",
                )
                .await;
                store = open().await;
                store.migrate().await.unwrap();
            }
            store
                .set_environment_tag(airlock_core::ModeTag::Paper, airlock_core::UnixNanos::new(0))
                .await
                .unwrap();
        });
    });
}

fn paper_secrets() -> Vec<(&'static str, String)> {
    paper_database();
    vec![
        ("AIRLOCK_PAPER__ALPACA__KEY_ID", PAPER_KEY.to_owned()),
        ("AIRLOCK_PAPER__ALPACA__SECRET_KEY", PAPER_SECRET.to_owned()),
        ("AIRLOCK_PAPER__DATABASE_URL", PAPER_DB.to_owned()),
    ]
}

fn live_secrets() -> Vec<(&'static str, String)> {
    vec![
        ("AIRLOCK_LIVE__ALPACA__KEY_ID", LIVE_KEY.to_owned()),
        ("AIRLOCK_LIVE__ALPACA__SECRET_KEY", LIVE_SECRET.to_owned()),
    ]
}

/// Runs the binary from the repository root with exactly `vars` as its environment.
fn airlock(args: &[&str], vars: &[(&str, String)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_airlock"))
        .current_dir(repo())
        .env_clear()
        .envs(vars.iter().map(|(name, value)| (name, value)))
        .args(args)
        .output()
        .expect("the airlock binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_no_secret(output: &Output) {
    for stream in [text(&output.stdout), text(&output.stderr)] {
        for secret in SECRETS {
            assert!(!stream.contains(secret), "{secret} shown in: {stream}");
        }
    }
}

/// Checks the refusal contract: exit 78, exactly one `error:` line on stderr, which names the
/// rule and the subject, and no secret anywhere.
fn refused(output: &Output, rule: &str, subject: &str) -> String {
    let stderr = text(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(78),
        "stdout: {}\nstderr: {stderr}",
        text(&output.stdout)
    );
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    let line = errors[0];
    assert!(
        line.starts_with(&format!("error: guard {rule} refused {subject}")),
        "{line}"
    );
    assert_no_secret(output);
    line.to_owned()
}

fn with(
    mut vars: Vec<(&'static str, String)>,
    extra: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    vars.extend(
        extra
            .iter()
            .map(|(name, value)| (*name, (*value).to_owned())),
    );
    vars
}

#[test]
fn a_live_secret_refuses_a_paper_start() {
    let vars = with(
        paper_secrets(),
        &[("AIRLOCK_LIVE__ALPACA__SECRET_KEY", LIVE_SECRET)],
    );
    let output = airlock(&["run", "--env", "paper"], &vars);
    refused(
        &output,
        "foreign-secret",
        "AIRLOCK_LIVE__ALPACA__SECRET_KEY",
    );
    assert!(
        text(&output.stdout)
            .lines()
            .next()
            .unwrap()
            .contains("mode: paper"),
        "{}",
        text(&output.stdout)
    );
}

#[test]
fn paper_and_live_secrets_refuse_local_and_backtest() {
    let output = airlock(&["run", "--env", "local"], &paper_secrets());
    refused(&output, "foreign-secret", "AIRLOCK_PAPER__");
    let output = airlock(&["run", "--env", "backtest"], &live_secrets());
    refused(&output, "foreign-secret", "AIRLOCK_LIVE__ALPACA__KEY_ID");
    let output = airlock(
        &["run", "--env", "backtest"],
        &[("APCA_API_SECRET_KEY", LIVE_SECRET.to_owned())],
    );
    refused(&output, "foreign-secret", "APCA_API_SECRET_KEY");
}

#[test]
fn a_file_declaring_another_mode_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let paper = std::fs::read_to_string(repo().join("environments/paper.toml")).unwrap();
    std::fs::write(
        dir.path().join("paper.toml"),
        paper.replace("mode = \"paper\"", "mode = \"dry_run\""),
    )
    .unwrap();
    let environments = dir.path().to_str().unwrap();
    let output = airlock(
        &["run", "--env", "paper", "--environments", environments],
        &paper_secrets(),
    );
    let line = refused(
        &output,
        "declared-mode",
        &format!("{}: mode", dir.path().join("paper.toml").display()),
    );
    assert!(
        line.contains("declares dry_run but paper was asked for"),
        "{line}"
    );
}

#[test]
fn endpoints_off_the_allow_list_are_refused() {
    let vars = with(
        paper_secrets(),
        &[("AIRLOCK__ENDPOINTS__TRADING", "https://broker.example.com")],
    );
    let line = refused(
        &airlock(&["run", "--env", "paper"], &vars),
        "endpoint-allow-list",
        "endpoints.trading",
    );
    assert!(
        line.contains("broker.example.com is not allowed for trading in paper"),
        "{line}"
    );
    let vars = with(
        paper_secrets(),
        &[("AIRLOCK__ENDPOINTS__TRADING", "http://127.0.0.1:9")],
    );
    let line = refused(
        &airlock(&["run", "--env", "paper"], &vars),
        "endpoint-allow-list",
        "endpoints.trading",
    );
    assert!(line.contains("loopback"), "{line}");
}

#[test]
fn missing_credentials_and_secret_named_overrides_are_refused() {
    let output = airlock(&["run", "--env", "paper"], &[]);
    refused(&output, "credentials", "AIRLOCK_PAPER__ALPACA__KEY_ID");
    let output = airlock(
        &["env", "check", "--env", "paper"],
        &[("AIRLOCK__ALPACA__SECRET_KEY", PAPER_SECRET.to_owned())],
    );
    refused(
        &output,
        "secret-outside-namespace",
        "AIRLOCK__ALPACA__SECRET_KEY",
    );
}

#[cfg(unix)]
#[test]
fn a_secrets_file_readable_by_others_is_refused_and_a_private_one_is_used() {
    use std::os::unix::fs::PermissionsExt;
    paper_database();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("paper.secrets");
    std::fs::write(
        &path,
        format!(
            "AIRLOCK_PAPER__ALPACA__KEY_ID={PAPER_KEY}\nAIRLOCK_PAPER__ALPACA__SECRET_KEY={PAPER_SECRET}\n\
             AIRLOCK_PAPER__DATABASE_URL={PAPER_DB}\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let file = path.to_str().unwrap();
    let args = ["env", "check", "--env", "paper", "--secrets-file", file];
    let line = refused(&airlock(&args, &[]), "secrets-file-permissions", file);
    assert!(line.contains("0644"), "{line}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let output = airlock(&args, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("****A1B2"), "{stdout}");
    assert!(stdout.contains("verdict: every guard passed"), "{stdout}");
    assert_no_secret(&output);
}

#[test]
fn env_check_shows_masked_secrets_and_every_verdict_and_exits_78_on_a_refusal() {
    let output = airlock(&["env", "check", "--env", "paper"], &paper_secrets());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.starts_with("airlock "), "{stdout}");
    assert!(stdout.lines().next().unwrap().contains("mode: paper"));
    for needle in [
        "****A1B2",
        "****fee5",
        "****aper",
        "pass    foreign-secret",
        "pass    database-tag",
    ] {
        assert!(stdout.contains(needle), "missing {needle} in {stdout}");
    }
    assert_no_secret(&output);
    let vars = with(
        paper_secrets(),
        &[("AIRLOCK_LIVE__ALPACA__KEY_ID", LIVE_KEY)],
    );
    let output = airlock(&["env", "check", "--env", "paper"], &vars);
    refused(&output, "foreign-secret", "AIRLOCK_LIVE__ALPACA__KEY_ID");
    let stdout = text(&output.stdout);
    assert!(stdout.contains("REFUSE  foreign-secret"), "{stdout}");
    assert!(
        stdout.contains("verdict: refused by 1 guard (exit 78)"),
        "{stdout}"
    );
}

#[cfg(not(feature = "live"))]
#[test]
fn live_is_refused_without_the_live_build() {
    let vars = with(live_secrets(), &[("AIRLOCK__ACCOUNT", "PA0000000001")]);
    let output = airlock(
        &["run", "--env", "live", "--confirm-live", "PA0000000001"],
        &vars,
    );
    refused(&output, "live-build", "--env live");
}

#[cfg(feature = "live")]
#[test]
fn live_needs_the_confirmation_and_a_live_tagged_database() {
    use airlock::store::Store;
    // A real database, first untagged, then tagged paper: live refuses both.
    let db = crate::pg::TestDb::new("live_untagged");
    let mut vars = live_secrets();
    vars.push(("AIRLOCK_LIVE__DATABASE_URL", db.url.clone()));
    let output = airlock(&["run", "--env", "live"], &vars);
    refused(&output, "live-confirmation", "");
    let vars = with(vars, &[("AIRLOCK__ACCOUNT", "PA0000000001")]);
    let output = airlock(&["run", "--env", "live"], &vars);
    refused(&output, "live-confirmation", "--confirm-live");
    let output = airlock(
        &["run", "--env", "live", "--confirm-live", "PA0000000002"],
        &vars,
    );
    refused(&output, "live-confirmation", "--confirm-live");
    // Confirmed, but the database is not tagged live.
    let output = airlock(
        &["run", "--env", "live", "--confirm-live", "PA0000000001"],
        &vars,
    );
    let line = refused(&output, "database-tag", "database environment_tag");
    assert!(line.contains("this one is untagged"), "{line}");
    crate::pg::block_on(async {
        let store = db.store().await;
        store.migrate().await.unwrap();
        store
            .set_environment_tag(
                airlock_core::ModeTag::Paper,
                airlock_core::UnixNanos::new(0),
            )
            .await
            .unwrap();
    });
    let output = airlock(
        &["run", "--env", "live", "--confirm-live", "PA0000000001"],
        &vars,
    );
    let line = refused(&output, "database-tag", "database environment_tag");
    assert!(line.contains("tagged paper"), "{line}");
    let vars = with(vars, &[("AIRLOCK__TESTING__ALLOW_LOOPBACK", "true")]);
    let output = airlock(
        &["run", "--env", "live", "--confirm-live", "PA0000000001"],
        &vars,
    );
    refused(&output, "test-setting", "testing.allow_loopback");
    let vars = with(paper_secrets(), &[("AIRLOCK__ACCOUNT", "PA0000000001")]);
    let output = airlock(
        &["run", "--env", "live", "--confirm-live", "PA0000000001"],
        &vars,
    );
    refused(&output, "foreign-secret", "AIRLOCK_PAPER__");
}

/// A loopback listener that counts the connections it accepts until stopped.
struct CountingListener {
    port: u16,
    count: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<Result<(), String>>>,
}

impl CountingListener {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let count = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_count, thread_stop) = (Arc::clone(&count), Arc::clone(&stop));
        let thread = thread::spawn(move || {
            // Bounded: at most 60 s, however the test goes.
            for _ in 0..6_000 {
                match listener.accept() {
                    Ok(_) => {
                        thread_count.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(error) if error.kind() == ErrorKind::WouldBlock => {
                        if thread_stop.load(Ordering::SeqCst) {
                            return Ok(());
                        }
                        thread::sleep(Duration::from_millis(10));
                    }
                    Err(error) => return Err(format!("accept failed: {error}")),
                }
            }
            Err("the listener ran for 60 s without being stopped".to_owned())
        });
        Self {
            port,
            count,
            stop,
            thread: Some(thread),
        }
    }

    /// Stops accepting (after draining connections already made) and returns the count.
    fn finish(mut self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap().unwrap();
        self.count.load(Ordering::SeqCst)
    }
}

fn loopback_paper(port: u16) -> Vec<(&'static str, String)> {
    let url = format!("http://127.0.0.1:{port}");
    let mut vars = paper_secrets();
    vars.push(("AIRLOCK__TESTING__ALLOW_LOOPBACK", "true".to_owned()));
    vars.push(("AIRLOCK__ENDPOINTS__TRADING", url.clone()));
    vars.push(("AIRLOCK__ENDPOINTS__MARKET_DATA", url));
    vars
}

#[test]
fn a_paper_start_with_live_variables_opens_no_connection() {
    // Control: the same start without the live variables connects to both endpoints.
    let listener = CountingListener::start();
    let output = airlock(&["run", "--env", "paper"], &loopback_paper(listener.port));
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("stopped after the connection check"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(listener.finish(), 2);

    let listener = CountingListener::start();
    let mut vars = loopback_paper(listener.port);
    vars.extend(live_secrets());
    let output = airlock(&["run", "--env", "paper"], &vars);
    refused(&output, "foreign-secret", "AIRLOCK_LIVE__ALPACA__");
    assert_eq!(listener.finish(), 0);
}

#[test]
fn a_start_with_secrets_set_logs_the_mode_on_every_line_and_no_secret() {
    let listener = CountingListener::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("paper.secrets");
    std::fs::write(
        &file,
        format!("AIRLOCK_PAPER__ALPACA__SECRET_KEY={PAPER_SECRET}\n"),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let mut vars: Vec<(&str, String)> = loopback_paper(listener.port)
        .into_iter()
        .filter(|(name, _)| *name != "AIRLOCK_PAPER__ALPACA__SECRET_KEY")
        .collect();
    vars.push(("AIRLOCK_LOG", "trace".to_owned()));
    let output = airlock(
        &[
            "run",
            "--env",
            "paper",
            "--secrets-file",
            file.to_str().unwrap(),
        ],
        &vars,
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert_eq!(listener.finish(), 2);
    let stderr = text(&output.stderr);
    let logs: Vec<&str> = stderr
        .lines()
        .filter(|line| !line.starts_with("error:"))
        .collect();
    // The start-up logged its guards, the masked credentials and both connections.
    assert!(logs.len() >= 15, "{stderr}");
    assert!(stderr.contains("****fee5"), "{stderr}");
    assert!(stderr.contains("connected"), "{stderr}");
    for line in logs {
        assert!(line.contains("mode=paper"), "no mode in: {line}");
    }
    assert_no_secret(&output);
}

#[test]
fn the_shipped_environment_files_hold_no_secret_values() {
    let dir = repo().join("environments");
    for name in ["backtest", "local", "paper", "live"] {
        let text = std::fs::read_to_string(Path::new(&dir).join(format!("{name}.toml"))).unwrap();
        for line in text
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
        {
            let key = line
                .split('=')
                .next()
                .unwrap_or_default()
                .trim()
                .to_lowercase();
            for word in ["secret", "password", "token", "key_id"] {
                assert!(!key.contains(word), "{name}.toml: {line}");
            }
            assert!(
                !line.contains("://") || !line.contains('@'),
                "{name}.toml: {line}"
            );
        }
    }
}

#[test]
fn a_paper_start_pointed_at_a_live_database_is_refused() {
    use airlock::store::Store;
    let db = crate::pg::TestDb::new("live_tagged");
    crate::pg::block_on(async {
        let store = db.store().await;
        store.migrate().await.unwrap();
        store
            .set_environment_tag(airlock_core::ModeTag::Live, airlock_core::UnixNanos::new(0))
            .await
            .unwrap();
    });
    let mut vars = paper_secrets();
    vars.retain(|(name, _)| *name != "AIRLOCK_PAPER__DATABASE_URL");
    vars.push(("AIRLOCK_PAPER__DATABASE_URL", db.url.clone()));
    let output = airlock(&["env", "check", "--env", "paper"], &vars);
    let line = refused(&output, "database-tag", "database environment_tag");
    assert!(line.contains("tagged live"), "{line}");
}

#[test]
fn every_shipped_environment_sets_every_risk_limit() {
    for environment in ["backtest", "local"] {
        let output = airlock(&["env", "check", "--env", environment], &[]);
        let stdout = text(&output.stdout);
        assert!(stdout.contains("pass    risk-limits "), "{stdout}");
        assert_eq!(output.status.code(), Some(0), "{stdout}");
    }
    let output = airlock(&["env", "check", "--env", "paper"], &paper_secrets());
    assert!(
        text(&output.stdout).contains("pass    risk-limits"),
        "{}",
        text(&output.stdout)
    );
}

#[test]
fn a_risk_table_with_a_limit_left_out_or_a_float_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let local = std::fs::read_to_string(repo().join("environments/local.toml")).unwrap();
    assert!(local.contains("max_daily_loss = \"50000\"\n"));
    std::fs::write(
        dir.path().join("local.toml"),
        local.replace("max_daily_loss = \"50000\"\n", ""),
    )
    .unwrap();
    let environments = dir.path().to_str().unwrap();
    let subject = format!("{} [risk]", dir.path().join("local.toml").display());
    let output = airlock(
        &[
            "env",
            "check",
            "--env",
            "local",
            "--environments",
            environments,
        ],
        &[],
    );
    let line = refused(&output, "risk-limits", &subject);
    assert!(line.contains("not configured: max_daily_loss"), "{line}");

    std::fs::write(
        dir.path().join("local.toml"),
        local.replace("max_leverage = \"2\"", "max_leverage = 2.5"),
    )
    .unwrap();
    let output = airlock(
        &[
            "env",
            "check",
            "--env",
            "local",
            "--environments",
            environments,
        ],
        &[],
    );
    let line = refused(&output, "risk-limits", &subject);
    assert!(line.contains("floating-point"), "{line}");
}
