//! The 256-bit hash value type, its hex form and the Hamming distance.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A 256-bit hash (for example a PDQ hash), stored as four 64-bit words.
///
/// Word 0 holds the first 16 hex digits of the usual 64-digit hex form, word 3 the
/// last 16; within a word the first hex digit is the most significant nibble. The
/// Hamming distance does not depend on this convention; the hex round trip does.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash256(pub [u64; 4]);

impl Hash256 {
    /// The all-zero hash.
    pub const ZERO: Hash256 = Hash256([0; 4]);

    /// Builds a hash from its 32 bytes in hex order (byte 0 = first two hex digits).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let mut w = [0u64; 4];
        for (k, chunk) in bytes.chunks_exact(8).enumerate() {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            w[k] = u64::from_be_bytes(b);
        }
        Hash256(w)
    }

    /// The 32 bytes in hex order (inverse of [`Hash256::from_bytes`]).
    pub fn to_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (k, w) in self.0.iter().enumerate() {
            out[k * 8..k * 8 + 8].copy_from_slice(&w.to_be_bytes());
        }
        out
    }

    /// Parses exactly 64 hex digits (either case); surrounding whitespace is not accepted.
    pub fn from_hex(s: &str) -> Result<Self, Error> {
        let b = s.as_bytes();
        if b.len() != 64 {
            return Err(Error::BadHex(format!(
                "expected 64 hex digits, got {} characters",
                b.len()
            )));
        }
        let mut w = [0u64; 4];
        for (i, &c) in b.iter().enumerate() {
            let v = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => {
                    return Err(Error::BadHex(format!(
                        "invalid hex digit {:?} at position {}",
                        char::from(c),
                        i + 1
                    )));
                }
            };
            w[i / 16] = (w[i / 16] << 4) | u64::from(v);
        }
        Ok(Hash256(w))
    }

    /// The lowercase 64-digit hex form.
    pub fn to_hex(&self) -> String {
        format!(
            "{:016x}{:016x}{:016x}{:016x}",
            self.0[0], self.0[1], self.0[2], self.0[3]
        )
    }

    /// The Hamming distance (number of differing bits, 0..=256).
    #[inline]
    pub fn distance(&self, other: &Hash256) -> u32 {
        distance(&self.0, &other.0)
    }

    /// The number of set bits.
    pub fn count_ones(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }

    /// Returns the hash with bit `bit` (0..256, 0 = most significant bit of the hex form)
    /// inverted. Bits outside 0..256 are ignored.
    pub fn flip_bit(mut self, bit: u32) -> Self {
        if bit < 256 {
            let word = (bit / 64) as usize;
            self.0[word] ^= 1u64 << (63 - bit % 64);
        }
        self
    }
}

/// Plain Hamming distance of two codes (portable; the index uses SIMD kernels internally).
#[inline]
pub(crate) fn distance(a: &[u64; 4], b: &[u64; 4]) -> u32 {
    (a[0] ^ b[0]).count_ones()
        + (a[1] ^ b[1]).count_ones()
        + (a[2] ^ b[2]).count_ones()
        + (a[3] ^ b[3]).count_ones()
}

impl fmt::Display for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash256({})", self.to_hex())
    }
}

impl FromStr for Hash256 {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Hash256::from_hex(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_distance() {
        let s = "f162eb9daab170c0567fe3632d9a5548c5612982dd5e374a7424ebbc8a835c95";
        let h = Hash256::from_hex(s).unwrap();
        assert_eq!(h.to_hex(), s);
        assert_eq!(Hash256::from_hex(&s.to_uppercase()).unwrap(), h);
        assert_eq!(Hash256::from_bytes(h.to_bytes()), h);
        assert_eq!(h.distance(&h), 0);
        assert_eq!(h.distance(&h.flip_bit(0).flip_bit(255)), 2);
        // bit 0 is the top bit of the first hex digit: f -> 7
        assert!(h.flip_bit(0).to_hex().starts_with('7'));
        assert!(Hash256::from_hex(&s[1..]).is_err());
        assert!(Hash256::from_hex(&s.replace('f', "g")).is_err());
    }
}
