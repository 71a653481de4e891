//! The 256-bit PDQ hash value: bit layout, hex format, Hamming distance.

use std::fmt;
use std::str::FromStr;

use crate::PdqError;

/// A 256-bit PDQ hash.
///
/// Bit `k` (0..256) is DCT coefficient (row `k / 16`, column `k % 16`) greater than the
/// median. The hex rendering is the reference's: 64 lowercase hex digits, the big-endian
/// rendering of the 256-bit integer whose bit `k` has the value `2^k` (so the first digit
/// holds bits 255..252 and the last digit bits 3..0).
///
/// `Ord` compares the internal limbs (low bits first): a consistent order for sorting and
/// de-duplication, not the numeric order of the hex strings.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash256 {
    /// Little-endian 64-bit limbs: limb `k / 64`, bit `k % 64` is hash bit `k`.
    limbs: [u64; 4],
}

impl Hash256 {
    /// The all-zero hash (what images smaller than 5x5 and constant images hash to).
    pub const ZERO: Hash256 = Hash256 { limbs: [0; 4] };

    /// Builds a hash from little-endian 64-bit limbs (limb `k / 64`, bit `k % 64` = bit `k`).
    pub const fn from_limbs(limbs: [u64; 4]) -> Self {
        Hash256 { limbs }
    }

    /// The little-endian 64-bit limbs (limb `k / 64`, bit `k % 64` = bit `k`).
    pub const fn limbs(&self) -> [u64; 4] {
        self.limbs
    }

    /// Builds a hash from its 32-byte big-endian form (the bytes the hex string spells).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let mut limbs = [0u64; 4];
        for (i, limb) in limbs.iter_mut().enumerate() {
            // limb i holds bytes 31-8i-7 ..= 31-8i (big-endian order within the 32 bytes).
            let start = 24 - 8 * i;
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[start..start + 8]);
            *limb = u64::from_be_bytes(b);
        }
        Hash256 { limbs }
    }

    /// The 32-byte big-endian form: byte `31 - k / 8`, bit `k % 8` is hash bit `k`.
    pub fn to_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, limb) in self.limbs.iter().enumerate() {
            let start = 24 - 8 * i;
            out[start..start + 8].copy_from_slice(&limb.to_be_bytes());
        }
        out
    }

    /// Value of bit `k` (0..256). Panics if `k >= 256` (a programming error, not data).
    pub fn bit(&self, k: usize) -> bool {
        (self.limbs[k / 64] >> (k % 64)) & 1 == 1
    }

    /// Sets bit `k` (0..256) to `value`. Panics if `k >= 256`.
    pub fn set_bit(&mut self, k: usize, value: bool) {
        let mask = 1u64 << (k % 64);
        if value {
            self.limbs[k / 64] |= mask;
        } else {
            self.limbs[k / 64] &= !mask;
        }
    }

    /// Number of set bits.
    pub fn count_ones(&self) -> u32 {
        self.limbs.iter().map(|l| l.count_ones()).sum()
    }

    /// Hamming distance: number of differing bits, 0..=256.
    pub fn distance(&self, other: &Hash256) -> u32 {
        self.limbs
            .iter()
            .zip(other.limbs.iter())
            .map(|(a, b)| (a ^ b).count_ones())
            .sum()
    }

    /// Parses exactly 64 hex digits (upper or lower case, as the C++ reference accepts).
    pub fn from_hex(s: &str) -> Result<Self, PdqError> {
        let b = s.as_bytes();
        if b.len() != 64 {
            return Err(PdqError::InvalidHex(format!(
                "expected 64 hex digits, got {} characters",
                s.chars().count()
            )));
        }
        let mut limbs = [0u64; 4];
        for (pos, &c) in b.iter().enumerate() {
            let v = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => {
                    return Err(PdqError::InvalidHex(format!(
                        "invalid character at position {pos}"
                    )));
                }
            };
            // Digit `pos` holds bits 255-4pos ..= 252-4pos.
            let low_bit = 252 - 4 * pos;
            limbs[low_bit / 64] |= u64::from(v) << (low_bit % 64);
        }
        Ok(Hash256 { limbs })
    }

    /// The 64-digit lowercase hex form (same as `Display`).
    pub fn to_hex(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for limb in self.limbs.iter().rev() {
            write!(f, "{limb:016x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash256({self})")
    }
}

impl FromStr for Hash256 {
    type Err = PdqError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Hash256::from_hex(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_bit_positions() {
        let mut h = Hash256::ZERO;
        h.set_bit(0, true);
        assert_eq!(h.to_hex(), format!("{}1", "0".repeat(63)));
        let mut h = Hash256::ZERO;
        h.set_bit(255, true);
        assert_eq!(h.to_hex(), format!("8{}", "0".repeat(63)));
        let s = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
        let h = Hash256::from_hex(s).unwrap();
        assert_eq!(h.to_hex(), s);
        assert_eq!(Hash256::from_hex(&s.to_uppercase()).unwrap(), h);
        assert_eq!(Hash256::from_bytes(h.to_bytes()), h);
        // First byte of the big-endian form is the first two hex digits.
        assert_eq!(h.to_bytes()[0], 0xf8);
        assert_eq!(h.to_bytes()[31], 0x22);
        assert!(Hash256::from_hex(&s[1..]).is_err());
        assert!(Hash256::from_hex(&format!("{}g", &s[1..])).is_err());
    }
}
