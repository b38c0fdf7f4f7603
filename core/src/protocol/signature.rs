//! Signatures and keys (docs/protocol.md, "Signatures and keys").
//!
//! A signed payload is the JSON object as sent with one more member at its
//! end, `,"sig":"<base64 of 64 bytes>"`, written exactly so, right before
//! the closing brace. The signature is Ed25519 over
//! `komunikator-sig-1 LF <topic> LF <the payload with that member removed>`:
//! every field, known or not, and the topic it was published on, so a
//! signed line cannot be replayed into another room or to another person.
//! Signing the bytes as sent, rather than a re-encoding of the fields,
//! means no two implementations need to agree on how to write JSON.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// What the signed bytes start with: a signature made for anything else
/// never verifies here.
pub const SIGNATURE_CONTEXT: &[u8] = b"komunikator-sig-1\n";
/// How the signature member starts; it is the payload's last member.
const SIG_MEMBER: &[u8] = b",\"sig\":\"";
/// 64 bytes in padded base64.
const SIG_B64_LEN: usize = 88;
/// The member, its value, its closing quote and the object's brace.
const SIG_TAIL_LEN: usize = SIG_MEMBER.len() + SIG_B64_LEN + 2;
/// Where the box (encryption) key comes from: the same seed, hashed apart,
/// so the signing key is never used for key exchange.
const BOX_KEY_CONTEXT: &[u8] = b"komunikator-box-key-1\n";

/// The user's key pair: an Ed25519 signing key and an X25519 box key, both
/// from one secret seed.
pub struct SecretKeys {
    signing: SigningKey,
    boxing: crypto_box::SecretKey,
}

impl std::fmt::Debug for SecretKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKeys({})", fingerprint(&self.public().sign))
    }
}

/// A user's public keys, as announced in presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKeys {
    /// Ed25519: verifies what the user signs; its fingerprint is the user's.
    pub sign: [u8; 32],
    /// X25519: direct messages to the user are sealed to it.
    pub boxing: [u8; 32],
}

impl SecretKeys {
    pub fn from_seed(seed: &[u8; 32]) -> SecretKeys {
        let boxing: [u8; 32] = Sha256::new()
            .chain_update(BOX_KEY_CONTEXT)
            .chain_update(seed)
            .finalize()
            .into();
        SecretKeys {
            signing: SigningKey::from_bytes(seed),
            boxing: crypto_box::SecretKey::from_bytes(boxing),
        }
    }

    pub fn public(&self) -> PublicKeys {
        PublicKeys {
            sign: self.signing.verifying_key().to_bytes(),
            boxing: *self.boxing.public_key().as_bytes(),
        }
    }

    /// `payload` (a JSON object, written compactly) signed for `topic`.
    pub fn sign(&self, topic: &str, mut payload: Vec<u8>) -> Vec<u8> {
        debug_assert_eq!(payload.last(), Some(&b'}'));
        let signature = self.signing.sign(&signed_bytes(topic, &payload[..payload.len() - 1]));
        payload.pop();
        payload.extend_from_slice(SIG_MEMBER);
        let at = payload.len();
        payload.resize(at + SIG_B64_LEN, 0);
        B64.encode_slice(signature.to_bytes(), &mut payload[at..])
            .expect("88 bytes hold 64 in base64");
        payload.extend_from_slice(b"\"}");
        payload
    }

    /// Opens a sealed box made for our box key.
    pub fn open(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        self.boxing.unseal(sealed).ok()
    }
}

/// `komunikator-sig-1 LF topic LF` and the object up to (not with) the
/// signature member, closed again.
fn signed_bytes(topic: &str, unsigned_open: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(SIGNATURE_CONTEXT.len() + topic.len() + unsigned_open.len() + 2);
    bytes.extend_from_slice(SIGNATURE_CONTEXT);
    bytes.extend_from_slice(topic.as_bytes());
    bytes.push(b'\n');
    bytes.extend_from_slice(unsigned_open);
    bytes.push(b'}');
    bytes
}

/// Where the signature member starts and the signature, when `payload`
/// ends with one written as the protocol says.
pub fn find_signature(payload: &[u8]) -> Option<(usize, Signature)> {
    let at = payload.len().checked_sub(SIG_TAIL_LEN)?;
    let tail = &payload[at..];
    if !tail.starts_with(SIG_MEMBER) || !tail.ends_with(b"\"}") {
        return None;
    }
    let encoded = &tail[SIG_MEMBER.len()..SIG_MEMBER.len() + SIG_B64_LEN];
    let mut raw = [0u8; 66];
    let len = B64.decode_slice(encoded, &mut raw).ok()?;
    let bytes: [u8; 64] = raw[..len].try_into().ok()?;
    Some((at, Signature::from_bytes(&bytes)))
}

/// Whether a payload is signed at all (a signature member at its end).
pub fn is_signed(payload: &[u8]) -> bool {
    find_signature(payload).is_some()
}

/// What a payload's signature says about one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Signed by this key, for this topic, as it arrived.
    Valid,
    /// Signed, but not by this key for this topic and these bytes.
    Invalid,
    Unsigned,
}

/// A key ready to verify with (decompressed once: that is half the cost).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verifier(VerifyingKey);

impl Verifier {
    pub fn new(key: &[u8; 32]) -> Option<Verifier> {
        VerifyingKey::from_bytes(key).ok().map(Verifier)
    }

    pub fn check(&self, topic: &str, payload: &[u8]) -> Check {
        let Some((at, signature)) = find_signature(payload) else {
            return Check::Unsigned;
        };
        match self.0.verify_strict(&signed_bytes(topic, &payload[..at]), &signature) {
            Ok(()) => Check::Valid,
            Err(_) => Check::Invalid,
        }
    }
}

/// A key in padded base64, as presence carries it.
pub fn key_to_base64(key: &[u8; 32]) -> String {
    B64.encode(key)
}

pub fn key_from_base64(text: &str) -> Option<[u8; 32]> {
    if text.len() != 44 {
        return None;
    }
    let mut raw = [0u8; 34];
    let len = B64.decode_slice(text, &mut raw).ok()?;
    raw[..len].try_into().ok()
}

/// Bytes in padded base64 (sealed boxes).
pub fn to_base64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

pub fn from_base64(text: &str) -> Option<Vec<u8>> {
    B64.decode(text).ok()
}

/// A key's fingerprint in a form two people can read to each other: six
/// groups of five digits (30 digits, about 100 bits of SHA-256 of the key).
pub fn fingerprint(key: &[u8; 32]) -> String {
    let digest = Sha256::digest(key);
    digest[..30]
        .chunks(5)
        .map(|chunk| {
            let n = chunk.iter().fold(0u64, |n, &b| n << 8 | u64::from(b));
            format!("{:05}", n % 100_000)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
#[path = "signature_tests.rs"]
mod tests;
