//! The live matcher: every active indicator's PDQ hash in an exact Hamming
//! index (`bulwark-hamming`), its MD5 and SHA-256 in hash maps, and the
//! providers' negative lists, all in memory.
//!
//! Loaded once from the store ([`Matcher::load`]) and then kept current by
//! following the change feed of [`crate::sync`] ([`Matcher::catch_up`],
//! after each write of this process and on a timer for the writes of
//! others): a new list version is a diff applied to the live index, never a
//! rebuild. A writer that holds the matcher (review, the flood guard, the
//! server's routes) catches up right after its commit, so its own change
//! takes effect before it answers. Only active
//! indicators are in the index, so a disabled, quarantined or removed
//! indicator can never match.

use std::collections::{HashMap, HashSet};
use std::sync::RwLock;
use std::sync::atomic::{AtomicI64, Ordering};

use sqlx::Row;

use bulwark_hamming::{Config, HammingIndex};
use bulwark_store::Store;

use crate::error::{DetectionError, Result, corrupt};
use crate::sync;
use crate::vocab::{Category, IssuerRole};

/// Converts a PDQ hash to the index's hash type (both spell the same 32
/// bytes in hex order).
pub fn to_index_hash(h: &bulwark_pdq::Hash256) -> bulwark_hamming::Hash256 {
    bulwark_hamming::Hash256::from_bytes(h.to_bytes())
}

/// What the matcher knows of an indicator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndicatorMeta {
    /// The list.
    pub list_id: String,
    /// The issuer's id.
    pub indicator_id: String,
    /// Category.
    pub category: Category,
}

/// A provider's known false positive: scanned hashes within `radius` of
/// `pdq` never produce a match for that provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegativeEntry {
    /// The false positive's hash.
    pub pdq: bulwark_hamming::Hash256,
    /// How close a scanned hash must be to count as the same content.
    pub radius: u32,
}

/// One candidate from the index, before the basis's filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Index id of the indicator.
    pub seq: i64,
    /// Its metadata.
    pub meta: IndicatorMeta,
    /// The smallest distance over the variants queried.
    pub distance: u32,
    /// Which dihedral variant gave it (`orig`, `rot90`, ..., or `md5`/`sha256`).
    pub variant: &'static str,
}

/// What the index keeps per indicator: the list as an index into
/// `Inner::lists` (a list's id is stored once, not once per indicator).
struct Meta {
    list: u32,
    indicator_id: Box<str>,
    category: Category,
}

struct Inner {
    index: HammingIndex,
    lists: Vec<String>,
    meta: HashMap<i64, Meta>,
    md5: HashMap<[u8; 16], Vec<i64>>,
    sha256: HashMap<[u8; 32], Vec<i64>>,
    /// The exact hashes of each indicator that has any, so that taking one
    /// out touches only its own entries (not every exact-hash bucket).
    exact_of: HashMap<i64, ExactHashes>,
    versions: HashMap<String, u64>,
    /// The lists signed by a key trusted as the EU Centre's.
    eu_centre_lists: HashSet<String>,
    negative: HashMap<String, Vec<NegativeEntry>>,
    /// Per provider, the indicators it disabled or quarantined for its own
    /// scans (`det_indicator_local`): the shared index keeps them for the
    /// other providers.
    local_off: HashMap<String, HashSet<i64>>,
}

/// An indicator's MD5 and SHA-256, where it carries them.
#[derive(Clone, Copy, Default)]
struct ExactHashes {
    md5: Option<[u8; 16]>,
    sha256: Option<[u8; 32]>,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            index: HammingIndex::new(Config::default()),
            lists: Vec::new(),
            meta: HashMap::new(),
            md5: HashMap::new(),
            sha256: HashMap::new(),
            exact_of: HashMap::new(),
            versions: HashMap::new(),
            eu_centre_lists: HashSet::new(),
            negative: HashMap::new(),
            local_off: HashMap::new(),
        }
    }
}

/// The in-memory matcher. Cheap to query from many threads at once.
#[derive(Default)]
pub struct Matcher {
    inner: RwLock<Inner>,
    /// The newest change applied (see [`crate::sync`]).
    applied: AtomicI64,
    /// Serialises [`Matcher::catch_up`].
    catching_up: tokio::sync::Mutex<()>,
}

/// Indicator rows applied under one write lock while catching up.
const APPLY_BATCH: usize = 4096;

/// The columns [`IndicatorRow::read`] reads.
const INDICATOR_COLUMNS: &str = "seq, list_id, indicator_id, pdq, md5, sha256, category, status";

/// One indicator as the matcher needs it.
struct IndicatorRow {
    seq: i64,
    list_id: String,
    indicator_id: String,
    category: Category,
    pdq: Option<bulwark_hamming::Hash256>,
    exact: ExactHashes,
    active: bool,
}

impl IndicatorRow {
    fn read(r: &sqlx::any::AnyRow) -> Result<IndicatorRow> {
        let w = "det_indicators";
        let category: String = r.try_get("category")?;
        let pdq: Option<String> = r.try_get("pdq")?;
        let md5: Option<String> = r.try_get("md5")?;
        let sha: Option<String> = r.try_get("sha256")?;
        let status: String = r.try_get("status")?;
        Ok(IndicatorRow {
            seq: r.try_get("seq")?,
            list_id: r.try_get("list_id")?,
            indicator_id: r.try_get("indicator_id")?,
            category: category.parse().map_err(|e| corrupt(w, e))?,
            pdq: match pdq {
                Some(p) => Some(bulwark_hamming::Hash256::from_hex(&p).map_err(|e| corrupt(w, e))?),
                None => None,
            },
            exact: ExactHashes {
                md5: md5.as_deref().and_then(parse_hex::<16>),
                sha256: sha.as_deref().and_then(parse_hex::<32>),
            },
            active: status == "active",
        })
    }
}

/// Seq ranges read at once by [`Matcher::load`].
const LOAD_PARTS: i64 = 4;
/// Batches of decoded rows that may wait for [`Matcher::load`] to file them.
const LOAD_QUEUE: usize = 8;

/// Sends the active indicators with `from <= seq < to` in batches of [`APPLY_BATCH`].
async fn read_active_range(
    store: &Store,
    from: i64,
    to: i64,
    send: &tokio::sync::mpsc::Sender<Result<Vec<IndicatorRow>>>,
) -> Result<()> {
    use futures_util::TryStreamExt;
    let sql = format!(
        "SELECT {INDICATOR_COLUMNS} FROM det_indicators WHERE status = 'active' AND seq >= $1 AND seq < $2"
    );
    let mut rows = sqlx::query(&sql).bind(from).bind(to).fetch(store.pool());
    let mut batch = Vec::with_capacity(APPLY_BATCH);
    while let Some(r) = rows.try_next().await? {
        batch.push(IndicatorRow::read(&r)?);
        if batch.len() == APPLY_BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(APPLY_BATCH));
            if send.send(Ok(full)).await.is_err() {
                return Ok(());
            }
        }
    }
    if !batch.is_empty() {
        let _ = send.send(Ok(batch)).await;
    }
    Ok(())
}

/// Every list's applied version, and the lists whose signing key is trusted
/// as the EU Centre's.
async fn list_states(store: &Store) -> Result<(HashMap<String, u64>, HashSet<String>)> {
    let mut versions = HashMap::new();
    let mut eu_centre = HashSet::new();
    for r in sqlx::query(
        "SELECT l.list_id, l.version, k.role FROM det_lists l \
         LEFT JOIN det_trusted_keys k ON k.key_id = l.key_id",
    )
    .fetch_all(store.pool())
    .await?
    {
        let list_id: String = r.try_get("list_id")?;
        let v: i64 = r.try_get("version")?;
        let role: Option<String> = r.try_get("role")?;
        if role.as_deref() == Some(IssuerRole::EuCentre.as_str()) {
            eu_centre.insert(list_id.clone());
        }
        versions.insert(list_id, v as u64);
    }
    Ok((versions, eu_centre))
}

/// Negative-list entries by provider: all, or those of changes
/// `from < change_id <= to`.
async fn negative_entries(
    store: &Store,
    changes: Option<(i64, i64)>,
) -> Result<Vec<(String, NegativeEntry)>> {
    let (from, to) = changes.unwrap_or((i64::MIN, i64::MAX));
    let mut out = Vec::new();
    for r in sqlx::query(
        "SELECT provider, pdq, radius FROM det_negative WHERE change_id > $1 AND change_id <= $2",
    )
    .bind(from)
    .bind(to)
    .fetch_all(store.pool())
    .await?
    {
        let p: String = r.try_get("pdq")?;
        let radius: i64 = r.try_get("radius")?;
        let pdq = bulwark_hamming::Hash256::from_hex(&p).map_err(|e| corrupt("det_negative", e))?;
        out.push((
            r.try_get("provider")?,
            NegativeEntry {
                pdq,
                radius: radius.clamp(0, 256) as u32,
            },
        ));
    }
    Ok(out)
}

/// Providers' own indicator statuses (provider, seq, active?): all those
/// not active, or every one of changes `from < change_id <= to`.
async fn local_statuses(
    store: &Store,
    changes: Option<(i64, i64)>,
) -> Result<Vec<(String, i64, bool)>> {
    let sql = match changes {
        None => {
            "SELECT provider, seq, status FROM det_indicator_local WHERE status <> 'active' \
                 AND change_id > $1 AND change_id <= $2"
        }
        Some(_) => {
            "SELECT provider, seq, status FROM det_indicator_local \
                    WHERE change_id > $1 AND change_id <= $2"
        }
    };
    let (from, to) = changes.unwrap_or((i64::MIN, i64::MAX));
    sqlx::query(sql)
        .bind(from)
        .bind(to)
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|r| {
            let status: String = r.try_get("status")?;
            Ok((
                r.try_get("provider")?,
                r.try_get("seq")?,
                status == "active",
            ))
        })
        .collect()
}

fn parse_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    hex::decode(s).ok()?.try_into().ok()
}

impl Inner {
    fn list_index(&mut self, list_id: &str) -> u32 {
        match self.lists.iter().position(|l| l == list_id) {
            Some(i) => i as u32,
            None => {
                self.lists.push(list_id.to_string());
                (self.lists.len() - 1) as u32
            }
        }
    }

    fn compact_row(&mut self, row: &IndicatorRow) -> Meta {
        Meta {
            list: self.list_index(&row.list_id),
            indicator_id: row.indicator_id.clone().into_boxed_str(),
            category: row.category,
        }
    }

    /// Applies one provider's own status for an indicator.
    fn set_local(&mut self, provider: String, seq: i64, active: bool) {
        if active {
            if let Some(off) = self.local_off.get_mut(&provider) {
                off.remove(&seq);
            }
        } else {
            self.local_off.entry(provider).or_default().insert(seq);
        }
    }

    fn add_negative(&mut self, provider: String, entry: NegativeEntry) {
        let entries = self.negative.entry(provider).or_default();
        if !entries.contains(&entry) {
            entries.push(entry);
        }
    }

    /// Files `seq` under its exact hashes (once).
    fn add_exact(&mut self, seq: i64, exact: ExactHashes) {
        self.remove_exact(seq);
        if exact.md5.is_none() && exact.sha256.is_none() {
            return;
        }
        if let Some(m) = exact.md5 {
            self.md5.entry(m).or_default().push(seq);
        }
        if let Some(s) = exact.sha256 {
            self.sha256.entry(s).or_default().push(seq);
        }
        self.exact_of.insert(seq, exact);
    }

    /// Takes `seq` out of the exact-hash maps.
    fn remove_exact(&mut self, seq: i64) {
        let Some(exact) = self.exact_of.remove(&seq) else {
            return;
        };
        if let Some(m) = exact.md5
            && let Some(v) = self.md5.get_mut(&m)
        {
            v.retain(|s| *s != seq);
            if v.is_empty() {
                self.md5.remove(&m);
            }
        }
        if let Some(s) = exact.sha256
            && let Some(v) = self.sha256.get_mut(&s)
        {
            v.retain(|x| *x != seq);
            if v.is_empty() {
                self.sha256.remove(&s);
            }
        }
    }

    fn meta(&self, seq: i64) -> Option<IndicatorMeta> {
        self.meta.get(&seq).map(|m| IndicatorMeta {
            list_id: self.lists[m.list as usize].clone(),
            indicator_id: m.indicator_id.to_string(),
            category: m.category,
        })
    }
}

impl Matcher {
    /// An empty matcher.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads every active indicator, list version and negative entry. The
    /// indicators are streamed from the store (never all rows in memory at
    /// once). Changes committed while it loads are picked up by the next
    /// [`Matcher::catch_up`].
    pub async fn load(store: &Store) -> Result<Matcher> {
        let applied = sync::current_change_id(store).await?;
        let r = sqlx::query(
            "SELECT COUNT(*) AS n, COALESCE(MIN(seq), 0) AS lo, COALESCE(MAX(seq), 0) AS hi \
             FROM det_indicators WHERE status = 'active'",
        )
        .fetch_one(store.pool())
        .await?;
        let (count, lo, hi): (i64, i64, i64) =
            (r.try_get("n")?, r.try_get("lo")?, r.try_get("hi")?);
        // Reading and decoding rows is most of the start-up: LOAD_PARTS ranges of seq are read
        // at once, each on its own connection, and their rows handed over in batches (a
        // bounded channel keeps memory flat) to be filed here, in whatever order they come.
        let step = (hi - lo) / LOAD_PARTS + 1;
        let (send, mut receive) =
            tokio::sync::mpsc::channel::<Result<Vec<IndicatorRow>>>(LOAD_QUEUE);
        let mut readers = tokio::task::JoinSet::new();
        for k in 0..LOAD_PARTS {
            let (store, send) = (store.clone(), send.clone());
            let from = lo.saturating_add(k.saturating_mul(step));
            readers.spawn(async move {
                if let Err(e) =
                    read_active_range(&store, from, from.saturating_add(step), &send).await
                {
                    let _ = send.send(Err(e)).await;
                }
            });
        }
        drop(send);
        let mut pairs = Vec::with_capacity(count.max(0) as usize);
        let mut inner = Inner::default();
        inner.meta.reserve(count.max(0) as usize);
        while let Some(batch) = receive.recv().await {
            for row in batch? {
                let meta = inner.compact_row(&row);
                inner.meta.insert(row.seq, meta);
                if let Some(h) = row.pdq {
                    pairs.push((row.seq as u64, h));
                }
                inner.add_exact(row.seq, row.exact);
            }
        }
        while let Some(done) = readers.join_next().await {
            // A reader reports its errors through the channel; a join error is a crashed task.
            done.map_err(|_| DetectionError::from(sqlx::Error::WorkerCrashed))?;
        }
        inner.index = HammingIndex::build(pairs, Config::default())
            .map_err(|e| corrupt("det_indicators", e))?;
        (inner.versions, inner.eu_centre_lists) = list_states(store).await?;
        for (provider, entry) in negative_entries(store, None).await? {
            inner.add_negative(provider, entry);
        }
        for (provider, seq, active) in local_statuses(store, None).await? {
            inner.set_local(provider, seq, active);
        }
        Ok(Matcher {
            inner: RwLock::new(inner),
            applied: AtomicI64::new(applied),
            catching_up: tokio::sync::Mutex::new(()),
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Number of indicators that can match.
    pub fn len(&self) -> usize {
        self.read().meta.len()
    }

    /// Whether no indicator can match.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The applied version of `list_id`.
    pub fn list_version(&self, list_id: &str) -> Option<u64> {
        self.read().versions.get(list_id).copied()
    }

    /// Whether `list_id` is signed by a key trusted as the EU Centre's (only
    /// those lists serve a detection order, CSA proposal Art. 10(1)).
    pub fn is_eu_centre_list(&self, list_id: &str) -> bool {
        self.read().eu_centre_lists.contains(list_id)
    }

    /// The newest change (see [`crate::sync`]) this matcher has applied.
    pub fn applied_change(&self) -> i64 {
        self.applied.load(Ordering::Acquire)
    }

    /// Applies every change committed since the last catch-up, by any
    /// process: indicators added, re-added, updated, disabled, quarantined
    /// or removed go into or out of the live index as a diff (no rebuild),
    /// new negative-list entries are added, providers' own indicator
    /// statuses applied, list versions refreshed.
    /// Returns the number of indicator rows applied. Concurrent calls run
    /// one after the other.
    pub async fn catch_up(&self, store: &Store) -> Result<usize> {
        use futures_util::TryStreamExt;
        let _one_at_a_time = self.catching_up.lock().await;
        let from = self.applied.load(Ordering::Acquire);
        let to = sync::current_change_id(store).await?;
        if to <= from {
            return Ok(0);
        }
        let sql = format!(
            "SELECT {INDICATOR_COLUMNS} FROM det_indicators WHERE change_id > $1 AND change_id <= $2"
        );
        let mut rows = sqlx::query(&sql).bind(from).bind(to).fetch(store.pool());
        let mut batch = Vec::with_capacity(APPLY_BATCH);
        let mut applied = 0;
        while let Some(r) = rows.try_next().await? {
            batch.push(IndicatorRow::read(&r)?);
            if batch.len() == APPLY_BATCH {
                applied += batch.len();
                self.apply_rows(&mut batch)?;
            }
        }
        drop(rows);
        applied += batch.len();
        self.apply_rows(&mut batch)?;
        let negatives = negative_entries(store, Some((from, to))).await?;
        let locals = local_statuses(store, Some((from, to))).await?;
        let (versions, eu_centre_lists) = list_states(store).await?;
        let mut g = self.write();
        for (provider, entry) in negatives {
            g.add_negative(provider, entry);
        }
        for (provider, seq, active) in locals {
            g.set_local(provider, seq, active);
        }
        g.versions = versions;
        g.eu_centre_lists = eu_centre_lists;
        drop(g);
        self.applied.store(to, Ordering::Release);
        Ok(applied)
    }

    /// Puts active rows into the index and takes the others out, under one
    /// write lock per batch.
    fn apply_rows(&self, rows: &mut Vec<IndicatorRow>) -> Result<()> {
        let mut g = self.write();
        for row in rows.drain(..) {
            g.index.remove(row.seq as u64);
            if !row.active {
                g.meta.remove(&row.seq);
                g.remove_exact(row.seq);
                continue;
            }
            let meta = g.compact_row(&row);
            if let Some(h) = row.pdq {
                g.index
                    .insert(row.seq as u64, h)
                    .map_err(|e| corrupt("det_indicators", e))?;
            }
            g.add_exact(row.seq, row.exact);
            g.meta.insert(row.seq, meta);
        }
        Ok(())
    }

    /// Whether `provider` disabled or quarantined indicator `seq` for its
    /// own scans.
    pub fn is_off_for(&self, provider: &str, seq: i64) -> bool {
        self.read()
            .local_off
            .get(provider)
            .is_some_and(|off| off.contains(&seq))
    }

    /// Whether `hash` is on `provider`'s negative list.
    pub fn is_negative(&self, provider: &str, hash: &bulwark_hamming::Hash256) -> bool {
        self.read()
            .negative
            .get(provider)
            .is_some_and(|v| v.iter().any(|n| n.pdq.distance(hash) <= n.radius))
    }

    /// The indicators within `radius` of any of `variants` (name, hash),
    /// each once with its smallest distance.
    pub fn query_pdq(
        &self,
        variants: &[(&'static str, bulwark_hamming::Hash256)],
        radius: u32,
    ) -> Vec<Candidate> {
        let g = self.read();
        let mut best: HashMap<i64, (u32, &'static str)> = HashMap::new();
        for (name, h) in variants {
            for m in g.index.query(h, radius) {
                let seq = m.id as i64;
                let e = best.entry(seq).or_insert((m.distance, name));
                if m.distance < e.0 {
                    *e = (m.distance, name);
                }
            }
        }
        let mut out: Vec<Candidate> = best
            .into_iter()
            .filter_map(|(seq, (distance, variant))| {
                g.meta(seq).map(|meta| Candidate {
                    seq,
                    meta,
                    distance,
                    variant,
                })
            })
            .collect();
        out.sort_by_key(|c| (c.distance, c.seq));
        out
    }

    /// The indicators whose MD5 or SHA-256 equals the file's.
    pub fn query_exact(&self, md5: &[u8; 16], sha256: &[u8; 32]) -> Vec<Candidate> {
        let g = self.read();
        let mut out = Vec::new();
        let mut push = |seqs: Option<&Vec<i64>>, variant: &'static str| {
            for seq in seqs.into_iter().flatten() {
                if out.iter().any(|c: &Candidate| c.seq == *seq) {
                    continue;
                }
                if let Some(meta) = g.meta(*seq) {
                    out.push(Candidate {
                        seq: *seq,
                        meta,
                        distance: 0,
                        variant,
                    });
                }
            }
        };
        push(g.sha256.get(sha256), "sha256");
        push(g.md5.get(md5), "md5");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_hash_spells_the_same_hex() {
        let hex = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
        let p = bulwark_pdq::Hash256::from_hex(hex).unwrap();
        assert_eq!(to_index_hash(&p).to_hex(), hex);
    }
}
