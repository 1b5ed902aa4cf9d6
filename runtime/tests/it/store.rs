//! The store API against the real databases: the same scenarios on PostgreSQL (a database per
//! test) and on SQLite files.

use airlock::store::{
    self, AuditVerdict, CandleWrite, NewAuditEntry, NewFill, NewPosition, NewPromotion,
    NewRiskEvent, NewRun, NewSignal, OrderIntent, OrderState, RiskEventKind, RunState,
    SignalIntake, StateChange, Store, StoreError, TradingState,
};
use airlock_core::{
    Candle, ClientOrderId, ModeTag, Money, OrderKind, OrderStatus, Price, Quantity, Side, Symbol,
    TimeInForce, TimeRange, Timeframe, UnixNanos,
};

use crate::pg::{TestDb, block_on};

fn at(seconds: u64) -> UnixNanos {
    UnixNanos::new(1_700_000_000_000_000_000 + seconds * 1_000_000_000)
}

fn px(text: &str) -> Price {
    text.parse().unwrap()
}

fn qty(text: &str) -> Quantity {
    text.parse().unwrap()
}

async fn migrations_and_tag(store: &dyn Store) {
    let before = store.status().await.unwrap();
    assert!(before.applied.is_empty(), "{before:?}");
    assert_eq!(before.pending.len(), 2);
    assert_eq!(before.environment_tag, None);
    let applied = store.migrate().await.unwrap();
    assert_eq!(applied, before.pending);
    assert!(
        store.migrate().await.unwrap().is_empty(),
        "a second migrate applies nothing"
    );
    let after = store.status().await.unwrap();
    assert_eq!(after.applied, before.pending);
    assert!(after.pending.is_empty());

    assert_eq!(store.environment_tag().await.unwrap(), None);
    store
        .set_environment_tag(ModeTag::Paper, at(0))
        .await
        .unwrap();
    store
        .set_environment_tag(ModeTag::Paper, at(1))
        .await
        .unwrap();
    let refused = store
        .set_environment_tag(ModeTag::Live, at(2))
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            StoreError::EnvironmentTagMismatch {
                found: ModeTag::Paper,
                wanted: ModeTag::Live
            }
        ),
        "{refused}"
    );
    assert_eq!(store.environment_tag().await.unwrap(), Some(ModeTag::Paper));
}

async fn runs_orders_and_fills(store: &dyn Store) {
    let params = vec![("fast".to_owned(), "10".to_owned())];
    let version = store
        .register_strategy_version("sma_cross", &params, "0.1.0", at(0))
        .await
        .unwrap();
    assert_eq!(
        version,
        store::strategy_version("sma_cross", &params, "0.1.0")
    );
    assert_eq!(
        store
            .register_strategy_version("sma_cross", &params, "0.1.0", at(5))
            .await
            .unwrap(),
        version
    );
    let new_run = NewRun {
        mode: ModeTag::Paper,
        strategy_version: version.clone(),
        binary_version: "0.1.0".into(),
        started: at(10),
    };
    let run = store.start_run(&new_run).await.unwrap();
    let record = store.run(run).await.unwrap().unwrap();
    assert_eq!(record.state, RunState::Running);
    assert_eq!(record.ended, None);

    let id = ClientOrderId::derive("sma_cross", "r1", 1).unwrap();
    let intent = OrderIntent {
        run,
        client_order_id: id.clone(),
        symbol: Symbol::parse("AAPL").unwrap(),
        side: Side::Buy,
        kind: OrderKind::Limit {
            limit: px("187.25"),
        },
        time_in_force: TimeInForce::Day,
        quantity: qty("10"),
        at: at(11),
    };
    let order_id = store.record_order_intent(&intent).await.unwrap();
    assert_eq!(
        store.record_order_intent(&intent).await.unwrap(),
        order_id,
        "a retry of the same intent is the same order"
    );
    let mut other = intent.clone();
    other.quantity = qty("11");
    let conflict = store.record_order_intent(&other).await.unwrap_err();
    assert!(
        conflict
            .to_string()
            .contains("already used by a different order"),
        "{conflict}"
    );

    let pending = store.order(&id).await.unwrap().unwrap();
    assert_eq!(pending.state, OrderState::PendingSubmit);
    assert_eq!(
        pending.kind,
        OrderKind::Limit {
            limit: px("187.25")
        }
    );
    assert_eq!(store.open_orders(run).await.unwrap().len(), 1);

    let accepted = StateChange {
        state: OrderState::Status(OrderStatus::Accepted),
        at: at(12),
        reason: None,
    };
    store
        .record_order_state(&id, &accepted, Some("b-77"))
        .await
        .unwrap();
    let fill = NewFill {
        broker_fill_id: "f-1".into(),
        quantity: qty("4"),
        price: px("187.20"),
        fee: Money::from_units(1),
        at: at(13),
    };
    assert!(store.record_fill(&id, &fill).await.unwrap());
    assert!(
        !store.record_fill(&id, &fill).await.unwrap(),
        "a fill is recorded once"
    );
    let partial = StateChange {
        state: OrderState::Status(OrderStatus::PartiallyFilled),
        at: at(13),
        reason: None,
    };
    store.record_order_state(&id, &partial, None).await.unwrap();
    let cancelled = StateChange {
        state: OrderState::Status(OrderStatus::Cancelled),
        at: at(14),
        reason: Some("operator halt".into()),
    };
    store
        .record_order_state(&id, &cancelled, None)
        .await
        .unwrap();
    let order = store.order(&id).await.unwrap().unwrap();
    assert_eq!(order.broker_order_id.as_deref(), Some("b-77"));
    assert_eq!(order.filled, qty("4"));
    let states: Vec<&str> = order.history.iter().map(|c| c.state.as_str()).collect();
    assert_eq!(
        states,
        [
            "pending_submit",
            "accepted",
            "partially_filled",
            "cancelled"
        ]
    );
    assert_eq!(order.history[3].reason.as_deref(), Some("operator halt"));
    assert!(store.open_orders(run).await.unwrap().is_empty());
    let fills = store.fills(&id).await.unwrap();
    assert_eq!(fills.len(), 1);
    assert_eq!(fills[0].price, px("187.20"));
    assert_eq!(fills[0].fee, Money::from_units(1));
    let unknown = ClientOrderId::derive("sma_cross", "r1", 99).unwrap();
    assert!(matches!(
        store.record_fill(&unknown, &fill).await,
        Err(StoreError::NotFound { .. })
    ));

    store
        .record_position(&NewPosition {
            run,
            symbol: Symbol::parse("AAPL").unwrap(),
            quantity: qty("4"),
            average_price: px("187.20"),
            from_broker: true,
            at: at(15),
        })
        .await
        .unwrap();
    store
        .record_risk_event(&NewRiskEvent {
            run: Some(run),
            kind: RiskEventKind::Rejection,
            rule: "max_order_notional".into(),
            detail: r#"{"limit":"50000","order":"60000"}"#.into(),
            at: at(16),
        })
        .await
        .unwrap();
    let signal = NewSignal {
        source: "llm".into(),
        idempotency_key: "k-1".into(),
        payload: "{}".into(),
        at: at(17),
    };
    let SignalIntake::New(first) = store.record_signal(&signal).await.unwrap() else {
        panic!("first signal not new");
    };
    assert_eq!(
        store.record_signal(&signal).await.unwrap(),
        SignalIntake::Duplicate(first)
    );
    store
        .record_promotion(&NewPromotion {
            strategy_version: version.clone(),
            from: ModeTag::Paper,
            to: ModeTag::Live,
            approved_by: "ana".into(),
            evidence: "{}".into(),
            at: at(18),
        })
        .await
        .unwrap();

    store
        .finish_run(run, RunState::Completed, None, at(20))
        .await
        .unwrap();
    let again = store
        .finish_run(run, RunState::Failed, None, at(21))
        .await
        .unwrap_err();
    assert!(again.to_string().contains("already completed"), "{again}");

    // A run left running by a crashed process is marked interrupted at the next start-up.
    let crashed = store.start_run(&new_run).await.unwrap();
    assert_eq!(
        store.interrupt_running(at(30)).await.unwrap(),
        vec![crashed]
    );
    let record = store.run(crashed).await.unwrap().unwrap();
    assert_eq!(record.state, RunState::Interrupted);
    assert_eq!(record.ended, Some(at(30)));
    assert!(store.interrupt_running(at(31)).await.unwrap().is_empty());
}

async fn audit_chain(store: &dyn Store) {
    for (index, action) in ["promote", "halt", "resume"].iter().enumerate() {
        let entry = store
            .append_audit(&NewAuditEntry {
                at: at(40 + index as u64),
                actor: "operator:ana".into(),
                action: (*action).into(),
                subject: "run:1".into(),
                detail: format!(r#"{{"n":{index}}}"#),
            })
            .await
            .unwrap();
        assert_eq!(entry.seq, index as u64 + 1);
    }
    let AuditVerdict::Intact { rows, .. } = store.verify_audit().await.unwrap() else {
        panic!("fresh chain broken");
    };
    assert_eq!(rows, 3);
}

fn candles(days: std::ops::Range<u64>, close: &str) -> Vec<Candle> {
    days.map(|day| {
        let price = px(close);
        Candle::new(
            UnixNanos::new(day * 86_400_000_000_000),
            price,
            price,
            price,
            price,
            qty("1000.5"),
        )
        .unwrap()
    })
    .collect()
}

async fn candle_rows(store: &dyn Store) {
    let symbol = Symbol::parse("BRK.B").unwrap();
    let first = candles(0..100, "250.125");
    let written = store
        .write_candles(&symbol, Timeframe::DAY, &first)
        .await
        .unwrap();
    assert_eq!(written.inserted, 100);
    let again = store
        .write_candles(&symbol, Timeframe::DAY, &first)
        .await
        .unwrap();
    assert_eq!(
        again,
        CandleWrite {
            inserted: 0,
            updated: 0,
            unchanged: 100
        }
    );
    let mut changed = candles(98..102, "250.125");
    changed[0] = candles(98..99, "251")[0];
    let counts = store
        .write_candles(&symbol, Timeframe::DAY, &changed)
        .await
        .unwrap();
    assert_eq!(
        counts,
        CandleWrite {
            inserted: 2,
            updated: 1,
            unchanged: 1
        }
    );
    let all = store
        .load_candles(&symbol, Timeframe::DAY, TimeRange::ALL)
        .await
        .unwrap();
    assert_eq!(all.len(), 102);
    assert_eq!(all[98].close(), px("251"));
    assert!(all.windows(2).all(|pair| pair[0].ts() < pair[1].ts()));
    let window = store
        .load_candles(
            &symbol,
            Timeframe::DAY,
            TimeRange {
                start: Some(UnixNanos::new(10 * 86_400_000_000_000)),
                end: Some(UnixNanos::new(20 * 86_400_000_000_000)),
            },
        )
        .await
        .unwrap();
    assert_eq!(window, first[10..20].to_vec());
    let series = store.candle_series().await.unwrap();
    assert_eq!(series.len(), 1);
    assert_eq!(series[0].rows, 102);
    assert_eq!(series[0].timeframe, Timeframe::DAY);
}

async fn trading_states(store: &dyn Store) {
    assert_eq!(store.trading_state().await.unwrap(), None);
    let first = store
        .set_trading_state(TradingState::Active, "open", "operator:ana", at(50))
        .await
        .unwrap();
    let second = store
        .set_trading_state(TradingState::Halted, "daily loss", "risk", at(51))
        .await
        .unwrap();
    assert!(second.version > first.version);
    assert_eq!(store.trading_state().await.unwrap(), Some(second));
}

async fn every_scenario(store: &dyn Store) {
    migrations_and_tag(store).await;
    trading_states(store).await;
    runs_orders_and_fills(store).await;
    audit_chain(store).await;
    candle_rows(store).await;
}

#[test]
fn postgres_store_keeps_every_record() {
    let db = TestDb::new("store");
    block_on(async {
        let store = db.store().await;
        every_scenario(&store).await;
    });
}

#[test]
fn sqlite_store_keeps_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("airlock.db").display());
    block_on(async {
        let store = store::open(&url).await.unwrap();
        every_scenario(store.as_ref()).await;
    });
}

#[test]
fn postgres_refuses_changes_to_the_audit_log_and_verify_finds_a_forced_one() {
    use sqlx::Connection;
    let db = TestDb::new("audit");
    block_on(async {
        let store = db.store().await;
        store.migrate().await.unwrap();
        audit_chain(&store).await;
        let mut raw = sqlx::PgConnection::connect(&db.url).await.unwrap();
        let refused = sqlx::raw_sql("UPDATE audit_log SET detail = 'x' WHERE seq = 2")
            .execute(&mut raw)
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("append-only"), "{refused}");
        let refused = sqlx::raw_sql("DELETE FROM audit_log")
            .execute(&mut raw)
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("append-only"), "{refused}");
        let refused = sqlx::raw_sql("UPDATE environment_tag SET tag = 'live'")
            .execute(&mut raw)
            .await;
        // Untagged databases have no row to update; tag it first, then try.
        assert!(refused.is_ok());
        store
            .set_environment_tag(ModeTag::Paper, at(0))
            .await
            .unwrap();
        let refused = sqlx::raw_sql("UPDATE environment_tag SET tag = 'live'")
            .execute(&mut raw)
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("set once"), "{refused}");
        // An owner who disables the trigger can still change a row: the chain shows it.
        sqlx::raw_sql(
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
             UPDATE audit_log SET detail = '{\"n\":9}' WHERE seq = 2;",
        )
        .execute(&mut raw)
        .await
        .unwrap();
        let verdict = store.verify_audit().await.unwrap();
        let AuditVerdict::Broken { seq, reason } = verdict else {
            panic!("tampering not detected: {verdict:?}");
        };
        assert_eq!(seq, 2);
        assert!(reason.contains("was changed"), "{reason}");
    });
}

#[test]
fn sqlite_refuses_changes_to_the_audit_log_and_verify_finds_a_forced_one() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("audit.db").display());
    block_on(async {
        let store = store::open(&url).await.unwrap();
        store.migrate().await.unwrap();
        audit_chain(store.as_ref()).await;
        let mut raw = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let refused = sqlx::raw_sql("UPDATE audit_log SET detail = 'x' WHERE seq = 2")
            .execute(&mut raw)
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("append-only"), "{refused}");
        sqlx::raw_sql("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 2;")
            .execute(&mut raw)
            .await
            .unwrap();
        let verdict = store.verify_audit().await.unwrap();
        let AuditVerdict::Broken { seq, reason } = verdict else {
            panic!("deletion not detected: {verdict:?}");
        };
        assert_eq!(seq, 3);
        assert!(reason.contains("missing"), "{reason}");
    });
}
