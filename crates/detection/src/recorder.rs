//! Group commit of scans: concurrent scan requests hand their evaluated
//! scans to one writer task, which records everything waiting in one write
//! transaction and answers each request only after that transaction has
//! committed. Durability is unchanged (every answer follows a committed,
//! fsynced transaction); the cost of a commit is shared by the batch.
//!
//! Safeguards are unchanged or stronger: every scan gets its row and its
//! matches (review queue) and is named in an audit record of the same
//! transaction (one record per actor, basis and purpose in the batch, with
//! the same shape as [`crate::scan::record`]'s); and each basis's status
//! is re-read *inside* that transaction and checked again with
//! [`crate::basis::check_in_force`], so a basis suspended or ended by any
//! process (server or command line) after the request's check refuses the
//! scans still waiting, and nothing of them is recorded.

use std::collections::HashMap;
use std::sync::OnceLock;

use sqlx::Row;
use tokio::sync::{mpsc, oneshot};

use bulwark_core::Timestamp;
use bulwark_store::{Actor, Store, StoreError};

use crate::basis::{Basis, BasisCache, BasisId, check_in_force};
use crate::error::{DetectionError, Result, corrupt};
use crate::scan::{Evaluated, JobRows, ScanResult, audit_entry, insert};
use crate::vocab::BasisStatus;
use std::sync::Arc;

/// The scans of one request: evaluated under `basis` at `now` by `actor`.
#[derive(Debug, Clone)]
pub struct ScanJob {
    /// Who scans (recorded in the audit record).
    pub actor: Actor,
    /// The basis the scans were evaluated under.
    pub basis: Basis,
    /// The caller's stated purpose (audit).
    pub purpose: String,
    /// The evaluated scans (at least one).
    pub scans: Vec<Evaluated>,
    /// When they were scanned.
    pub now: Timestamp,
}

/// Records the scans of several requests (any bases, any actors) in one
/// write transaction. Each basis's status is re-read inside the
/// transaction and each job checked again ([`check_in_force`] at its
/// `now`): a job refused there gets its refusal and nothing of it is
/// written. The accepted jobs get one audit record per (actor, basis,
/// purpose), in job order. Returns one outcome per job, in order; `Err`
/// only if the transaction itself failed (then nothing was recorded).
///
/// `cache`, if given, learns each status read.
pub async fn record_batch(
    store: &Store,
    jobs: &[ScanJob],
    cache: Option<&BasisCache>,
) -> Result<Vec<Result<Vec<ScanResult>>>> {
    let mut tx = store.write().await?;
    let mut status: HashMap<BasisId, BasisStatus> = HashMap::new();
    for j in jobs {
        if status.contains_key(&j.basis.id) {
            continue;
        }
        let row = sqlx::query("SELECT status FROM det_bases WHERE id = $1")
            .bind(j.basis.id.to_string())
            .fetch_optional(tx.conn())
            .await?;
        let s = match row {
            Some(r) => {
                let s: String = r.try_get("status")?;
                s.parse().map_err(|e| corrupt("det_bases", e))?
            }
            // Bases are never deleted; a missing one cannot be scanned under.
            None => BasisStatus::Revoked,
        };
        status.insert(j.basis.id, s);
        if let Some(c) = cache {
            c.set_status(j.basis.id, s);
        }
    }
    // Each job's refusal, or `None` if its basis is still in force.
    let refusals: Vec<Option<DetectionError>> = jobs
        .iter()
        .map(|j| {
            let mut current = j.basis.clone();
            current.status = status[&j.basis.id];
            check_in_force(&current, None, j.now).err()
        })
        .collect();
    let accepted: Vec<JobRows<'_>> = jobs
        .iter()
        .zip(&refusals)
        .filter(|(_, refusal)| refusal.is_none())
        .map(|(j, _)| JobRows {
            basis: &j.basis,
            scans: &j.scans,
            now: j.now,
        })
        .collect();
    let mut inserted = insert(tx.conn(), &accepted).await?.into_iter();
    let mut outcomes: Vec<Result<Vec<ScanResult>>> = Vec::with_capacity(jobs.len());
    let mut groups: Vec<Group> = Vec::new();
    for ((i, j), refusal) in jobs.iter().enumerate().zip(refusals) {
        if let Some(e) = refusal {
            outcomes.push(Err(e));
            continue;
        }
        let (results, match_ids) = inserted.next().unwrap_or_default();
        outcomes.push(Ok(results));
        let same = |g: &&mut Group| {
            let f = &jobs[g.jobs[0]];
            f.actor.id == j.actor.id && f.basis.id == j.basis.id && f.purpose == j.purpose
        };
        match groups.iter_mut().find(same) {
            Some(g) => {
                g.jobs.push(i);
                g.match_ids.extend(match_ids);
            }
            None => groups.push(Group {
                jobs: vec![i],
                match_ids,
            }),
        }
    }
    if groups.is_empty() {
        // Every job was refused: nothing to write (the transaction rolls back).
        return Ok(outcomes);
    }
    let last = groups.len() - 1;
    let mut commit = None;
    for (n, g) in groups.into_iter().enumerate() {
        let j = &jobs[g.jobs[0]];
        let scans: Vec<Evaluated> = g
            .jobs
            .iter()
            .flat_map(|m| jobs[*m].scans.iter().cloned())
            .collect();
        let entry = audit_entry(&j.basis, &scans, g.match_ids, &j.purpose);
        if n == last {
            commit = Some((j.actor.clone(), entry));
        } else {
            tx.audit(&j.actor, entry).await?;
        }
    }
    let (actor, entry) = commit.expect("at least one group");
    tx.commit(&actor, entry).await?;
    Ok(outcomes)
}

/// The accepted jobs of one (actor, basis, purpose) in a batch: one audit record.
struct Group {
    /// Indices into the batch, in order.
    jobs: Vec<usize>,
    /// The matches their scans created.
    match_ids: Vec<String>,
}

type Reply = oneshot::Sender<Result<Vec<ScanResult>>>;

/// The group-commit writer: [`Recorder::record`] queues a job and waits
/// for the transaction that records it. The writer task starts on first
/// use (on the caller's Tokio runtime) and takes up to `max_scans` scans
/// per transaction from whatever is waiting; it never waits to fill a batch.
pub struct Recorder {
    store: Store,
    cache: Arc<BasisCache>,
    max_scans: usize,
    queue_jobs: usize,
    queue: OnceLock<mpsc::Sender<(ScanJob, Reply)>>,
}

/// Jobs (requests) that may wait for the writer by default; one more is
/// refused with [`DetectionError::Busy`] rather than queued without bound.
pub const QUEUE_JOBS: usize = 4096;

impl Recorder {
    /// A recorder writing to `store`, at most `max_scans` scans per
    /// transaction (a single larger job still goes alone), keeping
    /// `cache`'s statuses current.
    pub fn new(store: Store, cache: Arc<BasisCache>, max_scans: usize) -> Recorder {
        Self::with_queue(store, cache, max_scans, QUEUE_JOBS)
    }

    /// As [`Recorder::new`], with at most `queue_jobs` jobs waiting.
    pub fn with_queue(
        store: Store,
        cache: Arc<BasisCache>,
        max_scans: usize,
        queue_jobs: usize,
    ) -> Recorder {
        Recorder {
            store,
            cache,
            max_scans: max_scans.max(1),
            queue_jobs: queue_jobs.max(1),
            queue: OnceLock::new(),
        }
    }

    /// Records `job` (after re-checking its basis inside the transaction)
    /// and returns its results once the transaction has committed; refuses
    /// it with [`DetectionError::Busy`], recording nothing, when the queue
    /// is full.
    pub async fn record(&self, job: ScanJob) -> Result<Vec<ScanResult>> {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(self.queue_jobs);
            tokio::spawn(writer(
                self.store.clone(),
                self.cache.clone(),
                rx,
                self.max_scans,
            ));
            tx
        });
        let (reply, answer) = oneshot::channel();
        queue.try_send((job, reply)).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => DetectionError::Busy(format!(
                "{} requests are already waiting to be recorded; retry shortly",
                self.queue_jobs
            )),
            mpsc::error::TrySendError::Closed(_) => stopped("the scan writer has stopped"),
        })?;
        answer
            .await
            .map_err(|_| stopped("the scan writer dropped a batch"))?
    }
}

fn stopped(why: &'static str) -> DetectionError {
    DetectionError::Store(StoreError::Corrupt {
        what: "scan writer",
        detail: why.into(),
    })
}

async fn writer(
    store: Store,
    cache: Arc<BasisCache>,
    mut rx: mpsc::Receiver<(ScanJob, Reply)>,
    max_scans: usize,
) {
    while let Some(first) = rx.recv().await {
        let mut scans = first.0.scans.len();
        let mut batch = vec![first];
        while scans < max_scans {
            match rx.try_recv() {
                Ok(next) => {
                    scans += next.0.scans.len();
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        let (jobs, replies): (Vec<ScanJob>, Vec<Reply>) = batch.into_iter().unzip();
        match record_batch(&store, &jobs, Some(&cache)).await {
            Ok(outcomes) => {
                for (outcome, reply) in outcomes.into_iter().zip(replies) {
                    let _ = reply.send(outcome);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, jobs = jobs.len(), "recording a batch of scans failed");
                let text = e.to_string();
                for reply in replies {
                    let _ = reply.send(Err(DetectionError::Store(StoreError::Corrupt {
                        what: "scan batch",
                        detail: text.clone(),
                    })));
                }
            }
        }
    }
}
