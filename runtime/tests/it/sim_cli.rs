//! `airlock sim alpaca` as a user runs it: start it on a bundled candle file, read the printed
//! URL and keys, trade over plain HTTP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use airlock::data::{Adjust, CsvOptions, read_csv};
use serde_json::{Value, json};

const AAPL: &str = "DA-AAPL-T-2021-04-21.csv.gz";
const MSFT: &str = "DA-MSFT-T-2021-04-21.csv.gz";

fn data(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/data")
        .join(name)
        .display()
        .to_string()
}

/// The last raw close of a bundled file, read independently of the simulator.
fn last_close(name: &str) -> String {
    let options = CsvOptions {
        adjust: Adjust::None,
        symbol: None,
    };
    let file = read_csv(&PathBuf::from(data(name)), &options).unwrap();
    file.candles.last().unwrap().close().to_string()
}

/// A running simulator process, killed when dropped, and the lines it printed.
struct Simulator {
    child: Child,
    lines: mpsc::Receiver<String>,
    printed: Vec<String>,
}

impl Simulator {
    fn start(extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_airlock"))
            .args(["sim", "alpaca", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the airlock binary runs");
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            printed: Vec::new(),
        }
    }

    /// Waits for a printed line starting with `prefix` and returns the rest, trimmed.
    fn wait_for(&mut self, prefix: &str) -> String {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    self.printed.push(line.clone());
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return rest.trim().to_owned();
                    }
                }
                Err(error) => panic!(
                    "no line starting with {prefix:?} ({error}); printed so far: {:?}",
                    self.printed
                ),
            }
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 exchange over a fresh connection: the status and the JSON body.
fn http(
    base: &str,
    method: &str,
    path: &str,
    keys: Option<(&str, &str)>,
    body: Option<&Value>,
) -> (u16, Value) {
    let address = base.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let payload = body.map(Value::to_string).unwrap_or_default();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    if let Some((key_id, secret)) = keys {
        request.push_str(&format!(
            "APCA-API-KEY-ID: {key_id}\r\nAPCA-API-SECRET-KEY: {secret}\r\n"
        ));
    }
    if body.is_some() {
        request.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            payload.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(&payload);
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, rest) = response.split_once("\r\n\r\n").unwrap();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let text = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|error| panic!("{error}: {text}"))
    };
    (status, value)
}

fn dechunk(mut text: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = text.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        text = &rest[size + 2..];
    }
    out
}

#[test]
fn sim_alpaca_prints_its_keys_and_fills_a_market_order_at_the_last_close() {
    let mut sim = Simulator::start(&["--data", &data(AAPL), &data(MSFT)]);
    let base = sim.wait_for("rest:");
    let stream = sim.wait_for("stream:");
    let key_id = sim.wait_for("key id:");
    let secret = sim.wait_for("secret:");
    sim.wait_for("stop:");
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert_eq!(stream, format!("{}/stream", base.replacen("http", "ws", 1)));
    assert!(key_id.starts_with("PKSIM") && secret.len() == 40);
    assert!(
        sim.printed
            .iter()
            .any(|line| line.contains("not the keys of any real account"))
    );
    let keys = Some((key_id.as_str(), secret.as_str()));
    let (status, refused) = http(&base, "GET", "/v2/account", None, None);
    assert_eq!(status, 401);
    assert_eq!(refused["code"], json!(40110000));
    let (status, account) = http(&base, "GET", "/v2/account", keys, None);
    assert_eq!(status, 200);
    assert_eq!(account["cash"], json!("100000"));
    let order = json!({"symbol": "AAPL", "qty": "3", "side": "buy", "type": "market", "time_in_force": "day", "client_order_id": "cli-1"});
    let (status, placed) = http(&base, "POST", "/v2/orders", keys, Some(&order));
    assert_eq!(status, 200, "{placed}");
    assert_eq!(placed["status"], json!("filled"));
    assert_eq!(placed["filled_avg_price"], json!(last_close(AAPL)));
    let path = format!("/v2/orders/{}", placed["id"].as_str().unwrap());
    let (status, read_back) = http(&base, "GET", &path, keys, None);
    assert_eq!(status, 200);
    assert_eq!(read_back, placed);
    let (_, by_client) = http(
        &base,
        "GET",
        "/v2/orders:by_client_order_id?client_order_id=cli-1",
        keys,
        None,
    );
    assert_eq!(by_client["id"], placed["id"]);
    let (_, position) = http(&base, "GET", "/v2/positions/AAPL", keys, None);
    assert_eq!(position["qty"], json!("3"));
    let (_, msft) = http(&base, "GET", "/v2/assets/MSFT", keys, None);
    assert_eq!(msft["tradable"], json!(true));
}

#[test]
fn sim_alpaca_replays_the_candles_at_a_large_speed_and_keeps_given_keys_quiet() {
    let mut sim = Simulator::start(&[
        "--data",
        &data(MSFT),
        "--replay",
        "1000000000",
        "--key-id",
        "PKGIVEN",
        "--secret-key",
        "given-secret-value",
        "--cash",
        "5000",
    ]);
    let base = sim.wait_for("rest:");
    let finished = sim.wait_for("replay:");
    assert!(finished.starts_with("finished,"), "{finished}");
    assert!(finished.ends_with("2021-04-21T00:00:00Z"), "{finished}");
    assert!(
        sim.printed
            .iter()
            .all(|line| !line.contains("given-secret-value")),
        "{:?}",
        sim.printed
    );
    assert!(
        sim.printed
            .iter()
            .any(|line| line.contains("as given by --key-id"))
    );
    let keys = Some(("PKGIVEN", "given-secret-value"));
    let order = json!({"symbol": "MSFT", "qty": "2", "side": "buy", "type": "market", "time_in_force": "day"});
    let (status, placed) = http(&base, "POST", "/v2/orders", keys, Some(&order));
    assert_eq!(status, 200, "{placed}");
    assert_eq!(placed["filled_avg_price"], json!(last_close(MSFT)));
    let (_, account) = http(&base, "GET", "/v2/account", keys, None);
    assert_eq!(account["account_number"], json!("PA-SIM-0001"));
    let too_big = json!({"symbol": "MSFT", "qty": "100", "side": "buy", "type": "market", "time_in_force": "day"});
    let (status, refused) = http(&base, "POST", "/v2/orders", keys, Some(&too_big));
    assert_eq!(status, 403, "5,000 cash cannot buy 100 MSFT");
    assert_eq!(refused["message"], json!("insufficient buying power"));
}

#[test]
fn sim_alpaca_refuses_a_non_loopback_address_and_half_a_key_pair() {
    let output = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args([
            "sim",
            "alpaca",
            "--listen",
            "0.0.0.0:0",
            "--data",
            &data(AAPL),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--listen 0.0.0.0:0 is not a loopback address")
            && stderr.contains("--listen-anywhere"),
        "{stderr}"
    );
    let half = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(["sim", "alpaca", "--data", &data(AAPL), "--key-id", "PK"])
        .output()
        .unwrap();
    assert_eq!(half.status.code(), Some(2), "a usage error");
    let missing = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args([
            "sim",
            "alpaca",
            "--listen",
            "127.0.0.1:0",
            "--data",
            "/no/such/file.csv",
        ])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/no/such/file.csv"));
}
