//! Runs stored simulation runs in the background: one at a time, on a
//! blocking thread (the cascade engine is CPU-bound), with progress written
//! back through the pillar's storage functions. The European model is built
//! once, on the first run, and kept.
//!
//! No business rules here: validation, storage and the summary are in
//! `bulwark_resilience::simulations`; this module only schedules.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{OnceCell, Semaphore};

use bulwark_core::Timestamp;
use bulwark_resilience::simulations::{self, Engine, SimulationRun};
use bulwark_store::{Actor, Store};

/// How often the progress of a running run is looked at.
const POLL: Duration = Duration::from_millis(500);
/// Least time between two stored progress updates (each is an audited write).
const MIN_WRITE_GAP: Duration = Duration::from_secs(2);

/// The background runner shared by every handler.
pub struct Runner {
    data_root: PathBuf,
    engine: OnceCell<Arc<Engine>>,
    slots: Semaphore,
}

impl Runner {
    /// A runner reading the open data from `data_root` when first needed.
    pub fn new(data_root: PathBuf) -> Runner {
        Runner {
            data_root,
            engine: OnceCell::new(),
            slots: Semaphore::new(1),
        }
    }

    async fn engine(&self) -> Result<Arc<Engine>, String> {
        self.engine
            .get_or_try_init(|| async {
                let root = self.data_root.clone();
                match tokio::task::spawn_blocking(move || Engine::build(&root)).await {
                    Ok(Ok(engine)) => Ok(Arc::new(engine)),
                    Ok(Err(e)) => {
                        // The detail names files on the server: log it, do not answer it.
                        tracing::error!(error = %e, "could not build the European model");
                        Err("the European model could not be built from the open data; \
                             see the server log"
                            .to_string())
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "the model build stopped");
                        Err("the European model build stopped; see the server log".to_string())
                    }
                }
            })
            .await
            .cloned()
    }
}

/// Hands a freshly started run to the background: it waits for the engine
/// (one run at a time), runs, and stores its end. Returns at once.
pub fn launch(runner: Arc<Runner>, store: Store, actor: Actor, run: SimulationRun) {
    tokio::spawn(async move {
        let id = run.id;
        let outcome = execute(&runner, &store, &actor, &run).await;
        let stored = match &outcome {
            Ok(summary) => simulations::finish(&store, &actor, id, Ok(summary), Timestamp::now()),
            Err(reason) => {
                tracing::warn!(scenario = %run.scenario, "simulation run failed");
                simulations::finish(&store, &actor, id, Err(reason.as_str()), Timestamp::now())
            }
        }
        .await;
        if let Err(e) = stored {
            tracing::error!(error = %e, "could not store the end of a simulation run");
        }
    });
}

async fn execute(
    runner: &Runner,
    store: &Store,
    actor: &Actor,
    run: &SimulationRun,
) -> Result<simulations::SimulationSummary, String> {
    let _slot = runner
        .slots
        .acquire()
        .await
        .map_err(|_| "the runner is shutting down".to_string())?;
    let engine = runner.engine().await?;
    simulations::progress(store, actor, run.id, 0, Timestamp::now())
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "could not mark a simulation run as running");
            "internal error; see the server log".to_string()
        })?;
    let done = Arc::new(AtomicU64::new(0));
    let counter = done.clone();
    let (scenario, samples, seed) = (run.scenario.clone(), run.samples, run.seed);
    let mut work = tokio::task::spawn_blocking(move || {
        engine.run(&scenario, samples, seed, &|n| {
            counter.fetch_max(n, Ordering::Relaxed);
        })
    });
    let mut written = 0u64;
    let mut last_write = Instant::now();
    loop {
        tokio::select! {
            joined = &mut work => {
                return match joined {
                    Ok(Ok(summary)) => Ok(summary),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("the simulation stopped unexpectedly".to_string()),
                };
            }
            _ = tokio::time::sleep(POLL) => {
                let now_done = done.load(Ordering::Relaxed);
                if now_done > written && last_write.elapsed() >= MIN_WRITE_GAP {
                    match simulations::progress(store, actor, run.id, now_done, Timestamp::now()).await {
                        Ok(_) => {
                            written = now_done;
                            last_write = Instant::now();
                        }
                        Err(e) => tracing::warn!(error = %e, "could not record simulation progress"),
                    }
                }
            }
        }
    }
}
