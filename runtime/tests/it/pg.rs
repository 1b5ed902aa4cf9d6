//! A PostgreSQL database of its own for each test, dropped afterwards.
//!
//! The server is the one on 127.0.0.1:5432 (override the admin URL with
//! `AIRLOCK_TEST_PG_ADMIN`). `./scripts/test` starts or finds it; a test that cannot reach it
//! fails, it is never skipped.

use std::sync::atomic::{AtomicU32, Ordering};

use airlock::store::PgStore;

static NEXT: AtomicU32 = AtomicU32::new(0);

fn admin_url() -> String {
    #[expect(
        clippy::disallowed_methods,
        reason = "tests read their own settings from the environment"
    )]
    std::env::var("AIRLOCK_TEST_PG_ADMIN")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

pub(crate) fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// A fresh, empty database; dropped when this value is.
pub(crate) struct TestDb {
    name: String,
    /// Its URL.
    pub(crate) url: String,
}

impl TestDb {
    pub(crate) fn new(label: &str) -> Self {
        let name = format!(
            "airlock_it_{label}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let admin = admin_url();
        block_on(airlock_store_postgres::admin::create_database(&admin, &name)).unwrap_or_else(
            |error| {
                panic!(
                    "PostgreSQL must be reachable at {admin} for this test (./scripts/test starts it): {error}"
                )
            },
        );
        let base = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(base, _)| base);
        Self {
            url: format!("{base}/{name}"),
            name,
        }
    }

    pub(crate) async fn store(&self) -> PgStore {
        PgStore::connect(&self.url).await.unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let result = block_on(airlock_store_postgres::admin::drop_database(
            &admin_url(),
            &self.name,
        ));
        if let Err(error) = result {
            eprintln!("could not drop test database {}: {error}", self.name);
        }
    }
}
