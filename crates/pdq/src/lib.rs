//! Bit-exact PDQ perceptual image hashing.
//!
//! A from-scratch Rust implementation of Meta's PDQ hash (ThreatExchange `pdq/cpp`), written
//! from Bulwark's specification (`detection.md`, sections 1-2) and proven against the shared
//! test vectors: for the same decoded pixels it produces the reference C++'s hash, quality,
//! 8 dihedral hashes and float DCT (PDQF) bit for bit.
//!
//! The core ([`Hasher`], [`hash_rgb8`], [`hash_grey8`], [`hash_luma`]) is pure computation on
//! pixel buffers: no I/O. File decoding lives in the separate [`decode`] module (feature
//! `decode`, on by default).
//!
//! ```
//! use bulwark_pdq::{hash_rgb8, Hash256};
//! let (w, h) = (64usize, 48usize);
//! let rgb: Vec<u8> = (0..w * h * 3).map(|i| ((i * 7) % 251) as u8).collect();
//! let out = hash_rgb8(w, h, &rgb).unwrap();
//! let d = out.dihedral();
//! assert_eq!(d.orig, out.hash);
//! assert_eq!(out.hash.distance(&Hash256::from_hex(&out.hash.to_hex()).unwrap()), 0);
//! ```

mod dct;
mod error;
mod hash256;
mod hasher;
mod kernels;
mod luma;

#[cfg(feature = "decode")]
pub mod decode;

pub use dct::dct_matrix;
pub use error::PdqError;
pub use hash256::Hash256;
pub use hasher::{
    Dihedral, Hasher, MIN_HASHABLE_DIM, PdqFloat, PdqOutput, Trace, hash_grey8, hash_luma,
    hash_rgb8, jarosz_window,
};
pub use luma::{LUMA_B, LUMA_G, LUMA_R, luma_from_rgb8, luma_of};

/// Upstream's match threshold: two hashes match when their distance is at most 31.
pub const MATCH_THRESHOLD: u32 = 31;

/// Upstream's quality threshold: hashes with quality below 50 should be discarded.
pub const QUALITY_THRESHOLD: u8 = 50;
