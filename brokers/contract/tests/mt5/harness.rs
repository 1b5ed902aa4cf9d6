//! The real bridge program, started with its terminal emulator on a free loopback port, and a
//! way to drive the emulator: the bridge's own `--call` client (the same signing code the bridge
//! verifies with), so the tests hold no second copy of the recipe besides the client under test.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use airlock_brokers::mt5::{Mt5Bridge, Mt5Settings};
use airlock_brokers::{BridgeSecret, Endpoint, EndpointKind, Loopback};
use airlock_core::{BrokerError, EnvSnapshot, Paper};
use serde_json::Value;

const PROGRAM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../mt5/bridge/airlock_mt5_bridge.py"
);
const SECRET_VARIABLE: &str = "AIRLOCK_PAPER__MT5__BRIDGE_SECRET";

static STARTED: AtomicU64 = AtomicU64::new(0);

/// A running bridge; dropping it kills the process.
pub(crate) struct Bridge {
    child: Child,
    pub(crate) url: String,
    pub(crate) secret: String,
    listen: String,
    state: PathBuf,
    extra: Vec<String>,
    _directory: tempfile::TempDir,
}

fn python() -> Command {
    Command::new("python3")
}

fn spawn(
    listen: &str,
    secret: &str,
    state: &Path,
    config: Option<&Path>,
    extra: &[String],
) -> (Child, String) {
    let mut command = python();
    command
        .arg(PROGRAM)
        .args(["--emulator", "--listen", listen, "--emulator-state"])
        .arg(state)
        .args(extra)
        .env("AIRLOCK_MT5_BRIDGE_SECRET", secret)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(config) = config {
        command.arg("--emulator-config").arg(config);
    }
    let mut child = command.spawn().unwrap_or_else(|error| {
        panic!("the MT5 bridge tests need python3 (3.10 or later) on PATH: {error}")
    });
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let announced: Value = serde_json::from_str(&line)
        .unwrap_or_else(|_| panic!("the bridge did not start (first line {line:?})"));
    (child, announced["url"].as_str().unwrap().to_owned())
}

impl Bridge {
    /// A bridge on a free loopback port with a fresh secret and the default emulated account.
    pub(crate) fn start() -> Self {
        Self::start_with(None)
    }

    /// A bridge whose emulator starts from `config` (see `mt5_emulator/state.py`).
    pub(crate) fn start_with(config: Option<Value>) -> Self {
        Self::start_full(config, Vec::new())
    }

    /// A bridge serving HTTPS with `certificate` and `key` (PEM files).
    pub(crate) fn start_tls(certificate: &Path, key: &Path) -> Self {
        let extra = vec![
            "--tls-cert".to_owned(),
            certificate.display().to_string(),
            "--tls-key".to_owned(),
            key.display().to_string(),
        ];
        Self::start_full(None, extra)
    }

    fn start_full(config: Option<Value>, extra: Vec<String>) -> Self {
        let directory = tempfile::tempdir().unwrap();
        let count = STARTED.fetch_add(1, Ordering::SeqCst);
        let secret = format!(
            "contract-test-secret-{}-{count}-0123456789abcdef",
            std::process::id()
        );
        let state = directory.path().join("emulator-state.json");
        let config = config.map(|config| {
            let path = directory.path().join("emulator.json");
            std::fs::write(&path, config.to_string()).unwrap();
            path
        });
        let (child, url) = spawn("127.0.0.1:0", &secret, &state, config.as_deref(), &extra);
        let listen = url.rsplit("://").next().unwrap_or_default().to_owned();
        Self {
            child,
            url,
            secret,
            listen,
            state,
            extra,
            _directory: directory,
        }
    }

    /// Kills the bridge (as a crash would).
    pub(crate) fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills the bridge if it runs and starts it again on the same port with the same emulator
    /// state, as after a crash or a Windows update.
    pub(crate) fn restart(&mut self) {
        self.stop();
        let mut last = None;
        for _ in 0..50 {
            let (child, url) = spawn(&self.listen, &self.secret, &self.state, None, &self.extra);
            if url == self.url {
                self.child = child;
                return;
            }
            last = Some(url);
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the bridge did not come back on {} ({last:?})", self.url);
    }

    /// Signs `body` to `path` with the bridge's `--call` client; returns the answer.
    pub(crate) fn call(&self, path: &str, body: Value) -> Value {
        let output = python()
            .arg(PROGRAM)
            .args(["--call", &self.url, path, "--body", &body.to_string()])
            .env("AIRLOCK_MT5_BRIDGE_SECRET", &self.secret)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{path} {body}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }

    /// How many `order_send` calls the emulated terminal executed.
    pub(crate) fn executed(&self) -> u64 {
        self.call("/emulator/stats", Value::Object(Default::default()))["calls"]
            ["order_send_executed"]
            .as_u64()
            .unwrap_or(0)
    }

    pub(crate) fn endpoint(&self) -> Endpoint<Paper> {
        Endpoint::check(
            EndpointKind::Mt5Bridge,
            &self.url,
            Loopback::AllowedForTests,
        )
        .unwrap()
    }

    pub(crate) fn secret(&self) -> BridgeSecret<Paper> {
        secret(&self.secret)
    }

    pub(crate) async fn connect(&self) -> Result<Mt5Bridge<Paper>, BrokerError> {
        Mt5Bridge::connect_with(self.secret(), self.endpoint(), settings()).await
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn secret(text: &str) -> BridgeSecret<Paper> {
    BridgeSecret::<Paper>::from_env(&EnvSnapshot::from_pairs([(SECRET_VARIABLE, text)])).unwrap()
}

pub(crate) fn settings() -> Mt5Settings {
    Mt5Settings {
        poll_interval: Duration::from_millis(50),
        request_timeout: Duration::from_secs(5),
        ..Mt5Settings::default()
    }
}
