//! Ids this client makes up (message ids, presence session ids) and the keys
//! that hash the ids it has seen, all drawn from one [`Entropy`] the caller
//! seeds.
//!
//! The core never asks the OS for randomness: the program's edge passes a
//! random seed in, and tests pass a fixed one so that runs repeat. A seeded
//! PRNG is enough here because ids promise uniqueness, not secrecy
//! (docs/protocol.md: "unique per message"): anyone on the broker reads
//! every id anyway. What must stay unguessable are the keys of the seen-ids
//! hash (otherwise a sender could pick ids that collide on purpose and get
//! messages dropped as repeats). wyrand, the PRNG behind message ids, is not
//! built to hide its state from someone who reads its output, so those keys
//! are not drawn from it: they come from SipHash of the seed, which the ids
//! reveal nothing about.

use std::hash::Hasher;

use chrono::{DateTime, Utc};
use siphasher::sip::SipHasher13;

/// The caller's random seed, stretched into everything this client makes up.
#[derive(Debug, Clone)]
pub struct Entropy {
    seed: u64,
    /// Random bits of message ids.
    ids: fastrand::Rng,
    /// How many key pairs [`Entropy::hash_keys`] has handed out.
    keys_drawn: u64,
    /// The millisecond and random part of the latest message id.
    last_id: (i64, u128),
}

/// Labels that keep the values derived from one seed apart.
const FOR_IDS: u64 = 0;
const FOR_HASH_KEYS: u64 = 1;

impl Entropy {
    /// `seed` should be random in the program (64 bits from the OS), and
    /// may be a constant in tests.
    pub fn from_seed(seed: u64) -> Self {
        Entropy {
            seed,
            ids: fastrand::Rng::with_seed(derive(seed, FOR_IDS, 0)),
            keys_drawn: 0,
            last_id: (i64::MIN, 0),
        }
    }

    /// A new message id made at `now` (see [`message_id`]).
    /// Ids of one millisecond count up from the first one's random part
    /// (monotonic ULIDs): sorted by id, one sender's messages keep the order
    /// they were sent in, as the history orders them.
    pub fn message_id(&mut self, now: DateTime<Utc>) -> String {
        let millis = now.timestamp_millis();
        let random = match self.last_id {
            (last, random) if last == millis && random & ((1 << 80) - 1) != (1 << 80) - 1 => random + 1,
            // Room to count up in a burst, never near the top of the range.
            _ => self.ids.u128(..) & ((1 << 79) - 1),
        };
        self.last_id = (millis, random);
        message_id(now, random)
    }

    /// A random number below `n` (for spreading answers over time).
    pub fn below(&mut self, n: u64) -> u64 {
        self.ids.u64(..n.max(1))
    }

    /// A fresh pair of keys for a keyed hash (SipHash), different each call.
    pub fn hash_keys(&mut self) -> (u64, u64) {
        self.keys_drawn += 1;
        let n = self.keys_drawn;
        (
            derive(self.seed, FOR_HASH_KEYS, 2 * n),
            derive(self.seed, FOR_HASH_KEYS, 2 * n + 1),
        )
    }
}

/// A value from `seed` that tells nothing about `seed` or about the values
/// for other `(label, n)`: SipHash is a pseudo-random function of its key.
fn derive(seed: u64, label: u64, n: u64) -> u64 {
    let mut hasher = SipHasher13::new_with_keys(seed, label);
    hasher.write_u64(n);
    hasher.finish()
}

/// A ULID: 48 bits of milliseconds then the low 80 bits of `random`,
/// Crockford base32. Two ids of the same millisecond differ in their random
/// part (a repeat is as likely as two random 80-bit numbers being equal).
pub fn message_id(now: DateTime<Utc>, random: u128) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let millis = now.timestamp_millis().max(0) as u128 & ((1 << 48) - 1);
    let random = random & ((1 << 80) - 1);
    let value = (millis << 80) | random;
    (0..26)
        .rev()
        .map(|i| ALPHABET[((value >> (i * 5)) & 31) as usize] as char)
        .collect()
}

/// A short id for one connection (docs/protocol.md `session`): 12 hex digits
/// from the low 48 bits of `random`.
pub fn session_id(random: u64) -> String {
    format!("{:012x}", random & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_one_millisecond_sort_in_the_order_they_were_made() {
        let mut entropy = Entropy::from_seed(7);
        let now = DateTime::<Utc>::UNIX_EPOCH + chrono::TimeDelta::days(20_000);
        let ids: Vec<String> = (0..100).map(|_| entropy.message_id(now)).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        sorted.dedup();
        assert_eq!(sorted.len(), 100);
    }
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 14, 3, 7).unwrap() + chrono::Duration::milliseconds(123)
    }

    #[test]
    fn ids_are_unique_ulids() {
        let mut entropy = Entropy::from_seed(7);
        let a = entropy.message_id(at());
        let b = entropy.message_id(at());
        assert_eq!(a.len(), 26);
        assert_ne!(a, b);
        assert_eq!(a[..10], b[..10], "same millisecond, same time prefix");
        let many: std::collections::HashSet<String> = (0..10_000).map(|_| entropy.message_id(at())).collect();
        assert_eq!(many.len(), 10_000);
        assert_eq!(session_id(u64::MAX).len(), 12);
        assert_eq!(session_id(0x1234), "000000001234");
    }

    #[test]
    fn the_ulid_layout_is_time_then_random() {
        assert_eq!(message_id(DateTime::<Utc>::UNIX_EPOCH, 0), "0".repeat(26));
        assert_eq!(
            message_id(DateTime::<Utc>::UNIX_EPOCH, u128::MAX),
            format!("0000000000{}", "Z".repeat(16))
        );
        assert_eq!(&message_id(at(), 0)[..10], "01M89G8VFK");
    }

    #[test]
    fn a_seed_repeats_its_ids_and_other_seeds_do_not() {
        let ids = |seed| {
            let mut entropy = Entropy::from_seed(seed);
            (entropy.message_id(at()), entropy.hash_keys(), entropy.hash_keys())
        };
        assert_eq!(ids(1), ids(1));
        assert_ne!(ids(1).0, ids(2).0);
        let (_, first, second) = ids(1);
        assert_ne!(first, second, "each draw gives new keys");
        assert_ne!(first, ids(2).1);
    }
}
