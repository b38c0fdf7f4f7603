//! Direct messages sealed end to end (docs/protocol.md, "Sealed direct
//! messages"): the text is sealed (libsodium's sealed box: X25519 and
//! XSalsa20-Poly1305) once for each reader, the recipient and the sender
//! (for the sender's other devices and history). Who sent it is not in the
//! box: the Ed25519 signature over the whole payload, ciphertexts included,
//! says that.

use std::collections::BTreeMap;

use rand_chacha::rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use super::signature::{from_base64, to_base64, SecretKeys};

/// The only algorithm so far; a receiver refuses one it does not know.
pub const SEALED_ALG: &str = "x25519-xsalsa20poly1305-sealedbox";
/// What the `text` field of a sealed message says, for clients that cannot open it.
pub const SEALED_PLACEHOLDER: &str = "[encrypted direct message: open it with komunikator]";
/// Readers of one sealed message at most (a hostile one may list many).
const MAX_READERS: usize = 8;

/// The `enc` member of a sealed direct message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    pub alg: String,
    /// Reader's username → the text sealed to that reader's box key, in base64.
    pub to: BTreeMap<String, String>,
}

/// Why a sealed message could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// Not an `enc` object as the protocol writes it, or an unknown algorithm.
    Unreadable,
    /// Sealed for others only.
    NotForUs,
    /// The box did not open with our key (damaged, or sealed to an old key).
    Damaged,
}

impl OpenError {
    pub fn describe(self) -> &'static str {
        match self {
            OpenError::Unreadable => "an encrypted message this client cannot read",
            OpenError::NotForUs => "an encrypted message not sealed to your key",
            OpenError::Damaged => "an encrypted message that does not open with your key (sealed to an old key?)",
        }
    }
}

/// `text` sealed to each `(username, box key)`.
pub fn seal<R: RngCore + CryptoRng>(rng: &mut R, text: &str, readers: &[(&str, [u8; 32])]) -> Sealed {
    let to = readers
        .iter()
        .map(|(user, key)| {
            let sealed = crypto_box::PublicKey::from_bytes(*key)
                .seal(rng, text.as_bytes())
                .expect("sealing in memory cannot fail");
            ((*user).to_owned(), to_base64(&sealed))
        })
        .collect();
    Sealed {
        alg: SEALED_ALG.to_owned(),
        to,
    }
}

/// The text sealed to `me` in the raw JSON of an `enc` member.
pub fn open(keys: &SecretKeys, me: &str, enc: &str) -> Result<String, OpenError> {
    let sealed: Sealed = serde_json::from_str(enc).map_err(|_| OpenError::Unreadable)?;
    if sealed.alg != SEALED_ALG || sealed.to.len() > MAX_READERS {
        return Err(OpenError::Unreadable);
    }
    let ours = sealed.to.get(me).ok_or(OpenError::NotForUs)?;
    let bytes = from_base64(ours).ok_or(OpenError::Unreadable)?;
    let plain = keys.open(&bytes).ok_or(OpenError::Damaged)?;
    String::from_utf8(plain).map_err(|_| OpenError::Damaged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn each_reader_opens_the_same_text_and_no_one_else_does() {
        let (alice, bob, eve) = (
            SecretKeys::from_seed(&[1; 32]),
            SecretKeys::from_seed(&[2; 32]),
            SecretKeys::from_seed(&[3; 32]),
        );
        let mut rng = rand_chacha::ChaCha20Rng::from_seed([7; 32]);
        let sealed = seal(
            &mut rng,
            "meet at noon",
            &[("bob", bob.public().boxing), ("alice", alice.public().boxing)],
        );
        let json = serde_json::to_string(&sealed).unwrap();
        assert!(!json.contains("noon"), "{json}");
        assert_eq!(open(&bob, "bob", &json).as_deref(), Ok("meet at noon"));
        assert_eq!(open(&alice, "alice", &json).as_deref(), Ok("meet at noon"));
        assert_eq!(open(&eve, "eve", &json), Err(OpenError::NotForUs));
        // eve claiming to be bob holds the wrong key.
        assert_eq!(open(&eve, "bob", &json), Err(OpenError::Damaged));
        assert_eq!(open(&bob, "bob", "{}"), Err(OpenError::Unreadable));
        let other_alg = json.replace(SEALED_ALG, "rot13");
        assert_eq!(open(&bob, "bob", &other_alg), Err(OpenError::Unreadable));
        // Two seals of one text differ (a fresh ephemeral key each time).
        let again = seal(&mut rng, "meet at noon", &[("bob", bob.public().boxing)]);
        assert_ne!(again.to["bob"], sealed.to["bob"]);
    }
}
