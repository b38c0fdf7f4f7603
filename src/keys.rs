//! The user's key pair and the list of others' keys, on disk.
//!
//! `<data dir>/komunikator/keys/<user>.key` holds the secret seed of the
//! user's keys (made on first run, readable by the user only): lose it and
//! others see a new key for the name. `<data dir>/komunikator/known-keys/
//! <host>_<port>[_<prefix>].txt` is the list of others' keys, a plain file
//! the user may edit (docs/protocol.md, "Signatures and keys").

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::history_store::private_dir;
use crate::protocol::signature::{from_base64, to_base64};
use crate::settings::Settings;

/// What the keys of this run are made of.
pub struct KeyFiles {
    pub seed: [u8; 32],
    /// The known-keys list and its text as read (`None`: no file yet).
    pub known_path: PathBuf,
    pub known_text: Option<String>,
}

impl std::fmt::Debug for KeyFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyFiles({})", self.known_path.display())
    }
}

/// 32 bytes from the operating system's random source.
pub fn random_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("the operating system's random source");
    seed
}

/// Reads (or makes, the first time) the user's keys under `data`
/// (`<data dir>/komunikator`), and reads the known-keys list.
pub fn open(data: &Path, settings: &Settings) -> Result<KeyFiles, String> {
    let dir = data.join("keys");
    let path = dir.join(format!("{}.key", settings.username));
    let seed = load_or_make(&dir, &path).map_err(|e| format!("cannot keep your key in {}: {e}", path.display()))?;
    let known_path = data.join("known-keys").join(format!("{}.txt", network_name(settings)));
    let known_text = match fs::read_to_string(&known_path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read {}: {e}", known_path.display())),
    };
    Ok(KeyFiles {
        seed,
        known_path,
        known_text,
    })
}

/// `<host>_<port>[_<prefix>]`, safe as a file name.
fn network_name(settings: &Settings) -> String {
    let mut name = format!("{}_{}", settings.server, settings.port);
    let prefix = settings.topic_prefix.trim_end_matches('/');
    if !prefix.is_empty() {
        name = format!("{name}_{prefix}");
    }
    name.chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | ':') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect()
}

const KEY_FILE_HEAD: &str = "# komunikator: your secret key (Ed25519 seed). Keep it to yourself; \
                             lose it and others see a new key for your name.\n";

fn load_or_make(dir: &Path, path: &Path) -> std::io::Result<[u8; 32]> {
    private_dir(dir)?;
    if let Ok(mut file) = File::open(path) {
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        narrow(path)?;
        let seed = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .and_then(|l| l.strip_prefix("ed25519-seed "))
            .and_then(from_base64)
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok());
        return seed.ok_or_else(|| std::io::Error::other("the key file is damaged (move it away to make a new key)"));
    }
    let seed = random_seed();
    let text = format!("{KEY_FILE_HEAD}ed25519-seed {}\n", to_base64(&seed));
    match write_private(path, &text, true) {
        Ok(()) => Ok(seed),
        // Another instance made one at the same moment: theirs is the key.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load_or_make(dir, path),
        Err(e) => Err(e),
    }
}

/// A file left readable by others is made the user's alone.
fn narrow(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

/// Writes `text` to `path` (0600) through a file beside it, so a crash
/// leaves the old file or the new one. `new_only`: never replace one.
fn write_private(path: &Path, text: &str, new_only: bool) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        private_dir(parent)?;
    }
    let temp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    drop(file);
    if new_only {
        // A second instance may have made one meanwhile: theirs stands.
        let linked = fs::hard_link(&temp, path);
        fs::remove_file(&temp)?;
        return linked;
    }
    fs::rename(&temp, path)
}

/// Carries out `Effect::SaveKnownKeys`: what to say when it could not be written.
pub fn save_effect(path: Option<&Path>, text: &str) -> Option<crate::app::Event> {
    let path = path?;
    save_known(path, text).err().map(crate::app::Event::Notice)
}

/// Writes the known-keys list again.
pub fn save_known(path: &Path, text: &str) -> Result<(), String> {
    write_private(path, text, false).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use komunikator_core::settings::Mode;

    #[test]
    fn the_key_is_made_once_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings::for_test("alice", &["general"], Mode::Tui);
        let first = open(dir.path(), &settings).unwrap();
        assert!(first.known_text.is_none());
        let again = open(dir.path(), &settings).unwrap();
        assert_eq!(first.seed, again.seed);
        let key = dir.path().join("keys/alice.key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(
                fs::metadata(dir.path().join("keys")).unwrap().permissions().mode() & 0o777,
                0o700
            );
        }
        let bob = open(dir.path(), &Settings::for_test("bob", &["general"], Mode::Tui)).unwrap();
        assert_ne!(bob.seed, first.seed);

        save_known(&first.known_path, "bob KEY\n").unwrap();
        assert_eq!(
            open(dir.path(), &settings).unwrap().known_text.as_deref(),
            Some("bob KEY\n")
        );

        fs::write(&key, "garbage").unwrap();
        let err = open(dir.path(), &settings).unwrap_err();
        assert!(err.contains("damaged"), "{err}");
    }
}
