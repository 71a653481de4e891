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
    },
}

impl<T: bytemuck::Pod> Buf<T> {
    /// Borrows `len` values at byte offset `off`; `None` if out of range or misaligned.
    pub(crate) fn mapped(src: Arc<dyn Bytes>, off: usize, len: usize) -> Option<Self> {
        let size = len.checked_mul(std::mem::size_of::<T>())?;
        let end = off.checked_add(size)?;
        let bytes = src.bytes().get(off..end)?;
        bytemuck::try_cast_slice::<u8, T>(bytes).ok()?;
        Some(Buf::Mapped { src, off, len })
    }

    /// Whether the values live in a mapping.
    pub(crate) fn is_mapped(&self) -> bool {
        matches!(self, Buf::Mapped { .. })
    }
}

impl<T: bytemuck::Pod> Deref for Buf<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        match self {
            Buf::Owned(v) => v,
            Buf::Mapped { src, off, len } => {
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
