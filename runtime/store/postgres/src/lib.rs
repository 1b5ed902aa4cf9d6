//! Airlock's PostgreSQL store: the database paper and live trading require.
//!
//! Owns: the migrations under `migrations/postgres` (embedded in the binary) and every SQL
//! statement Airlock runs against PostgreSQL. Each statement is a `sqlx::query!` macro, checked
//! at compile time against the schema; the checked metadata is committed under `.sqlx/`, so a
//! build needs no database.
//!
//! Must not: decide anything. Validation, idempotency rules and the audit hash chain come from
//! `airlock-store`; this crate only moves records in and out.
#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::str::FromStr;

use airlock_core::{
    Candle, ClientOrderId, ModeTag, Price, Quantity, Symbol, TimeRange, Timeframe, UnixNanos,
};
use airlock_store::audit::Verifier;
use airlock_store::columns::{self, nanos};
use airlock_store::{
    Applied, AuditEntry, AuditVerdict, Backend, CandleSeriesInfo, CandleWrite, ChainHash,
    FillRecord, MigrationStatus, NewAuditEntry, NewFill, NewPosition, NewPromotion, NewRiskEvent,
    NewRun, NewSignal, OrderIntent, OrderRecord, OrderState, RunId, RunRecord, RunState,
    SignalIntake, StateChange, Store, StoreError, TradingState, TradingStateRecord, chain_hash,
};
use async_trait::async_trait;
use futures_util::TryStreamExt;
use sqlx::migrate::{Migrate, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};

static MIGRATOR: Migrator = sqlx::migrate!("../../../migrations/postgres");

/// Rows per candle insert statement.
const CANDLE_BATCH: usize = 5_000;

fn db(doing: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |error| StoreError::Database {
        backend: "postgresql",
        doing,
        message: error.to_string(),
    }
}

/// A connection pool to one PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/database`).
    ///
    /// # Errors
    /// [`StoreError::Database`] when the URL is malformed or the server cannot be reached.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(db("reading the database URL"))?;
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect_with(options)
            .await
            .map_err(db("connecting"))?;
        Ok(Self { pool })
    }

    /// The pool (for the runtime's health checks).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn table_exists(&self, name: &str) -> Result<bool, StoreError> {
        let row = sqlx::query!(r#"SELECT to_regclass($1) IS NOT NULL AS "exists!""#, name)
            .fetch_one(&self.pool)
            .await
            .map_err(db("looking for a table"))?;
        Ok(row.exists)
    }

    async fn order_id(
        tx: &mut Transaction<'_, Postgres>,
        client_order_id: &ClientOrderId,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query!(
            "SELECT id FROM orders WHERE client_order_id = $1 FOR UPDATE",
            client_order_id.as_str()
        )
        .fetch_optional(&mut **tx)
        .await
        .map_err(db("finding an order"))?;
        row.map(|row| row.id).ok_or_else(|| StoreError::NotFound {
            what: "order",
            key: client_order_id.to_string(),
        })
    }
}

fn applied_list(versions: &[i64]) -> Vec<Applied> {
    versions
        .iter()
        .map(|version| Applied {
            version: *version,
            description: MIGRATOR
                .iter()
                .find(|migration| migration.version == *version)
                .map_or_else(
                    || "(unknown to this binary)".to_owned(),
                    |migration| migration.description.to_string(),
                ),
        })
        .collect()
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn migrate(&self) -> Result<Vec<Applied>, StoreError> {
        let before = self.status().await?;
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|error| StoreError::Migration(error.to_string()))?;
        Ok(before.pending)
    }

    async fn status(&self) -> Result<MigrationStatus, StoreError> {
        let mut applied_versions = Vec::new();
        if self.table_exists("_sqlx_migrations").await? {
            let mut conn = self.pool.acquire().await.map_err(db("connecting"))?;
            let applied = conn
                .list_applied_migrations(&MIGRATOR.table_name)
                .await
                .map_err(|error| StoreError::Migration(error.to_string()))?;
            for migration in &applied {
                if let Some(known) = MIGRATOR.iter().find(|m| m.version == migration.version)
                    && known.checksum != migration.checksum
                {
                    return Err(StoreError::Migration(format!(
                        "migration {} was changed after it was applied (checksums differ); migrations are forward-only: add a new one instead",
                        migration.version
                    )));
                }
                applied_versions.push(migration.version);
            }
        }
        applied_versions.sort_unstable();
        let pending: Vec<i64> = MIGRATOR
            .iter()
            .filter(|migration| !migration.migration_type.is_down_migration())
            .map(|migration| migration.version)
            .filter(|version| !applied_versions.contains(version))
            .collect();
        Ok(MigrationStatus {
            applied: applied_list(&applied_versions),
            pending: applied_list(&pending),
            environment_tag: self.environment_tag().await?,
        })
    }

    async fn environment_tag(&self) -> Result<Option<ModeTag>, StoreError> {
        if !self.table_exists("environment_tag").await? {
            return Ok(None);
        }
        let row = sqlx::query!("SELECT tag FROM environment_tag WHERE id = 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(db("reading the environment tag"))?;
        row.map(|row| columns::mode("environment_tag.tag", &row.tag))
            .transpose()
    }

    async fn set_environment_tag(&self, tag: ModeTag, at: UnixNanos) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO environment_tag (id, tag, set_at_ns) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING",
            tag.as_str(),
            nanos("environment_tag.set_at_ns", at)?
        )
        .execute(&self.pool)
        .await
        .map_err(db("setting the environment tag"))?;
        match self.environment_tag().await? {
            Some(found) if found == tag => Ok(()),
            Some(found) => Err(StoreError::EnvironmentTagMismatch { found, wanted: tag }),
            None => Err(StoreError::NotFound {
                what: "environment tag",
                key: "1".into(),
            }),
        }
    }

    async fn register_strategy_version(
        &self,
        name: &str,
        params: &[(String, String)],
        binary_version: &str,
        at: UnixNanos,
    ) -> Result<String, StoreError> {
        let hash = airlock_store::strategy_version(name, params, binary_version);
        let sorted: BTreeMap<&str, &str> = params
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect();
        let params_json = serde_json::to_string(&sorted).map_err(|error| StoreError::Invalid {
            field: "strategy_versions.params",
            reason: error.to_string(),
        })?;
        let at = nanos("strategies.created_ns", at)?;
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(db("starting a transaction"))?;
        let strategy = sqlx::query!(
            "INSERT INTO strategies (name, created_ns) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
            name,
            at
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(db("registering a strategy"))?;
        sqlx::query!(
            "INSERT INTO strategy_versions (hash, strategy_id, params, binary_version, created_ns)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (hash) DO NOTHING",
            hash,
            strategy.id,
            params_json,
            binary_version,
            at
        )
        .execute(&mut *tx)
        .await
        .map_err(db("registering a strategy version"))?;
        tx.commit().await.map_err(db("committing"))?;
        Ok(hash)
    }

    async fn start_run(&self, run: &NewRun) -> Result<RunId, StoreError> {
        let row = sqlx::query!(
            "INSERT INTO runs (mode, state, strategy_version, binary_version, started_ns)
             VALUES ($1, 'running', $2, $3, $4) RETURNING id",
            run.mode.as_str(),
            run.strategy_version,
            run.binary_version,
            nanos("runs.started_ns", run.started)?
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db("starting a run"))?;
        Ok(RunId(row.id))
    }

    async fn finish_run(
        &self,
        run: RunId,
        state: RunState,
        detail: Option<&str>,
        at: UnixNanos,
    ) -> Result<(), StoreError> {
        if state == RunState::Running {
            return Err(StoreError::Invalid {
                field: "runs.state",
                reason: "a run ends as completed, failed or interrupted, not running".into(),
            });
        }
        let done = sqlx::query!(
            "UPDATE runs SET state = $2, ended_ns = $3, detail = $4 WHERE id = $1 AND state = 'running'",
            run.0,
            state.as_str(),
            nanos("runs.ended_ns", at)?,
            detail
        )
        .execute(&self.pool)
        .await
        .map_err(db("ending a run"))?;
        if done.rows_affected() == 1 {
            return Ok(());
        }
        match self.run(run).await? {
            None => Err(StoreError::NotFound {
                what: "run",
                key: run.to_string(),
            }),
            Some(found) => Err(StoreError::Conflict {
                what: "run",
                key: run.to_string(),
                reason: format!("it is already {}", found.state.as_str()),
            }),
        }
    }

    async fn interrupt_running(&self, at: UnixNanos) -> Result<Vec<RunId>, StoreError> {
        let rows = sqlx::query!(
            "UPDATE runs SET state = 'interrupted', ended_ns = $1,
                 detail = 'the process stopped while the run was running'
             WHERE state = 'running' RETURNING id",
            nanos("runs.ended_ns", at)?
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db("interrupting runs"))?;
        let mut ids: Vec<RunId> = rows.into_iter().map(|row| RunId(row.id)).collect();
        ids.sort_unstable();
        Ok(ids)
    }

    async fn run(&self, run: RunId) -> Result<Option<RunRecord>, StoreError> {
        let row = sqlx::query!(
            "SELECT id, mode, state, strategy_version, binary_version, started_ns, ended_ns, detail
             FROM runs WHERE id = $1",
            run.0
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(db("reading a run"))?;
        row.map(|row| {
            Ok(RunRecord {
                id: RunId(row.id),
                mode: columns::mode("runs.mode", &row.mode)?,
                state: row.state.parse()?,
                strategy_version: row.strategy_version,
                binary_version: row.binary_version,
                started: columns::instant("runs.started_ns", row.started_ns)?,
                ended: row
                    .ended_ns
                    .map(|ended| columns::instant("runs.ended_ns", ended))
                    .transpose()?,
                detail: row.detail,
            })
        })
        .transpose()
    }

    async fn record_order_intent(&self, intent: &OrderIntent) -> Result<i64, StoreError> {
        let (kind, limit, stop) = columns::kind_columns(&intent.kind);
        let at = nanos("orders.created_ns", intent.at)?;
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(db("starting a transaction"))?;
        let inserted = sqlx::query!(
            "INSERT INTO orders (run_id, client_order_id, symbol, side, kind, time_in_force,
                 quantity_e9, limit_price_e9, stop_price_e9, state, created_ns, updated_ns)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending_submit', $10, $10)
             ON CONFLICT (client_order_id) DO NOTHING RETURNING id",
            intent.run.0,
            intent.client_order_id.as_str(),
            intent.symbol.as_str(),
            intent.side.as_str(),
            kind,
            columns::time_in_force_name(intent.time_in_force),
            intent.quantity.raw(),
            limit,
            stop,
            at
        )
        .fetch_optional(&mut *tx)
        .await
        .map_err(db("writing an order intent"))?;
        let id = if let Some(row) = inserted {
            sqlx::query!(
                "INSERT INTO order_states (order_id, seq, state, at_ns, reason)
                 VALUES ($1, 0, 'pending_submit', $2, NULL)",
                row.id,
                at
            )
            .execute(&mut *tx)
            .await
            .map_err(db("writing an order's first state"))?;
            row.id
        } else {
            let existing = sqlx::query!(
                "SELECT id, run_id, symbol, side, kind, time_in_force, quantity_e9, limit_price_e9,
                     stop_price_e9 FROM orders WHERE client_order_id = $1",
                intent.client_order_id.as_str()
            )
            .fetch_one(&mut *tx)
            .await
            .map_err(db("reading an order intent"))?;
            let same = existing.run_id == intent.run.0
                && existing.symbol == intent.symbol.as_str()
                && existing.side == intent.side.as_str()
                && existing.kind == kind
                && existing.time_in_force == columns::time_in_force_name(intent.time_in_force)
                && existing.quantity_e9 == intent.quantity.raw()
                && existing.limit_price_e9 == limit
                && existing.stop_price_e9 == stop;
            if !same {
                return Err(StoreError::Conflict {
                    what: "client order id",
                    key: intent.client_order_id.to_string(),
                    reason: "already used by a different order".into(),
                });
            }
            existing.id
        };
        tx.commit().await.map_err(db("committing"))?;
        Ok(id)
    }

    async fn record_order_state(
        &self,
        client_order_id: &ClientOrderId,
        change: &StateChange,
        broker_order_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let at = nanos("order_states.at_ns", change.at)?;
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(db("starting a transaction"))?;
        let order = Self::order_id(&mut tx, client_order_id).await?;
        sqlx::query!(
            "INSERT INTO order_states (order_id, seq, state, at_ns, reason)
             SELECT $1, coalesce(max(seq) + 1, 0), $2, $3, $4 FROM order_states WHERE order_id = $1",
            order,
            change.state.as_str(),
            at,
            change.reason
        )
        .execute(&mut *tx)
        .await
        .map_err(db("appending an order state"))?;
        sqlx::query!(
            "UPDATE orders SET state = $2, updated_ns = $3,
                 broker_order_id = coalesce($4, broker_order_id) WHERE id = $1",
            order,
            change.state.as_str(),
            at,
            broker_order_id
        )
        .execute(&mut *tx)
        .await
        .map_err(db("updating an order's state"))?;
        tx.commit().await.map_err(db("committing"))?;
        Ok(())
    }

    async fn record_fill(
        &self,
        client_order_id: &ClientOrderId,
        fill: &NewFill,
    ) -> Result<bool, StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(db("starting a transaction"))?;
        let order = Self::order_id(&mut tx, client_order_id).await?;
        let inserted = sqlx::query!(
            "INSERT INTO fills (order_id, broker_fill_id, quantity_e9, price_e9, fee_e9, at_ns)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (order_id, broker_fill_id) DO NOTHING RETURNING id",
            order,
            fill.broker_fill_id,
            fill.quantity.raw(),
            fill.price.raw(),
            columns::money("fills.fee_e9", fill.fee)?,
            nanos("fills.at_ns", fill.at)?
        )
        .fetch_optional(&mut *tx)
        .await
        .map_err(db("recording a fill"))?;
        if inserted.is_some() {
            sqlx::query!(
                "UPDATE orders SET filled_e9 = filled_e9 + $2 WHERE id = $1",
                order,
                fill.quantity.raw()
            )
            .execute(&mut *tx)
            .await
            .map_err(db("adding a fill to its order"))?;
        }
        tx.commit().await.map_err(db("committing"))?;
        Ok(inserted.is_some())
    }

    async fn order(
        &self,
        client_order_id: &ClientOrderId,
    ) -> Result<Option<OrderRecord>, StoreError> {
        let row = sqlx::query!(
            "SELECT id, run_id, client_order_id, broker_order_id, symbol, side, kind, time_in_force,
                 quantity_e9, limit_price_e9, stop_price_e9, state, filled_e9
             FROM orders WHERE client_order_id = $1",
            client_order_id.as_str()
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(db("reading an order"))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let history = sqlx::query!(
            "SELECT state, at_ns, reason FROM order_states WHERE order_id = $1 ORDER BY seq",
            row.id
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db("reading an order's history"))?
        .into_iter()
        .map(|change| {
            Ok(StateChange {
                state: OrderState::parse(&change.state)?,
                at: columns::instant("order_states.at_ns", change.at_ns)?,
                reason: change.reason,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some(OrderRecord {
            id: row.id,
            run: RunId(row.run_id),
            client_order_id: columns::client_order_id(&row.client_order_id)?,
            broker_order_id: row.broker_order_id,
            symbol: columns::symbol("orders.symbol", &row.symbol)?,
            side: columns::side(&row.side)?,
            kind: columns::kind(&row.kind, row.limit_price_e9, row.stop_price_e9)?,
            time_in_force: columns::time_in_force(&row.time_in_force)?,
            quantity: Quantity::from_raw(row.quantity_e9),
            filled: Quantity::from_raw(row.filled_e9),
            state: OrderState::parse(&row.state)?,
            history,
        }))
    }

    async fn fills(&self, client_order_id: &ClientOrderId) -> Result<Vec<FillRecord>, StoreError> {
        sqlx::query!(
            "SELECT f.broker_fill_id, f.quantity_e9, f.price_e9, f.fee_e9, f.at_ns
             FROM fills f JOIN orders o ON o.id = f.order_id
             WHERE o.client_order_id = $1 ORDER BY f.id",
            client_order_id.as_str()
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db("reading fills"))?
        .into_iter()
        .map(|row| {
            Ok(FillRecord {
                broker_fill_id: row.broker_fill_id,
                quantity: Quantity::from_raw(row.quantity_e9),
                price: Price::from_raw(row.price_e9),
                fee: airlock_core::Money::from_raw(i128::from(row.fee_e9)),
                at: columns::instant("fills.at_ns", row.at_ns)?,
            })
        })
        .collect()
    }

    async fn open_orders(&self, run: RunId) -> Result<Vec<OrderRecord>, StoreError> {
        let ids = sqlx::query!(
            "SELECT client_order_id FROM orders
             WHERE run_id = $1 AND state NOT IN ('filled', 'cancelled', 'rejected', 'expired')
             ORDER BY id",
            run.0
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db("listing open orders"))?;
        let mut orders = Vec::with_capacity(ids.len());
        for row in ids {
            let id = columns::client_order_id(&row.client_order_id)?;
            if let Some(order) = self.order(&id).await? {
                orders.push(order);
            }
        }
        Ok(orders)
    }

    async fn record_position(&self, position: &NewPosition) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO position_snapshots (run_id, symbol, quantity_e9, average_price_e9, source, at_ns)
             VALUES ($1, $2, $3, $4, $5, $6)",
            position.run.0,
            position.symbol.as_str(),
            position.quantity.raw(),
            position.average_price.raw(),
            if position.from_broker { "broker" } else { "ours" },
            nanos("position_snapshots.at_ns", position.at)?
        )
        .execute(&self.pool)
        .await
        .map_err(db("recording a position"))?;
        Ok(())
    }

    async fn record_risk_event(&self, event: &NewRiskEvent) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO risk_events (run_id, kind, rule, detail, at_ns) VALUES ($1, $2, $3, $4, $5)",
            event.run.map(|run| run.0),
            event.kind.as_str(),
            event.rule,
            event.detail,
            nanos("risk_events.at_ns", event.at)?
        )
        .execute(&self.pool)
        .await
        .map_err(db("recording a risk event"))?;
        Ok(())
    }

    async fn record_signal(&self, signal: &NewSignal) -> Result<SignalIntake, StoreError> {
        let inserted = sqlx::query!(
            "INSERT INTO signals (source, idempotency_key, payload, status, received_ns)
             VALUES ($1, $2, $3, 'received', $4)
             ON CONFLICT (source, idempotency_key) DO NOTHING RETURNING id",
            signal.source,
            signal.idempotency_key,
            signal.payload,
            nanos("signals.received_ns", signal.at)?
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(db("recording a signal"))?;
        if let Some(row) = inserted {
            return Ok(SignalIntake::New(row.id));
        }
        let existing = sqlx::query!(
            "SELECT id FROM signals WHERE source = $1 AND idempotency_key = $2",
            signal.source,
            signal.idempotency_key
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db("reading a signal"))?;
        Ok(SignalIntake::Duplicate(existing.id))
    }

    async fn record_promotion(&self, promotion: &NewPromotion) -> Result<i64, StoreError> {
        let row = sqlx::query!(
            "INSERT INTO promotions (strategy_version, from_mode, to_mode, approved_by, evidence, at_ns)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            promotion.strategy_version,
            promotion.from.as_str(),
            promotion.to.as_str(),
            promotion.approved_by,
            promotion.evidence,
            nanos("promotions.at_ns", promotion.at)?
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db("recording a promotion"))?;
        Ok(row.id)
    }

    async fn append_audit(&self, entry: &NewAuditEntry) -> Result<AuditEntry, StoreError> {
        let at = nanos("audit_log.at_ns", entry.at)?;
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(db("starting a transaction"))?;
        // One appender at a time: the chain has exactly one head.
        sqlx::query!("LOCK TABLE audit_log IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .map_err(db("locking the audit log"))?;
        let head = sqlx::query!("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await
            .map_err(db("reading the audit log's head"))?;
        let (seq, prev) = match head {
            None => (1_u64, ChainHash::GENESIS),
            Some(row) => (
                columns::count("audit_log.seq", row.seq)?.saturating_add(1),
                ChainHash::from_slice(&row.hash).ok_or_else(|| StoreError::Corrupt {
                    field: "audit_log.hash",
                    reason: "not 32 bytes".into(),
                })?,
            ),
        };
        let hash = chain_hash(&prev, seq, entry);
        let stored_seq = i64::try_from(seq).map_err(|_| StoreError::Invalid {
            field: "audit_log.seq",
            reason: "the log is full".into(),
        })?;
        sqlx::query!(
            "INSERT INTO audit_log (seq, at_ns, actor, action, subject, detail, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            stored_seq,
            at,
            entry.actor,
            entry.action,
            entry.subject,
            entry.detail,
            &prev.0[..],
            &hash.0[..]
        )
        .execute(&mut *tx)
        .await
        .map_err(db("appending to the audit log"))?;
        tx.commit().await.map_err(db("committing"))?;
        Ok(AuditEntry {
            seq,
            at: entry.at,
            actor: entry.actor.clone(),
            action: entry.action.clone(),
            subject: entry.subject.clone(),
            detail: entry.detail.clone(),
            prev_hash: prev,
            hash,
        })
    }

    async fn verify_audit(&self) -> Result<AuditVerdict, StoreError> {
        let mut rows = sqlx::query!(
            "SELECT seq, at_ns, actor, action, subject, detail, prev_hash, hash
             FROM audit_log ORDER BY seq"
        )
        .fetch(&self.pool);
        let mut verifier = Verifier::default();
        while let Some(row) = rows.try_next().await.map_err(db("reading the audit log"))? {
            let entry = columns::audit_entry(columns::AuditRow {
                seq: row.seq,
                at_ns: row.at_ns,
                actor: row.actor,
                action: row.action,
                subject: row.subject,
                detail: row.detail,
                prev_hash: row.prev_hash,
                hash: row.hash,
            })?;
            if !verifier.check(&entry) {
                break;
            }
        }
        Ok(verifier.verdict())
    }

    async fn write_candles(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        candles: &[Candle],
    ) -> Result<CandleWrite, StoreError> {
        let frame = timeframe.to_string();
        let mut counts = CandleWrite::default();
        for batch in candles.chunks(CANDLE_BATCH) {
            let mut ts = Vec::with_capacity(batch.len());
            for candle in batch {
                ts.push(nanos("candles.ts_ns", candle.ts())?);
            }
            let column = |get: fn(&Candle) -> i64| batch.iter().map(get).collect::<Vec<i64>>();
            let row = sqlx::query!(
                r#"WITH written AS (
                     INSERT INTO candles (symbol, timeframe, ts_ns, open_e9, high_e9, low_e9, close_e9, volume_e9)
                     SELECT $1, $2, t.ts_ns, t.open_e9, t.high_e9, t.low_e9, t.close_e9, t.volume_e9
                     FROM UNNEST($3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[])
                         AS t(ts_ns, open_e9, high_e9, low_e9, close_e9, volume_e9)
                     ON CONFLICT (symbol, timeframe, ts_ns) DO UPDATE SET
                         open_e9 = EXCLUDED.open_e9, high_e9 = EXCLUDED.high_e9, low_e9 = EXCLUDED.low_e9,
                         close_e9 = EXCLUDED.close_e9, volume_e9 = EXCLUDED.volume_e9
                     WHERE (candles.open_e9, candles.high_e9, candles.low_e9, candles.close_e9, candles.volume_e9)
                         IS DISTINCT FROM
                         (EXCLUDED.open_e9, EXCLUDED.high_e9, EXCLUDED.low_e9, EXCLUDED.close_e9, EXCLUDED.volume_e9)
                     RETURNING (xmax = 0) AS inserted
                   )
                   SELECT count(*) FILTER (WHERE inserted) AS "inserted!",
                          count(*) FILTER (WHERE NOT inserted) AS "updated!"
                   FROM written"#,
                symbol.as_str(),
                frame,
                &ts,
                &column(|c| c.open().raw()),
                &column(|c| c.high().raw()),
                &column(|c| c.low().raw()),
                &column(|c| c.close().raw()),
                &column(|c| c.volume().raw())
            )
            .fetch_one(&self.pool)
            .await
            .map_err(db("writing candles"))?;
            let inserted = columns::count("inserted", row.inserted)?;
            let updated = columns::count("updated", row.updated)?;
            counts.inserted += inserted;
            counts.updated += updated;
            counts.unchanged += (batch.len() as u64).saturating_sub(inserted + updated);
        }
        Ok(counts)
    }

    async fn load_candles(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        range: TimeRange,
    ) -> Result<Vec<Candle>, StoreError> {
        let start = range
            .start
            .map(|start| nanos("candles.ts_ns", start))
            .transpose()?
            .unwrap_or(0);
        let end = range
            .end
            .map(|end| nanos("candles.ts_ns", end))
            .transpose()?
            .unwrap_or(i64::MAX);
        let frame = timeframe.to_string();
        let mut rows = sqlx::query!(
            "SELECT ts_ns, open_e9, high_e9, low_e9, close_e9, volume_e9 FROM candles
             WHERE symbol = $1 AND timeframe = $2 AND ts_ns >= $3 AND ts_ns < $4 ORDER BY ts_ns",
            symbol.as_str(),
            frame,
            start,
            end
        )
        .fetch(&self.pool);
        let mut candles = Vec::new();
        while let Some(row) = rows.try_next().await.map_err(db("reading candles"))? {
            candles.push(columns::candle(
                symbol,
                &frame,
                row.ts_ns,
                [
                    row.open_e9,
                    row.high_e9,
                    row.low_e9,
                    row.close_e9,
                    row.volume_e9,
                ],
            )?);
        }
        Ok(candles)
    }

    async fn candle_series(&self) -> Result<Vec<CandleSeriesInfo>, StoreError> {
        if !self.table_exists("candles").await? {
            return Ok(Vec::new());
        }
        sqlx::query!(
            r#"SELECT symbol, timeframe, min(ts_ns) AS "first!", max(ts_ns) AS "last!", count(*) AS "rows!"
               FROM candles GROUP BY symbol, timeframe ORDER BY symbol, timeframe"#
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db("listing candle series"))?
        .into_iter()
        .map(|row| {
            Ok(CandleSeriesInfo {
                symbol: columns::symbol("candles.symbol", &row.symbol)?,
                timeframe: columns::timeframe("candles.timeframe", &row.timeframe)?,
                first: columns::instant("candles.ts_ns", row.first)?,
                last: columns::instant("candles.ts_ns", row.last)?,
                rows: columns::count("candles", row.rows)?,
            })
        })
        .collect()
    }

    async fn set_trading_state(
        &self,
        state: TradingState,
        reason: &str,
        actor: &str,
        at: UnixNanos,
    ) -> Result<TradingStateRecord, StoreError> {
        let row = sqlx::query!(
            "INSERT INTO trading_state_changes (state, reason, actor, at_ns) VALUES ($1, $2, $3, $4)
             RETURNING version AS \"version!\"",
            state.as_str(),
            reason,
            actor,
            nanos("trading_state_changes.at_ns", at)?
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db("recording the trading state"))?;
        Ok(TradingStateRecord {
            version: row.version,
            state,
            reason: reason.to_owned(),
            actor: actor.to_owned(),
            at,
        })
    }

    async fn trading_state(&self) -> Result<Option<TradingStateRecord>, StoreError> {
        let row = sqlx::query!(
            "SELECT version, state, reason, actor, at_ns FROM trading_state_changes
             ORDER BY version DESC LIMIT 1"
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(db("reading the trading state"))?;
        row.map(|row| {
            Ok(TradingStateRecord {
                version: row.version,
                state: airlock_store::parse_trading_state(&row.state)?,
                reason: row.reason,
                actor: row.actor,
                at: columns::instant("trading_state_changes.at_ns", row.at_ns)?,
            })
        })
        .transpose()
    }
}

/// Creating and dropping whole databases, for tests and first-time set-up: each integration
/// test works in a database of its own and drops it afterwards.
pub mod admin {
    use super::{StoreError, db};
    use sqlx::Connection;

    fn checked(name: &str) -> Result<&str, StoreError> {
        let valid = !name.is_empty()
            && name.len() <= 63
            && name
                .bytes()
                .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_');
        if valid {
            Ok(name)
        } else {
            Err(StoreError::Invalid {
                field: "database name",
                reason: format!("{name:?} must be 1 to 63 of a-z, 0-9 and _"),
            })
        }
    }

    /// Creates database `name` through the server at `admin_url`.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a name outside `[a-z0-9_]{1,63}`, or the server's error.
    pub async fn create_database(admin_url: &str, name: &str) -> Result<(), StoreError> {
        let name = checked(name)?;
        let mut conn = sqlx::PgConnection::connect(admin_url)
            .await
            .map_err(db("connecting"))?;
        // An identifier cannot be a bind parameter; `checked` allows only [a-z0-9_].
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await
            .map_err(db("creating a database"))?;
        Ok(())
    }

    /// Drops database `name` (closing its other sessions first).
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a name outside `[a-z0-9_]{1,63}`, or the server's error.
    pub async fn drop_database(admin_url: &str, name: &str) -> Result<(), StoreError> {
        let name = checked(name)?;
        let mut conn = sqlx::PgConnection::connect(admin_url)
            .await
            .map_err(db("connecting"))?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await
        .map_err(db("dropping a database"))?;
        Ok(())
    }
}
