//! The on-disk format: versioned, checksummed, memory-mapped and validated on open.
//!
//! All integers little-endian. Layout:
//!
//! ```text
//! 0    magic "BWHAMIDX"              8 bytes
//! 8    format version (u32) = 1      flags (u32) = 0
//! 16   header_len (u64): bytes before the first section, a multiple of 4096
//! 24   file_len (u64): exact file size
//! 32   header checksum (u64): XXH3-64 of bytes 0..header_len with this field zeroed
//! 40   permutation seed (u64), design radius (u32), segment count (u32),
//!      section count (u32), reserved (u32)
//! 64   per segment: entries (u64), distinct codes (u64), tables m (u32), reserved (u32),
//!      then m x (substring start bit u32, length u32)
//!      per section (48 bytes): kind, segment, table, reserved (u32 each),
//!      offset (u64, multiple of 64), length in bytes (u64), XXH3-64 of the bytes (u64),
//!      reserved (u64)
//! sections (64-byte aligned): codes [u64;4] (permuted), ids u64, by_id u32,
//!      per table offsets u32 (table 0) or slots u32 and bucket lists u32 (others), removed bitset u64 per segment,
//!      delta records (id u64 + hash [u64;4] in hex word order) as segment 0xFFFF_FFFF.
//! ```
//!
//! Opening checks magic, version, sizes, every checksum and the structural invariants
//! that the query code relies on (offsets monotone and within bounds, slots and bucket
//! lists well-formed and in range, ids sorted through `by_id`, table-0 buckets consistent with the codes) before
//! anything is served; a damaged file is an error, never a panic.
//!
//! The file is written to a temporary name and renamed over the target, so an index that
//! is currently mapped (by this or another process) keeps its old, intact contents. The
//! mapping relies on nobody truncating or rewriting a published index file in place.
#![allow(unsafe_code)]

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;

use xxhash_rust::xxh3::xxh3_64;

use crate::Error;
use crate::buf::{Buf, Bytes};
use crate::hash::Hash256;
use crate::index::{Config, HammingIndex, Part};
use crate::kernel::Code;
use crate::layout::{PERM_SEED, Permutation, Substring, valid_layout};
use crate::segment::{MAX_SEGMENT_LEN, SLOT_EMPTY, SLOT_SINGLE, Segment, Table};

/// The first 8 bytes of an index file.
pub const MAGIC: [u8; 8] = *b"BWHAMIDX";
/// The format version written and accepted.
pub const FORMAT_VERSION: u32 = 1;

const PREFIX: usize = 64;
const SECTION_ENTRY: usize = 48;
const HEADER_ALIGN: usize = 4096;
const SECTION_ALIGN: usize = 64;
const DELTA_SEGMENT: u32 = u32::MAX;
const MAX_SEGMENTS: usize = 4096;

const KIND_CODES: u32 = 1;
const KIND_IDS: u32 = 2;
const KIND_BY_ID: u32 = 3;
const KIND_OFFSETS: u32 = 4;
const KIND_POSITIONS: u32 = 5;
const KIND_REMOVED: u32 = 6;
const KIND_DELTA: u32 = 7;

struct MapBytes(memmap2::Mmap);

impl Bytes for MapBytes {
    fn bytes(&self) -> &[u8] {
        &self.0
    }
}

struct SectionOut<'a> {
    kind: u32,
    segment: u32,
    table: u32,
    bytes: std::borrow::Cow<'a, [u8]>,
}

fn corrupt(msg: impl Into<String>) -> Error {
    Error::Corrupt(msg.into())
}

fn round_up(x: usize, a: usize) -> usize {
    x.div_ceil(a) * a
}

impl HammingIndex {
    /// Writes a snapshot to `path` (atomically: temporary file, fsync, rename). Segments
    /// are written as they are, tombstones and the delta buffer included, so saving after
    /// a few updates costs a sequential write, not a rebuild.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        let path = path.as_ref();
        let mut sections: Vec<SectionOut<'_>> = Vec::new();
        for (s, part) in self.parts.iter().enumerate() {
            let seg = &part.seg;
            let s = s as u32;
            let mut list: Vec<(u32, u32, &[u8])> = vec![
                (KIND_CODES, 0, bytemuck::cast_slice(&seg.codes[..])),
                (KIND_IDS, 0, bytemuck::cast_slice(&seg.ids[..])),
                (KIND_BY_ID, 0, bytemuck::cast_slice(&seg.by_id[..])),
                (KIND_REMOVED, 0, bytemuck::cast_slice(&part.removed[..])),
            ];
            for (t, table) in seg.tables.iter().enumerate() {
                list.push((
                    KIND_OFFSETS,
                    t as u32,
                    bytemuck::cast_slice(&table.offsets[..]),
                ));
                if t > 0 {
                    list.push((
                        KIND_POSITIONS,
                        t as u32,
                        bytemuck::cast_slice(&table.positions[..]),
                    ));
                }
            }
            for (kind, table, bytes) in list {
                sections.push(SectionOut {
                    kind,
                    segment: s,
                    table,
                    bytes: std::borrow::Cow::Borrowed(bytes),
                });
            }
        }
        let perm = Permutation::get();
        let mut delta = Vec::with_capacity(self.delta_ids.len() * 40);
        for (c, id) in self.delta_codes.iter().zip(&self.delta_ids) {
            delta.extend_from_slice(&id.to_le_bytes());
            for w in perm.inverse(c) {
                delta.extend_from_slice(&w.to_le_bytes());
            }
        }
        sections.push(SectionOut {
            kind: KIND_DELTA,
            segment: DELTA_SEGMENT,
            table: 0,
            bytes: std::borrow::Cow::Owned(delta),
        });

        // header body
        let mut meta = Vec::new();
        for part in &self.parts {
            let seg = &part.seg;
            meta.extend_from_slice(&(seg.len() as u64).to_le_bytes());
            meta.extend_from_slice(&(seg.heads as u64).to_le_bytes());
            meta.extend_from_slice(&(seg.tables.len() as u32).to_le_bytes());
            meta.extend_from_slice(&0u32.to_le_bytes());
            for t in &seg.tables {
                meta.extend_from_slice(&t.sub.start.to_le_bytes());
                meta.extend_from_slice(&t.sub.len.to_le_bytes());
            }
        }
        let header_len = round_up(
            PREFIX + meta.len() + sections.len() * SECTION_ENTRY,
            HEADER_ALIGN,
        );
        let mut offset = header_len;
        let mut entries = Vec::new();
        for sec in &sections {
            let len = sec.bytes.len();
            entries.extend_from_slice(&sec.kind.to_le_bytes());
            entries.extend_from_slice(&sec.segment.to_le_bytes());
            entries.extend_from_slice(&sec.table.to_le_bytes());
            entries.extend_from_slice(&0u32.to_le_bytes());
            entries.extend_from_slice(&(offset as u64).to_le_bytes());
            entries.extend_from_slice(&(len as u64).to_le_bytes());
            entries.extend_from_slice(&xxh3_64(&sec.bytes).to_le_bytes());
            entries.extend_from_slice(&0u64.to_le_bytes());
            offset = round_up(offset + len, SECTION_ALIGN);
        }
        let file_len = offset;
        let mut header = vec![0u8; header_len];
        header[0..8].copy_from_slice(&MAGIC);
        header[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        header[16..24].copy_from_slice(&(header_len as u64).to_le_bytes());
        header[24..32].copy_from_slice(&(file_len as u64).to_le_bytes());
        header[40..48].copy_from_slice(&PERM_SEED.to_le_bytes());
        header[48..52].copy_from_slice(&self.config.design_radius.to_le_bytes());
        header[52..56].copy_from_slice(&(self.parts.len() as u32).to_le_bytes());
        header[56..60].copy_from_slice(&(sections.len() as u32).to_le_bytes());
        header[PREFIX..PREFIX + meta.len()].copy_from_slice(&meta);
        let e0 = PREFIX + meta.len();
        header[e0..e0 + entries.len()].copy_from_slice(&entries);
        let sum = xxh3_64(&header);
        header[32..40].copy_from_slice(&sum.to_le_bytes());

        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "index".into());
        let tmp = path.with_file_name(format!(".{file_name}.tmp{}", std::process::id()));
        let result = (|| -> Result<(), Error> {
            let f = File::create(&tmp)?;
            let mut w = BufWriter::with_capacity(1 << 20, f);
            w.write_all(&header)?;
            let mut pos = header_len;
            let zeros = [0u8; SECTION_ALIGN];
            for sec in &sections {
                w.write_all(&sec.bytes)?;
                pos += sec.bytes.len();
                let pad = round_up(pos, SECTION_ALIGN) - pos;
                w.write_all(&zeros[..pad])?;
                pos += pad;
            }
            let mut f = w.into_inner().map_err(|e| e.into_error())?;
            f.seek(SeekFrom::End(0))?;
            f.sync_all()?;
            drop(f);
            std::fs::rename(&tmp, path)?;
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    /// Opens an index file with default settings; see [`HammingIndex::open_with`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::open_with(path, Config::default())
    }

    /// Memory-maps an index file, verifies it completely (checksums and structure) and
    /// serves queries from the mapping; the saved delta and tombstones are applied on top.
    /// `config.design_radius` is taken from the file.
    pub fn open_with(path: impl AsRef<Path>, mut config: Config) -> Result<Self, Error> {
        let file = File::open(path.as_ref())?;
        // SAFETY: the mapping is read-only. Index files are published by rename (see
        // `save`), never modified in place; a file truncated by someone else while mapped
        // is outside this contract (documented in the crate README).
        let map = unsafe { memmap2::MmapOptions::new().populate().map(&file)? };
        let src: Arc<dyn Bytes> = Arc::new(MapBytes(map));
        let (parts, delta, radius) = parse(src)?;
        config.design_radius = radius;
        HammingIndex::from_parts(config, parts, delta)
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn u32(&mut self) -> Result<u32, Error> {
        let s = self
            .b
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| corrupt("header truncated"))?;
        self.pos += 4;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self) -> Result<u64, Error> {
        let lo = u64::from(self.u32()?);
        let hi = u64::from(self.u32()?);
        Ok(lo | (hi << 32))
    }
}

struct SectionIn {
    kind: u32,
    segment: u32,
    table: u32,
    offset: usize,
    len: usize,
}

fn to_usize(x: u64, what: &str) -> Result<usize, Error> {
    usize::try_from(x).map_err(|_| corrupt(format!("{what} out of range")))
}

type Parsed = (Vec<Part>, Vec<(u64, Hash256)>, u32);

fn parse(src: Arc<dyn Bytes>) -> Result<Parsed, Error> {
    if cfg!(target_endian = "big") {
        return Err(corrupt(
            "index files are little-endian; big-endian hosts unsupported",
        ));
    }
    let bytes = src.bytes();
    if bytes.len() < PREFIX || bytes[0..8] != MAGIC {
        return Err(corrupt("not a Bulwark Hamming index (bad magic)"));
    }
    let mut r = Reader { b: bytes, pos: 8 };
    let version = r.u32()?;
    if version != FORMAT_VERSION {
        return Err(corrupt(format!(
            "format version {version}, this build reads {FORMAT_VERSION}"
        )));
    }
    let _flags = r.u32()?;
    let header_len = to_usize(r.u64()?, "header length")?;
    let file_len = to_usize(r.u64()?, "file length")?;
    let sum = r.u64()?;
    if file_len != bytes.len() {
        return Err(corrupt(format!(
            "file is {} bytes, header says {file_len} (truncated or extended)",
            bytes.len()
        )));
    }
    if header_len < PREFIX || header_len > file_len || header_len % HEADER_ALIGN != 0 {
        return Err(corrupt("bad header length"));
    }
    let mut h = bytes[..header_len].to_vec();
    h[32..40].fill(0);
    if xxh3_64(&h) != sum {
        return Err(corrupt("header checksum mismatch"));
    }
    let seed = r.u64()?;
    if seed != PERM_SEED {
        return Err(corrupt("unknown bit permutation"));
    }
    let radius = r.u32()?;
    let n_segments = r.u32()? as usize;
    let n_sections = r.u32()? as usize;
    let _reserved = r.u32()?;
    if n_segments > MAX_SEGMENTS || n_sections > MAX_SEGMENTS * 80 + 1 {
        return Err(corrupt("too many segments or sections"));
    }
    let mut r = Reader {
        b: &bytes[..header_len],
        pos: PREFIX,
    };
    let mut seg_meta = Vec::with_capacity(n_segments);
    for _ in 0..n_segments {
        let n = to_usize(r.u64()?, "segment size")?;
        let heads = to_usize(r.u64()?, "distinct count")?;
        let m = r.u32()?;
        let _ = r.u32()?;
        if m > 64 || n > MAX_SEGMENT_LEN || heads > n || n == 0 {
            return Err(corrupt("bad segment description"));
        }
        let mut subs = Vec::with_capacity(m as usize);
        for _ in 0..m {
            subs.push(Substring {
                start: r.u32()?,
                len: r.u32()?,
            });
        }
        if !valid_layout(&subs) {
            return Err(corrupt("unsupported substring layout"));
        }
        seg_meta.push((n, heads, subs));
    }
    let mut sections = Vec::with_capacity(n_sections);
    for _ in 0..n_sections {
        let kind = r.u32()?;
        let segment = r.u32()?;
        let table = r.u32()?;
        let _ = r.u32()?;
        let offset = to_usize(r.u64()?, "section offset")?;
        let len = to_usize(r.u64()?, "section length")?;
        let checksum = r.u64()?;
        let _ = r.u64()?;
        let end = offset
            .checked_add(len)
            .ok_or_else(|| corrupt("section range overflows"))?;
        if offset < header_len || end > file_len || offset % SECTION_ALIGN != 0 {
            return Err(corrupt(format!(
                "section {kind}/{segment}/{table} out of bounds"
            )));
        }
        if xxh3_64(&bytes[offset..end]) != checksum {
            return Err(corrupt(format!(
                "checksum mismatch in section kind {kind} segment {segment} table {table}"
            )));
        }
        sections.push(SectionIn {
            kind,
            segment,
            table,
            offset,
            len,
        });
    }
    let find = |kind: u32, segment: u32, table: u32| {
        let mut it = sections
            .iter()
            .filter(|s| s.kind == kind && s.segment == segment && s.table == table);
        match (it.next(), it.next()) {
            (Some(s), None) => Ok(s),
            (None, _) => Err(corrupt(format!("missing section {kind}/{segment}/{table}"))),
            _ => Err(corrupt(format!(
                "duplicate section {kind}/{segment}/{table}"
            ))),
        }
    };
    fn buf<T: bytemuck::Pod>(
        src: &Arc<dyn Bytes>,
        s: &SectionIn,
        count: usize,
    ) -> Result<Buf<T>, Error> {
        if count.checked_mul(std::mem::size_of::<T>()) != Some(s.len) {
            return Err(corrupt(format!(
                "section {}/{}/{} has {} bytes, expected {count} elements",
                s.kind, s.segment, s.table, s.len
            )));
        }
        Buf::mapped(src.clone(), s.offset, count, true).ok_or_else(|| corrupt("misaligned section"))
    }
    let mut parts = Vec::with_capacity(n_segments);
    for (si, (n, heads, subs)) in seg_meta.into_iter().enumerate() {
        let s = si as u32;
        let codes: Buf<Code> = buf(&src, find(KIND_CODES, s, 0)?, n)?;
        let ids: Buf<u64> = buf(&src, find(KIND_IDS, s, 0)?, n)?;
        let by_id: Buf<u32> = buf(&src, find(KIND_BY_ID, s, 0)?, n)?;
        let removed: Buf<u64> = buf(&src, find(KIND_REMOVED, s, 0)?, n.div_ceil(64))?;
        let mut tables = Vec::with_capacity(subs.len());
        for (t, sub) in subs.iter().enumerate() {
            let size = 1usize << sub.len;
            let slots = if t == 0 { size + 1 } else { size };
            let offsets: Buf<u32> = buf(&src, find(KIND_OFFSETS, s, t as u32)?, slots)?;
            let positions: Buf<u32> = if t == 0 {
                Buf::default()
            } else {
                let sec = find(KIND_POSITIONS, s, t as u32)?;
                buf(&src, sec, sec.len / 4)?
            };
            tables.push(Table {
                sub: *sub,
                offsets,
                positions,
            });
        }
        validate(&codes, &ids, &by_id, &tables, heads)?;
        let removed_vec: Vec<u64> = removed.to_vec();
        if n % 64 != 0
            && let Some(last) = removed_vec.last()
            && last >> (n % 64) != 0
        {
            return Err(corrupt("tombstone bits beyond segment end"));
        }
        let removed_count = removed_vec.iter().map(|w| w.count_ones() as usize).sum();
        parts.push(Part {
            seg: Arc::new(Segment {
                codes,
                ids,
                by_id,
                tables,
                heads,
            }),
            removed: removed_vec,
            removed_count,
        });
    }
    let d = find(KIND_DELTA, DELTA_SEGMENT, 0)?;
    if d.len % 40 != 0 {
        return Err(corrupt("delta section length"));
    }
    let mut delta = Vec::with_capacity(d.len / 40);
    for rec in bytes[d.offset..d.offset + d.len].chunks_exact(40) {
        let word = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&rec[i * 8..i * 8 + 8]);
            u64::from_le_bytes(b)
        };
        delta.push((word(0), Hash256([word(1), word(2), word(3), word(4)])));
    }
    Ok((parts, delta, radius))
}

/// Checks the invariants the query path depends on for exactness and bounds.
fn validate(
    codes: &[Code],
    ids: &[u64],
    by_id: &[u32],
    tables: &[Table],
    heads: usize,
) -> Result<(), Error> {
    let n = codes.len();
    // ids unique and by_id a permutation sorted by id
    let mut prev: Option<u64> = None;
    for (k, &p) in by_id.iter().enumerate() {
        if let Some(x) = by_id.get(k + 32).and_then(|&q| ids.get(q as usize)) {
            crate::kernel::prefetch(x);
        }
        let id = *ids
            .get(p as usize)
            .ok_or_else(|| corrupt("id index out of range"))?;
        if prev.is_some_and(|x| x >= id) {
            return Err(corrupt("ids not unique or not sorted"));
        }
        prev = Some(id);
    }
    let runs = (0..n)
        .filter(|&i| i == 0 || codes[i] != codes[i - 1])
        .count();
    if runs != heads {
        return Err(corrupt("distinct-code count mismatch"));
    }
    for (t, table) in tables.iter().enumerate() {
        let off = &*table.offsets;
        if t == 0 {
            if off.first() != Some(&0) || off.last().map(|&x| x as usize) != Some(n) {
                return Err(corrupt("table 0 offsets do not span the entries"));
            }
            if off.windows(2).any(|w| w[0] > w[1]) {
                return Err(corrupt("table 0 offsets not monotone"));
            }
            // positions are grouped by table-0 substring in bucket order
            let mut p = 0usize;
            for (v, w) in off.windows(2).enumerate() {
                let (lo, hi) = (w[0] as usize, w[1] as usize);
                if lo != p {
                    return Err(corrupt("table 0 buckets not contiguous"));
                }
                for c in &codes[lo..hi] {
                    if table.sub.key(c) as usize != v {
                        return Err(corrupt("table 0 bucket holds a foreign code"));
                    }
                }
                p = hi;
            }
        } else {
            // Slots: empty, a single head < n, or the start of a bucket list; lists are
            // walked in order. (Branch-free folds: this runs over ~10^8 slots at 10M.)
            let pos = &*table.positions;
            let len = pos.len() as u32;
            let n32 = n as u32; // n <= 2^30
            let (mut bad, mut singles) = (0u32, 0u32);
            for &slot in off {
                let empty = u32::from(slot == SLOT_EMPTY);
                let top = slot >> 31;
                let single = top & (empty ^ 1);
                let in_range = u32::from((slot & !SLOT_SINGLE) < n32);
                let good = empty | (single & in_range) | ((top ^ 1) & u32::from(slot < len));
                bad |= good ^ 1;
                singles += single;
            }
            if bad != 0 {
                return Err(corrupt(format!("table {t} slot out of range")));
            }
            let singles = singles as usize;
            let mut next = 0usize;
            let mut entries = singles;
            while next < pos.len() {
                let k = pos[next] as usize;
                let list = pos.get(next + 1..next.saturating_add(1).saturating_add(k));
                match list {
                    Some(list) if k >= 2 => {
                        if !list.iter().fold(true, |ok, &p| ok & ((p as usize) < n)) {
                            return Err(corrupt(format!("table {t} position out of range")));
                        }
                    }
                    _ => return Err(corrupt(format!("table {t} bucket list malformed"))),
                }
                next += 1 + k;
                entries += k;
            }
            if next != pos.len() || entries != heads {
                return Err(corrupt(format!(
                    "table {t} does not cover the distinct codes"
                )));
            }
        }
    }
    Ok(())
}
