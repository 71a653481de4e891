//! Read-only arrays that are either owned or borrowed from a memory-mapped file.

use std::ops::Deref;
use std::sync::Arc;

/// Bytes that live as long as the holder (a memory map, in practice).
pub(crate) trait Bytes: Send + Sync {
    fn bytes(&self) -> &[u8];
}

/// An immutable array of plain-old-data values.
pub(crate) enum Buf<T: bytemuck::Pod> {
    /// Owned in memory.
    Owned(Vec<T>),
    /// `len` values at byte offset `off` of a shared mapping. Constructed only through
    /// [`Buf::mapped`], which checks range and alignment.
    Mapped {
        src: Arc<dyn Bytes>,
        off: usize,
        len: usize,
        file: bool,
    },
}

/// Anonymous memory advised for transparent huge pages.
struct AnonBytes(memmap2::Mmap);

impl Bytes for AnonBytes {
    fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Arrays at least this large are moved to huge-page memory.
const HUGE_MIN_BYTES: usize = 4 << 20;

/// Moves a large array into anonymous memory advised for transparent huge pages (random
/// probes into gigabyte-sized tables otherwise miss the TLB on nearly every access).
/// Falls back to the vector itself if the mapping fails or the array is small.
pub(crate) fn huge<T: bytemuck::Pod>(v: Vec<T>) -> Buf<T> {
    let bytes: &[u8] = bytemuck::cast_slice(&v);
    if bytes.len() < HUGE_MIN_BYTES {
        return Buf::Owned(v);
    }
    let Ok(mut map) = memmap2::MmapMut::map_anon(bytes.len()) else {
        return Buf::Owned(v);
    };
    // Advice only; without huge pages the data is still correct.
    let _ = map.advise(memmap2::Advice::HugePage);
    map.copy_from_slice(bytes);
    let len = v.len();
    match map.make_read_only() {
        Ok(ro) => {
            let src: Arc<dyn Bytes> = Arc::new(AnonBytes(ro));
            Buf::mapped(src, 0, len, false).unwrap_or(Buf::Owned(v))
        }
        Err(_) => Buf::Owned(v),
    }
}

impl<T: bytemuck::Pod> Buf<T> {
    /// Borrows `len` values at byte offset `off`; `None` if out of range or misaligned.
    pub(crate) fn mapped(src: Arc<dyn Bytes>, off: usize, len: usize, file: bool) -> Option<Self> {
        let size = len.checked_mul(std::mem::size_of::<T>())?;
        let end = off.checked_add(size)?;
        let bytes = src.bytes().get(off..end)?;
        bytemuck::try_cast_slice::<u8, T>(bytes).ok()?;
        Some(Buf::Mapped {
            src,
            off,
            len,
            file,
        })
    }

    /// Whether the values live in a file mapping.
    pub(crate) fn is_mapped(&self) -> bool {
        matches!(self, Buf::Mapped { file: true, .. })
    }
}

impl<T: bytemuck::Pod> Deref for Buf<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        match self {
            Buf::Owned(v) => v,
            Buf::Mapped { src, off, len, .. } => {
                // Checked at construction; the fallbacks are unreachable in practice.
                let size = len.saturating_mul(std::mem::size_of::<T>());
                src.bytes()
                    .get(*off..off.saturating_add(size))
                    .and_then(|b| bytemuck::try_cast_slice(b).ok())
                    .unwrap_or(&[])
            }
        }
    }
}

impl<T: bytemuck::Pod> Default for Buf<T> {
    fn default() -> Self {
        Buf::Owned(Vec::new())
    }
}
