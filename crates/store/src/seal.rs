//! Secrets at rest, sealed with the key-encryption key ([`Kek`]):
//! XChaCha20-Poly1305 (RustCrypto's `chacha20poly1305`), a fresh random
//! 24-byte nonce per seal, and associated data that binds the sealed value
//! to its place ([`Binding`]: a purpose, e.g. the table and column, and the
//! row's identifying fields). A sealed value copied to another row, or
//! altered in any bit, does not open; one sealed under another key file is
//! named as such ([`Sealed::kek_id`]).
//!
//! Stored form ([`Sealed::blob`]): `s1.` followed by the hex of nonce,
//! ciphertext and tag (for a 32-byte secret, 3 + 144 characters). Text, so
//! it fits the store's TEXT-only columns on both databases.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::error::{Result, StoreError};
use crate::kek::{Kek, fill_random};

/// Prefix of the stored form, naming its format (version 1).
pub const FORMAT_PREFIX: &str = "s1.";

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// Domain-separation prefix of the associated data.
const AAD_DOMAIN: &[u8] = b"bulwark-sealed/1\0";

/// Where a sealed value belongs. Opening needs the very binding it was
/// sealed with.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    /// What the secret is for, e.g. `"det_provider_keys.sealed_secret"`.
    pub purpose: &'a str,
    /// The fields that identify its row, e.g. `[provider, key_id]`.
    pub row: &'a [&'a str],
}

impl Binding<'_> {
    /// The associated data: the domain prefix, then the purpose and each
    /// row field, each preceded by its length (so no two bindings encode
    /// alike).
    fn associated_data(&self) -> Vec<u8> {
        let mut aad = AAD_DOMAIN.to_vec();
        for part in std::iter::once(self.purpose).chain(self.row.iter().copied()) {
            aad.extend_from_slice(&(part.len() as u64).to_be_bytes());
            aad.extend_from_slice(part.as_bytes());
        }
        aad
    }
}

/// A sealed secret, as stored with its row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The id of the key that sealed it ([`Kek::id`]).
    pub kek_id: String,
    /// The stored form (see the module documentation).
    pub blob: String,
}

impl Kek {
    /// Seals `secret` for the place `binding` names. `what` describes the
    /// secret in error messages (never the secret itself).
    pub fn seal(&self, binding: &Binding<'_>, secret: &[u8], what: &str) -> Result<Sealed> {
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce).map_err(|e| StoreError::Seal {
            what: what.to_string(),
            detail: format!("the operating system's random source failed: {e}"),
        })?;
        let aad = binding.associated_data();
        let ciphertext = cipher(self)
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: &aad,
                },
            )
            .map_err(|_| StoreError::Seal {
                what: what.to_string(),
                detail: "encryption failed".into(),
            })?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&ciphertext);
        Ok(Sealed {
            kek_id: self.id().to_string(),
            blob: format!("{FORMAT_PREFIX}{}", hex::encode(bytes)),
        })
    }

    /// Refuses, naming both key ids and this key file, a value sealed with
    /// the key `kek_id` if that is not this key: the check that can be made
    /// without the sealed value, e.g. at start over every stored row.
    pub fn check_sealed_with(&self, kek_id: &str, what: &str) -> Result<()> {
        if kek_id == self.id() {
            return Ok(());
        }
        Err(StoreError::Unseal {
            what: what.to_string(),
            detail: format!(
                "it was sealed with key {kek_id}, key file {} is key {}; start with the key \
                 file it was sealed with",
                self.path().display(),
                self.id()
            ),
        })
    }

    /// Opens `sealed` for the place `binding` names: refused with a clear
    /// [`StoreError::Unseal`] if it was sealed under another key file (both
    /// key ids and this key file named), is not in the stored form, was
    /// altered, or belongs to another place.
    pub fn open(
        &self,
        binding: &Binding<'_>,
        sealed: &Sealed,
        what: &str,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let refuse = |detail: String| StoreError::Unseal {
            what: what.to_string(),
            detail,
        };
        self.check_sealed_with(&sealed.kek_id, what)?;
        let bytes = sealed
            .blob
            .strip_prefix(FORMAT_PREFIX)
            .and_then(|h| hex::decode(h).ok())
            .filter(|b| b.len() >= NONCE_LEN + TAG_LEN)
            .ok_or_else(|| {
                refuse(format!(
                    "it is not in the sealed form `{FORMAT_PREFIX}<hex>` (the database was \
                     changed outside Bulwark)"
                ))
            })?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let aad = binding.associated_data();
        cipher(self)
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| {
                refuse(format!(
                    "it does not authenticate under key {} (key file {}): it was altered, or \
                     it was sealed for another row",
                    self.id(),
                    self.path().display()
                ))
            })
    }
}

fn cipher(kek: &Kek) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(Key::from_slice(kek.key()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kek(dir: &tempfile::TempDir, name: &str) -> Kek {
        Kek::create(&dir.path().join(name)).unwrap()
    }

    #[test]
    fn seals_open_only_in_their_place_under_their_key() {
        let dir = tempfile::tempdir().unwrap();
        let a = kek(&dir, "a.key");
        let b = kek(&dir, "b.key");
        let here = Binding {
            purpose: "t.secret",
            row: &["p1", "k1"],
        };
        let secret = [42u8; 32];
        let s = a.seal(&here, &secret, "test secret").unwrap();
        assert_eq!(s.kek_id, a.id());
        assert!(s.blob.starts_with(FORMAT_PREFIX));
        assert_eq!(s.blob.len(), 3 + 2 * (24 + 32 + 16));
        assert!(!s.blob.contains(&hex::encode(secret)));
        assert_eq!(&a.open(&here, &s, "x").unwrap()[..], &secret);
        // A fresh nonce each time.
        assert_ne!(a.seal(&here, &secret, "x").unwrap().blob, s.blob);
        // Another row, another purpose, or fields that only concatenate alike.
        for other in [
            Binding {
                purpose: "t.secret",
                row: &["p2", "k1"],
            },
            Binding {
                purpose: "u.secret",
                row: &["p1", "k1"],
            },
            Binding {
                purpose: "t.secret",
                row: &["p1k", "1"],
            },
        ] {
            let e = a.open(&other, &s, "x").unwrap_err().to_string();
            assert!(e.contains("does not authenticate"), "{e}");
        }
        // Any bit changed.
        let mut bytes = hex::decode(&s.blob[3..]).unwrap();
        for i in [0, 30, bytes.len() - 1] {
            bytes[i] ^= 1;
            let t = Sealed {
                kek_id: s.kek_id.clone(),
                blob: format!("s1.{}", hex::encode(&bytes)),
            };
            assert!(a.open(&here, &t, "x").is_err());
            bytes[i] ^= 1;
        }
        // Not the stored form.
        for blob in ["", "s1.zz", "s2.00", "s1.0011"] {
            let t = Sealed {
                kek_id: s.kek_id.clone(),
                blob: blob.into(),
            };
            let e = a.open(&here, &t, "x").unwrap_err().to_string();
            assert!(e.contains("not in the sealed form"), "{e}");
        }
        // Another key file: named, with both ids.
        let e = b.open(&here, &s, "test secret").unwrap_err().to_string();
        assert!(e.contains(&format!("sealed with key {}", a.id())), "{e}");
        assert!(e.contains(&format!("is key {}", b.id())), "{e}");
        assert!(e.contains("b.key"), "{e}");
        // Even with the id forged, the wrong key does not open it.
        let forged = Sealed {
            kek_id: b.id().to_string(),
            blob: s.blob.clone(),
        };
        assert!(b.open(&here, &forged, "x").is_err());
    }
}
