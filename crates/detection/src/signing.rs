//! Ed25519 signatures over Bulwark's signed documents: indicator lists (signed
//! by the issuing authority, the EU Centre's role under CSA proposal Art. 44)
//! and reports (signed by the provider, Art. 13(1)(b)).
//!
//! A signed document is an envelope whose `payload` is the exact JSON text
//! that was signed, so no canonicalisation is needed: the signature covers
//! the domain tag [`DOMAIN`] followed by the payload's bytes.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{DetectionError, Result};

/// Domain-separation tag prefixed to every signed payload.
pub const DOMAIN: &[u8] = b"bulwark-signed/1\n";

/// The envelope format name.
pub const FORMAT: &str = "bulwark-signed/1";

/// A signed document as it travels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedEnvelope {
    /// Always [`FORMAT`].
    pub format: String,
    /// Which key signed it ([`key_id`] of the public key).
    pub key_id: String,
    /// The signed JSON text.
    pub payload: String,
    /// The Ed25519 signature, 128 hex digits.
    pub signature: String,
}

/// A signing key pair with its issuer's name. Its JSON form holds the secret:
/// keep it where only the issuer can read it. Its `Debug` form does not.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyPair {
    /// Who signs with it (e.g. "EU Centre (demo)").
    pub issuer: String,
    /// [`key_id`] of the public key.
    pub key_id: String,
    /// The 32-byte secret key, hex.
    pub secret_key: String,
    /// The 32-byte public key, hex.
    pub public_key: String,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret, not even in a debug trace.
        f.debug_struct("KeyPair")
            .field("issuer", &self.issuer)
            .field("key_id", &self.key_id)
            .field("secret_key", &"(redacted)")
            .field("public_key", &self.public_key)
            .finish()
    }
}

/// The public half of a [`KeyPair`], to hand to those who verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicKey {
    /// Who signs with it.
    pub issuer: String,
    /// [`key_id`] of the key.
    pub key_id: String,
    /// The 32-byte public key, hex.
    pub public_key: String,
}

/// A key's id: the first 16 hex digits of the SHA-256 of its public key.
pub fn key_id(public_key: &[u8; 32]) -> String {
    hex::encode(&Sha256::digest(public_key)[..8])
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl KeyPair {
    /// A fresh key pair from the operating system's random source.
    pub fn generate(issuer: &str) -> KeyPair {
        let secret: [u8; 32] = rand::random();
        Self::from_secret(issuer, secret)
    }

    /// The key pair of a given secret.
    pub fn from_secret(issuer: &str, secret: [u8; 32]) -> KeyPair {
        let sk = SigningKey::from_bytes(&secret);
        let pk = sk.verifying_key().to_bytes();
        KeyPair {
            issuer: issuer.to_string(),
            key_id: key_id(&pk),
            secret_key: hex::encode(secret),
            public_key: hex::encode(pk),
        }
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey {
            issuer: self.issuer.clone(),
            key_id: self.key_id.clone(),
            public_key: self.public_key.clone(),
        }
    }

    fn signing_key(&self) -> Result<SigningKey> {
        let bytes: [u8; 32] = hex::decode(&self.secret_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| DetectionError::invalid("secret_key", "must be 64 hex digits"))?;
        let sk = SigningKey::from_bytes(&bytes);
        if hex::encode(sk.verifying_key().to_bytes()) != self.public_key {
            return Err(DetectionError::invalid(
                "public_key",
                "does not belong to the secret key",
            ));
        }
        Ok(sk)
    }

    /// Signs `payload` (JSON text) into an envelope.
    pub fn sign(&self, payload: String) -> Result<SignedEnvelope> {
        let sk = self.signing_key()?;
        let mut msg = DOMAIN.to_vec();
        msg.extend_from_slice(payload.as_bytes());
        let sig = sk.sign(&msg);
        Ok(SignedEnvelope {
            format: FORMAT.into(),
            key_id: self.key_id.clone(),
            payload,
            signature: hex::encode(sig.to_bytes()),
        })
    }
}

impl PublicKey {
    /// Checks the key's fields: 64 hex digits and a matching id.
    pub fn validate(&self) -> Result<VerifyingKey> {
        let bytes: [u8; 32] = hex::decode(&self.public_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| DetectionError::invalid("public_key", "must be 64 hex digits"))?;
        let vk = VerifyingKey::from_bytes(&bytes)
            .map_err(|_| DetectionError::invalid("public_key", "not a valid Ed25519 key"))?;
        if key_id(&bytes) != self.key_id {
            return Err(DetectionError::invalid(
                "key_id",
                "must be the first 16 hex digits of the SHA-256 of the public key",
            ));
        }
        if self.issuer.trim().is_empty() {
            return Err(DetectionError::invalid("issuer", "must not be empty"));
        }
        Ok(vk)
    }

    /// Verifies `envelope` against this key.
    pub fn verify(&self, envelope: &SignedEnvelope) -> Result<()> {
        let vk = self.validate()?;
        if envelope.format != FORMAT {
            return Err(DetectionError::ListRejected(format!(
                "unknown envelope format `{}` (expected `{FORMAT}`)",
                envelope.format
            )));
        }
        if envelope.key_id != self.key_id {
            return Err(DetectionError::ListRejected(format!(
                "signed by key {}, not by {}",
                envelope.key_id, self.key_id
            )));
        }
        let sig: [u8; 64] = hex::decode(&envelope.signature)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                DetectionError::ListRejected("signature must be 128 hex digits".into())
            })?;
        let mut msg = DOMAIN.to_vec();
        msg.extend_from_slice(envelope.payload.as_bytes());
        vk.verify(&msg, &Signature::from_bytes(&sig))
            .map_err(|_| DetectionError::ListRejected("signature does not verify".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_tamper() {
        let kp = KeyPair::generate("EU Centre (test)");
        let env = kp.sign("{\"a\":1}".into()).unwrap();
        kp.public().verify(&env).unwrap();
        let mut bad = env.clone();
        bad.payload = "{\"a\":2}".into();
        assert!(kp.public().verify(&bad).is_err());
        let other = KeyPair::generate("someone else");
        assert!(other.public().verify(&env).is_err());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let kp = KeyPair::generate("p");
        let shown = format!("{kp:?}");
        assert!(!shown.contains(&kp.secret_key), "{shown}");
        assert!(shown.contains(&kp.key_id));
    }
}
