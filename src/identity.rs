//! Who this client is to the broker: a client id that stays the same for
//! the same user on the same machine, so the broker keeps a session (what
//! was sent to our rooms while we were away) from one run to the next.
//!
//! The id is made once, at random, and kept in the data directory. A lock
//! beside it is held for the whole run: a second instance of the same user
//! cannot take it, and runs under an id of its own, without catch-up,
//! rather than taking the broker session away from the first (a broker
//! closes the older of two connections with one client id).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::net::client_id;
use crate::protocol::ids::session_id;

/// The client id of this run and whether it is the user's stable one.
#[derive(Debug)]
pub struct Identity {
    pub client_id: String,
    /// Why there is no catch-up this run, when there is none.
    pub without_catch_up: Option<String>,
    /// The secret seed of the user's keys: the last will is signed with them.
    pub seed: Option<[u8; 32]>,
    /// Held until exit: the stable id is ours while it is.
    _lock: Option<File>,
}

impl Identity {
    /// A fresh random id, no catch-up (no data directory, or none wanted).
    pub fn random(username: &str, why: impl Into<String>) -> Identity {
        Identity {
            client_id: client_id(username),
            without_catch_up: Some(why.into()),
            seed: None,
            _lock: None,
        }
    }

    /// The stable id of `username` on this machine, from `dir` (created
    /// for the user alone), or a random one when another instance holds it.
    pub fn claim(dir: &Path, username: &str) -> Identity {
        match claim_stable(dir, username) {
            Ok(Some((client_id, lock))) => Identity {
                client_id,
                without_catch_up: None,
                seed: None,
                _lock: Some(lock),
            },
            Ok(None) => Identity::random(
                username,
                format!(
                    "another komunikator runs as {username} on this machine: this one has no catch-up \
                     (messages sent while it is away are not kept for it)"
                ),
            ),
            Err(e) => Identity::random(
                username,
                format!(
                    "no catch-up this time: cannot keep a client id in {}: {e}",
                    dir.display()
                ),
            ),
        }
    }
}

/// Where ids and locks live: `<data dir>/komunikator/ids`.
pub fn default_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("komunikator").join("ids"))
}

fn claim_stable(dir: &Path, username: &str) -> std::io::Result<Option<(String, File)>> {
    crate::history_store::private_dir(dir)?;
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let lock = options.open(dir.join(format!("{username}.lock")))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => return Ok(None),
        Err(fs::TryLockError::Error(e)) => return Err(e),
    }
    let path = dir.join(format!("{username}.id"));
    let mut id = String::new();
    if let Ok(mut file) = File::open(&path) {
        file.read_to_string(&mut id)?;
    }
    let id = id.trim();
    if is_our_id(id, username) {
        return Ok(Some((id.to_owned(), lock)));
    }
    let id = format!("komunikator-{username}-{}", session_id(fastrand::u64(..)));
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path)?;
    file.write_all(id.as_bytes())?;
    file.sync_all()?;
    Ok(Some((id, lock)))
}

/// An id we made for `username` (a hand-edited file is not trusted blindly).
fn is_our_id(id: &str, username: &str) -> bool {
    id.strip_prefix("komunikator-")
        .and_then(|rest| rest.strip_prefix(username))
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|tail| !tail.is_empty() && tail.len() <= 32 && tail.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_stable_and_a_second_instance_gets_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let ids = dir.path().join("ids");
        let first = Identity::claim(&ids, "alice");
        assert!(first.without_catch_up.is_none(), "{first:?}");
        let second = Identity::claim(&ids, "alice");
        assert!(second
            .without_catch_up
            .as_deref()
            .unwrap()
            .contains("another komunikator"));
        assert_ne!(first.client_id, second.client_id);
        let bob = Identity::claim(&ids, "bob");
        assert!(bob.without_catch_up.is_none());
        let kept = first.client_id.clone();
        drop(first);
        let again = Identity::claim(&ids, "alice");
        assert_eq!(again.client_id, kept, "the same id after a restart");
        assert!(again.without_catch_up.is_none());
    }

    #[test]
    fn only_ids_of_our_shape_are_reused() {
        assert!(is_our_id("komunikator-alice-7f3a9c", "alice"));
        assert!(!is_our_id("komunikator-bob-7f3a9c", "alice"));
        assert!(!is_our_id("komunikator-alice-", "alice"));
        assert!(!is_our_id("komunikator-alice-a b", "alice"));
    }
}
