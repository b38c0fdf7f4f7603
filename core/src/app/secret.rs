//! Our own keys at work: what we send is signed, direct messages are sealed
//! to the recipient's box key, what arrives is checked against the key ring.

use std::collections::{BTreeSet, VecDeque};
use std::hash::Hasher;

use chrono::{DateTime, Utc};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use siphasher::sip::SipHasher13;

use super::keyring::Auth;

use super::room::Verdict;
use super::{Effect, State};
use crate::protocol::payload::MAX_SHOWN_TEXT_BYTES;
use crate::protocol::sealed::{self, OpenError, Sealed};
use crate::protocol::signature::{PublicKeys, SecretKeys};
use crate::protocol::ChatIn;

/// Signatures checked per second at most, after a burst: checking one costs
/// tens of microseconds, so a flood from a known name would otherwise make
/// the check, not the network, what limits the client. Past it, messages are
/// shown marked `⚠ unchecked` (never as verified) and the count is said.
pub(super) const CHECKS_PER_SECOND: f64 = 5_000.0;
const CHECK_BURST: f64 = 2_000.0;
/// How often the count of unchecked messages is said, at most.
const UNCHECKED_TOLD_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(10);

/// A token bucket for signature checks, on the state's clock.
#[derive(Debug)]
pub(super) struct CheckBudget {
    tokens: f64,
    at: Option<DateTime<Utc>>,
    /// Messages left unchecked since last said, and when it was last said.
    unchecked: u64,
    told_at: Option<DateTime<Utc>>,
}

impl Default for CheckBudget {
    fn default() -> Self {
        CheckBudget {
            tokens: CHECK_BURST,
            at: None,
            unchecked: 0,
            told_at: None,
        }
    }
}

impl CheckBudget {
    fn take(&mut self, now: DateTime<Utc>) -> bool {
        if let Some(at) = self.at {
            let secs = (now - at).num_microseconds().unwrap_or(i64::MAX).max(0) as f64 / 1e6;
            self.tokens = (self.tokens + secs * CHECKS_PER_SECOND).min(CHECK_BURST);
        }
        self.at = Some(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            self.unchecked += 1;
            false
        }
    }
}

pub(super) struct OwnKeys {
    keys: SecretKeys,
    /// For the ephemeral keys of sealed boxes; seeded by the front end from the OS.
    rng: ChaCha20Rng,
    /// What we published lately, hashed: our own messages coming back
    /// byte for byte need no second check of the signature we made.
    sent: SentDigests,
}

/// Keyed hashes of the last payloads we published.
struct SentDigests {
    keys: (u64, u64),
    order: VecDeque<u64>,
    set: BTreeSet<u64>,
}

/// Our own messages remembered (more than the outbox holds, for its echoes).
const SENT_REMEMBERED: usize = 2 * super::OUTBOX_CAP;

impl SentDigests {
    fn digest(&self, payload: &[u8]) -> u64 {
        let mut hasher = SipHasher13::new_with_keys(self.keys.0, self.keys.1);
        hasher.write(payload);
        hasher.finish()
    }

    fn remember(&mut self, payload: &[u8]) {
        let digest = self.digest(payload);
        if self.set.insert(digest) {
            self.order.push_back(digest);
            if self.order.len() > SENT_REMEMBERED {
                if let Some(old) = self.order.pop_front() {
                    self.set.remove(&old);
                }
            }
        }
    }

    fn contains(&self, payload: &[u8]) -> bool {
        self.set.contains(&self.digest(payload))
    }
}

impl State {
    /// Our key pair (from its secret seed), and a seed for the random
    /// numbers sealing needs. Without them nothing is signed or sealed.
    pub fn set_keys(&mut self, seed: &[u8; 32], rng_seed: [u8; 32]) {
        let keys = SecretKeys::from_seed(seed);
        let public = keys.public();
        self.keyring
            .remember_own(&self.settings.username, public.sign, public.boxing);
        self.secret = Some(OwnKeys {
            keys,
            rng: ChaCha20Rng::from_seed(rng_seed),
            sent: SentDigests {
                keys: self.entropy.hash_keys(),
                order: VecDeque::new(),
                set: BTreeSet::new(),
            },
        });
    }

    /// Reads the known-keys file; returns what could not be read in it.
    pub fn load_known_keys(&mut self, text: &str) -> Vec<String> {
        let problems = self.keyring.load(text);
        // Our own name is ours, whatever the file says.
        if let Some(public) = self.public_keys() {
            self.keyring
                .remember_own(&self.settings.username, public.sign, public.boxing);
        }
        problems
    }

    pub fn public_keys(&self) -> Option<PublicKeys> {
        self.secret.as_ref().map(|own| own.keys.public())
    }

    /// Whether what we send in this direct conversation is end-to-end
    /// encrypted (the lock shown with it).
    pub fn direct_sealed(&self, room: &str) -> bool {
        room.strip_prefix('@')
            .is_some_and(|peer| self.secret.is_some() && self.keyring.box_key(peer).is_some())
    }

    /// A warning to show with a person's name in lists: a new key not yet
    /// accepted, a key not trusted, a name like another's.
    pub fn person_warning(&self, name: &str) -> Option<&'static str> {
        if self.keyring.pending(name).is_some() {
            Some("⚠ new key")
        } else if self.keyring.get(name).is_some_and(|k| !k.trusted) {
            Some("⚠ untrusted")
        } else if self.lookalikes.found(name).is_some() {
            Some("⚠ lookalike")
        } else {
            None
        }
    }

    /// `payload` signed for `topic` (as it is without keys).
    pub(super) fn signed(&self, topic: &str, payload: Vec<u8>) -> Vec<u8> {
        match &self.secret {
            Some(own) if payload.last() == Some(&b'}') => own.keys.sign(topic, payload),
            _ => payload,
        }
    }

    /// A chat or direct message we send, signed, and remembered so that
    /// its echo is known for ours without checking the signature again.
    pub(super) fn signed_message(&mut self, topic: &str, payload: Vec<u8>) -> Vec<u8> {
        let payload = self.signed(topic, payload);
        if let Some(own) = &mut self.secret {
            own.sent.remember(&payload);
        }
        payload
    }

    /// `text` sealed to `peer` and to us, when `peer`'s box key is trusted.
    /// While a new key of theirs waits, it is sealed to the remembered one
    /// (and the user is told: the new key's holder cannot read it).
    pub(super) fn seal_direct(&mut self, peer: &str, text: &str, fx: &mut Vec<Effect>) -> Option<Sealed> {
        let theirs = self.keyring.box_key(peer)?;
        if self.keyring.pending(peer).is_some() {
            let text = format!(
                "⚠ sealed to {peer}'s remembered key: {peer}'s new key cannot open it (/whois {peer}, then /trust {peer} if the new key is theirs)"
            );
            self.notice(text, fx);
        }
        let me = self.settings.username.clone();
        let own = self.secret.as_mut()?;
        let ours = own.keys.public().boxing;
        Some(sealed::seal(&mut own.rng, text, &[(peer, theirs), (&me, ours)]))
    }

    /// Whether a direct message to `peer`, who has no trusted key, may go
    /// unencrypted: only once the user was told. The UI asks for the line
    /// to be sent again; line mode says so on stderr and sends it.
    pub(super) fn clear_direct_allowed(&mut self, index: usize, peer: &str, fx: &mut Vec<Effect>) -> bool {
        if self.secret.is_none() || self.rooms[index].clear_confirmed {
            return true;
        }
        self.rooms[index].clear_confirmed = true;
        let why = match self.keyring.get(peer) {
            Some(known) if !known.trusted => format!("{peer}'s key is not trusted (/untrust)"),
            Some(_) => format!("{peer} announced no box key (an older komunikator?)"),
            None => format!("no key is known for {peer} (not seen online, or not a komunikator)"),
        };
        if self.line_mode() {
            let text = format!("⚠ {why}: direct messages to {peer} go unencrypted; the broker and anyone allowed to read dm/{peer} can read them");
            self.notice(text, fx);
            return true;
        }
        let text = format!(
            "⚠ {why}: this message would go unencrypted, readable by the broker and anyone allowed to read dm/{peer}. Press Enter again to send it so."
        );
        self.notice(text, fx);
        false
    }

    pub(super) fn open_direct(&self, enc: &str) -> Result<String, OpenError> {
        let own = self.secret.as_ref().ok_or(OpenError::Unreadable)?;
        sealed::open(&own.keys, &self.settings.username, enc)
    }

    /// What can be told about who sent `chat_in` (arrived on `topic` as
    /// `payload`); a sealed direct message is opened here.
    pub(super) fn check_arrival(&mut self, topic: &str, payload: &[u8], chat_in: &mut ChatIn) -> Verdict {
        let mut verdict = Verdict::default();
        if let Some(user) = &chat_in.user {
            let ours =
                *user == self.settings.username && self.secret.as_ref().is_some_and(|own| own.sent.contains(payload));
            verdict.auth = if ours {
                Auth::Signed
            } else if self.keyring.needs_signature_check(user, payload) && !self.check_budget.take(self.now) {
                Auth::Unchecked
            } else {
                self.keyring.check_chat(user, topic, payload)
            };
            verdict.lookalike = self.lookalikes.see(user);
        }
        if let Some(enc) = chat_in.enc.take() {
            match self.open_direct(&enc) {
                Ok(mut text) => {
                    if text.len() > MAX_SHOWN_TEXT_BYTES {
                        let mut end = MAX_SHOWN_TEXT_BYTES;
                        while !text.is_char_boundary(end) {
                            end -= 1;
                        }
                        chat_in.cut = text.len() - end;
                        text.truncate(end);
                    }
                    chat_in.text = text;
                    verdict.sealed = true;
                }
                Err(why) => chat_in.text = format!("[{}]", why.describe()),
            }
        }
        verdict
    }

    /// Says, at most every ten seconds, how many messages went unchecked.
    pub(super) fn tell_unchecked(&mut self, fx: &mut Vec<Effect>) {
        let budget = &mut self.check_budget;
        if budget.unchecked == 0 || budget.told_at.is_some_and(|at| self.now - at < UNCHECKED_TOLD_EVERY) {
            return;
        }
        let text = format!(
            "⚠ {} message(s) shown unchecked: signed messages came faster than the {} a second this client checks",
            budget.unchecked, CHECKS_PER_SECOND as u64
        );
        budget.unchecked = 0;
        budget.told_at = Some(self.now);
        self.notice(text, fx);
    }

    /// The known-keys file to write again, when the ring changed.
    pub(super) fn save_keys_if_changed(&mut self, fx: &mut Vec<Effect>) {
        if self.keyring.take_changed() {
            let mut network = format!("{}:{}", self.settings.server, self.settings.port);
            if !self.settings.topic_prefix.is_empty() {
                network = format!("{network} (topic prefix {})", self.settings.topic_prefix);
            }
            fx.push(Effect::SaveKnownKeys(self.keyring.to_file(&network)));
        }
    }
}
