//! Redis against the real server on 127.0.0.1:6379: caches, idempotency keys, rate counters,
//! the trading-state broadcast, and a process that loses Redis mid-run (through a TCP relay the
//! test cuts and restores).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use airlock::ephemeral::{Ephemeral, GateRefusal, RedisHealth, TradingGate, change_trading_state};
use airlock::store::{Store, TradingState};
use airlock_core::{Price, Symbol, UnixNanos};

use crate::pg::{TestDb, block_on};

const REDIS: &str = "redis://127.0.0.1:6379";

static NEXT: AtomicU32 = AtomicU32::new(0);

/// An environment name of this test's own, so keys never collide between tests or runs.
#[expect(
    clippy::disallowed_methods,
    reason = "the clock makes names unique across runs (Redis keeps keys between them)"
)]
fn environment() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "it_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

async fn redis(environment: &str) -> Ephemeral {
    Ephemeral::connect(REDIS, environment)
        .await
        .unwrap_or_else(|error| {
            panic!("Redis must be reachable at {REDIS} (./scripts/test starts it): {error}")
        })
}

fn px(text: &str) -> Price {
    text.parse().unwrap()
}

#[test]
fn prices_and_quotes_are_cached_exactly_per_environment() {
    block_on(async {
        let (paper, live) = (environment(), environment());
        let paper_redis = redis(&paper).await;
        let live_redis = redis(&live).await;
        let aapl = Symbol::parse("AAPL").unwrap();
        assert_eq!(paper_redis.last_price(&aapl).await.unwrap(), None);
        paper_redis
            .set_last_price(&aapl, px("187.123456789"), UnixNanos::new(42))
            .await
            .unwrap();
        let last = paper_redis.last_price(&aapl).await.unwrap().unwrap();
        assert_eq!(last.price, px("187.123456789"));
        assert_eq!(last.at, UnixNanos::new(42));
        assert_eq!(
            live_redis.last_price(&aapl).await.unwrap(),
            None,
            "another environment's cache is not visible"
        );
        paper_redis
            .set_quote(&aapl, px("187.1"), px("187.2"), UnixNanos::new(43))
            .await
            .unwrap();
        let quote = paper_redis.quote(&aapl).await.unwrap().unwrap();
        assert_eq!((quote.bid, quote.ask), (px("187.1"), px("187.2")));
    });
}

#[test]
fn idempotency_keys_are_claimed_once_until_they_expire() {
    block_on(async {
        let redis = redis(&environment()).await;
        let ttl = Duration::from_millis(300);
        assert!(
            redis
                .claim_idempotency_key("llm", "k-1", ttl)
                .await
                .unwrap()
        );
        assert!(
            !redis
                .claim_idempotency_key("llm", "k-1", ttl)
                .await
                .unwrap()
        );
        assert!(
            redis
                .claim_idempotency_key("other", "k-1", ttl)
                .await
                .unwrap()
        );
        tokio::time::sleep(Duration::from_millis(450)).await;
        assert!(
            redis
                .claim_idempotency_key("llm", "k-1", ttl)
                .await
                .unwrap(),
            "claimable again after expiry"
        );
    });
}

#[test]
fn rate_counters_count_within_a_window_and_restart_in_the_next() {
    block_on(async {
        let redis = redis(&environment()).await;
        let window = Duration::from_secs(60);
        let start = UnixNanos::new(1_700_000_040_000_000_000);
        for expected in 1..=3 {
            assert_eq!(
                redis.count_hit("orders", window, start).await.unwrap(),
                expected
            );
        }
        let next = UnixNanos::new(start.as_u64() + 60_000_000_000);
        assert_eq!(redis.count_hit("orders", window, next).await.unwrap(), 1);
    });
}

/// A TCP relay between the gate and Redis that the test can cut and restore on the same port.
struct Relay {
    port: u16,
    running: Arc<AtomicBool>,
    streams: Arc<Mutex<Vec<TcpStream>>>,
    acceptor: Option<thread::JoinHandle<()>>,
}

impl Relay {
    fn start(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let running = Arc::new(AtomicBool::new(true));
        let streams: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (flag, kept) = (Arc::clone(&running), Arc::clone(&streams));
        let acceptor = thread::spawn(move || {
            while flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let Ok(server) = TcpStream::connect("127.0.0.1:6379") else {
                            continue;
                        };
                        for stream in [&client, &server] {
                            kept.lock().unwrap().push(stream.try_clone().unwrap());
                        }
                        pump(client.try_clone().unwrap(), server.try_clone().unwrap());
                        pump(server, client);
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Self {
            port,
            running,
            streams,
            acceptor: Some(acceptor),
        }
    }

    /// Cuts every connection and stops listening: Redis is now unreachable through the relay.
    fn cut(mut self) -> u16 {
        self.running.store(false, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            acceptor.join().unwrap();
        }
        for stream in self.streams.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
        self.port
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream) {
    thread::spawn(move || {
        let mut buffer = [0u8; 8192];
        loop {
            match from.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(read) => {
                    if to.write_all(&buffer[..read]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
    });
}

async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    for _ in 0..250 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out after 5 s waiting until {what}");
}

#[test]
fn the_gate_starts_halted_and_hears_every_change_from_the_database() {
    let db = TestDb::new("gate");
    block_on(async {
        let env = environment();
        let store: Arc<dyn Store> = Arc::new(db.store().await);
        store.migrate().await.unwrap();
        let gate = TradingGate::start(Arc::clone(&store), REDIS.into(), env.clone());
        let first = gate.confirmed(Duration::from_secs(5)).await.unwrap();
        assert_eq!(
            first.state,
            TradingState::Halted,
            "nothing recorded: start halted"
        );
        assert!(matches!(
            gate.check_new_order(),
            Err(GateRefusal::Halted { .. })
        ));

        // Another process (same database, same Redis) resumes trading.
        let other = redis(&env).await;
        change_trading_state(
            store.as_ref(),
            &other,
            TradingState::Active,
            "operator resumed after review",
            "operator:ana",
            UnixNanos::new(1),
        )
        .await
        .unwrap();
        wait_until("the gate hears Active", || gate.check_new_order().is_ok()).await;
        assert_eq!(gate.check_new_order(), Ok(TradingState::Active));
        change_trading_state(
            store.as_ref(),
            &other,
            TradingState::Halted,
            "emergency halt",
            "operator:ana",
            UnixNanos::new(2),
        )
        .await
        .unwrap();
        wait_until("the gate hears the halt", || {
            gate.check_new_order().is_err()
        })
        .await;
        let refusal = gate.check_new_order().unwrap_err();
        assert!(refusal.to_string().contains("emergency halt"), "{refusal}");
    });
}

#[test]
fn losing_redis_mid_run_refuses_new_orders_until_the_state_is_confirmed_again() {
    let db = TestDb::new("gate_loss");
    block_on(async {
        let env = environment();
        let store: Arc<dyn Store> = Arc::new(db.store().await);
        store.migrate().await.unwrap();
        let direct = redis(&env).await;
        change_trading_state(
            store.as_ref(),
            &direct,
            TradingState::Active,
            "open",
            "operator:ana",
            UnixNanos::new(1),
        )
        .await
        .unwrap();

        let relay = Relay::start(0);
        let url = format!("redis://127.0.0.1:{}", relay.port);
        let gate = TradingGate::start(Arc::clone(&store), url, env.clone());
        gate.confirmed(Duration::from_secs(5)).await.unwrap();
        assert_eq!(gate.check_new_order(), Ok(TradingState::Active));
        assert_eq!(gate.health().redis, RedisHealth::Up);

        // Redis becomes unreachable mid-run.
        let port = relay.cut();
        wait_until("the gate notices", || gate.check_new_order().is_err()).await;
        let refusal = gate.check_new_order().unwrap_err();
        assert!(matches!(refusal, GateRefusal::Unconfirmed(_)), "{refusal}");
        let health = gate.health();
        assert!(matches!(health.redis, RedisHealth::Down { .. }), "{health}");
        let shown = health.to_string();
        assert!(shown.contains("redis:         DOWN"), "{shown}");
        assert!(
            shown.contains("new orders:    REFUSED: trading state unconfirmed"),
            "{shown}"
        );
        // The durable truth is untouched by the outage.
        assert_eq!(
            store.trading_state().await.unwrap().unwrap().state,
            TradingState::Active
        );

        // While this process is cut off, another one halts trading: it misses the broadcast...
        change_trading_state(
            store.as_ref(),
            &direct,
            TradingState::Halted,
            "halted during the outage",
            "operator:ana",
            UnixNanos::new(2),
        )
        .await
        .unwrap();
        // ...and on reconnecting it reads the database, so it comes back halted, not active.
        let relay = Relay::start(port);
        wait_until("the gate reconnects", || {
            gate.health().redis == RedisHealth::Up
        })
        .await;
        let refusal = gate.check_new_order().unwrap_err();
        assert!(
            refusal.to_string().contains("halted during the outage"),
            "{refusal}"
        );
        drop(gate);
        relay.cut();
    });
}
