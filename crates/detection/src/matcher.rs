//! The live matcher: every active indicator's PDQ hash in an exact Hamming
//! index (`bulwark-hamming`), its MD5 and SHA-256 in hash maps, and the
//! providers' negative lists, all in memory.
//!
//! Loaded once from the store ([`Matcher::load`]) and then kept current by
//! applying each change as it commits ([`Matcher::apply_list_change`],
//! [`Matcher::activate`], [`Matcher::set_inactive`], [`Matcher::add_negative`]): a new list version
//! is a diff applied to the live index, never a rebuild. Only active
//! indicators are in the index, so a disabled, quarantined or removed
//! indicator can never match.

use std::collections::HashMap;
use std::sync::RwLock;

use sqlx::Row;

use bulwark_hamming::{Config, HammingIndex};
use bulwark_store::Store;

use crate::error::{Result, corrupt};
use crate::lists::ListChange;
use crate::vocab::Category;

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
    versions: HashMap<String, u64>,
    negative: HashMap<String, Vec<NegativeEntry>>,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            index: HammingIndex::new(Config::default()),
            lists: Vec::new(),
            meta: HashMap::new(),
            md5: HashMap::new(),
            sha256: HashMap::new(),
            versions: HashMap::new(),
            negative: HashMap::new(),
        }
    }
}

/// The in-memory matcher. Cheap to query from many threads at once.
#[derive(Default)]
pub struct Matcher {
    inner: RwLock<Inner>,
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

    fn compact(&mut self, meta: IndicatorMeta) -> Meta {
        Meta {
            list: self.list_index(&meta.list_id),
            indicator_id: meta.indicator_id.into_boxed_str(),
            category: meta.category,
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
    /// once).
    pub async fn load(store: &Store) -> Result<Matcher> {
        use futures_util::TryStreamExt;
        let w = "det_indicators";
        let count: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM det_indicators WHERE status = 'active'")
                .fetch_one(store.pool())
                .await?
                .try_get("n")?;
        let mut rows = sqlx::query(
            "SELECT seq, list_id, indicator_id, pdq, md5, sha256, category FROM det_indicators WHERE status = 'active'",
        )
        .fetch(store.pool());
        let mut pairs = Vec::with_capacity(count.max(0) as usize);
        let mut inner = Inner::default();
        inner.meta.reserve(count.max(0) as usize);
        while let Some(r) = rows.try_next().await? {
            let seq: i64 = r.try_get("seq")?;
            let category: String = r.try_get("category")?;
            let list_id: String = r.try_get("list_id")?;
            let indicator_id: String = r.try_get("indicator_id")?;
            let meta = Meta {
                list: inner.list_index(&list_id),
                indicator_id: indicator_id.into_boxed_str(),
                category: category.parse().map_err(|e| corrupt(w, e))?,
            };
            inner.meta.insert(seq, meta);
            let pdq: Option<String> = r.try_get("pdq")?;
            if let Some(p) = pdq {
                let h = bulwark_hamming::Hash256::from_hex(&p).map_err(|e| corrupt(w, e))?;
                pairs.push((seq as u64, h));
            }
            let md5: Option<String> = r.try_get("md5")?;
            if let Some(m) = md5.as_deref().and_then(parse_hex::<16>) {
                inner.md5.entry(m).or_default().push(seq);
            }
            let sha: Option<String> = r.try_get("sha256")?;
            if let Some(s) = sha.as_deref().and_then(parse_hex::<32>) {
                inner.sha256.entry(s).or_default().push(seq);
            }
        }
        drop(rows);
        inner.index = HammingIndex::build(pairs, Config::default()).map_err(|e| corrupt(w, e))?;
        for r in sqlx::query("SELECT list_id, version FROM det_lists")
            .fetch_all(store.pool())
            .await?
        {
            let v: i64 = r.try_get("version")?;
            inner.versions.insert(r.try_get("list_id")?, v as u64);
        }
        for r in sqlx::query("SELECT provider, pdq, radius FROM det_negative")
            .fetch_all(store.pool())
            .await?
        {
            let p: String = r.try_get("pdq")?;
            let radius: i64 = r.try_get("radius")?;
            let pdq =
                bulwark_hamming::Hash256::from_hex(&p).map_err(|e| corrupt("det_negative", e))?;
            inner
                .negative
                .entry(r.try_get("provider")?)
                .or_default()
                .push(NegativeEntry {
                    pdq,
                    radius: radius.clamp(0, 256) as u32,
                });
        }
        Ok(Matcher {
            inner: RwLock::new(inner),
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

    /// Applies a committed list import: re-reads the added indicators and
    /// drops the removed ones from the live index.
    pub async fn apply_list_change(&self, store: &Store, change: &ListChange) -> Result<()> {
        for seq in &change.removed {
            self.set_inactive(*seq);
        }
        for seq in &change.added {
            self.activate(store, *seq).await?;
        }
        self.write()
            .versions
            .insert(change.list_id.clone(), change.version);
        Ok(())
    }

    /// Puts indicator `seq` back into the live index (after it was re-enabled).
    pub async fn activate(&self, store: &Store, seq: i64) -> Result<()> {
        let w = "det_indicators";
        let Some(r) = sqlx::query(
            "SELECT list_id, indicator_id, pdq, md5, sha256, category, status FROM det_indicators WHERE seq = $1",
        )
        .bind(seq)
        .fetch_optional(store.pool())
        .await?
        else {
            return Ok(());
        };
        let status: String = r.try_get("status")?;
        if status != "active" {
            self.set_inactive(seq);
            return Ok(());
        }
        let category: String = r.try_get("category")?;
        let meta = IndicatorMeta {
            list_id: r.try_get("list_id")?,
            indicator_id: r.try_get("indicator_id")?,
            category: category.parse().map_err(|e| corrupt(w, e))?,
        };
        let pdq: Option<String> = r.try_get("pdq")?;
        let pdq = match pdq {
            Some(p) => Some(bulwark_hamming::Hash256::from_hex(&p).map_err(|e| corrupt(w, e))?),
            None => None,
        };
        let md5: Option<String> = r.try_get("md5")?;
        let sha: Option<String> = r.try_get("sha256")?;
        let mut g = self.write();
        let meta = g.compact(meta);
        g.index.remove(seq as u64);
        if let Some(h) = pdq {
            g.index.insert(seq as u64, h).map_err(|e| corrupt(w, e))?;
        }
        if let Some(m) = md5.as_deref().and_then(parse_hex::<16>) {
            let v = g.md5.entry(m).or_default();
            if !v.contains(&seq) {
                v.push(seq);
            }
        }
        if let Some(s) = sha.as_deref().and_then(parse_hex::<32>) {
            let v = g.sha256.entry(s).or_default();
            if !v.contains(&seq) {
                v.push(seq);
            }
        }
        g.meta.insert(seq, meta);
        Ok(())
    }

    /// Takes indicator `seq` out of matching (disabled, quarantined, removed).
    pub fn set_inactive(&self, seq: i64) {
        let mut g = self.write();
        g.index.remove(seq as u64);
        g.meta.remove(&seq);
        for v in g.md5.values_mut() {
            v.retain(|s| *s != seq);
        }
        for v in g.sha256.values_mut() {
            v.retain(|s| *s != seq);
        }
    }

    /// Adds a provider's negative-list entry.
    pub fn add_negative(&self, provider: &str, entry: NegativeEntry) {
        self.write()
            .negative
            .entry(provider.to_string())
            .or_default()
            .push(entry);
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
