//! The log: always a file, never the terminal (the full-screen UI owns it,
//! and line mode's stderr is for the person). Level from `RUST_LOG`.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Connection changes and problems from us, only warnings from libraries.
pub const DEFAULT_FILTER: &str = "warn,komunikator=info";

/// A log larger than this is moved aside to `<name>.old` at start, so it
/// cannot grow without bound.
const ROTATE_AT: u64 = 4 * 1024 * 1024;

/// Starts logging to `path`; on failure nothing is logged and the caller
/// gets the reason to tell the person.
pub fn init(path: &Path) -> Result<(), String> {
    let file = open(path).map_err(|e| format!("cannot open the log file {}: {e}; logging is off", path.display()))?;
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(DEFAULT_FILTER))
        .target(env_logger::Target::Pipe(Box::new(file)))
        .format(|out, record| {
            writeln!(
                out,
                "{} {:<5} {}: {}",
                chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"),
                record.level(),
                record.target(),
                record.args()
            )
        })
        .try_init()
        .map_err(|e| format!("cannot start logging: {e}"))
}

fn open(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    if std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > ROTATE_AT) {
        let mut old = PathBuf::from(path);
        old.as_mut_os_string().push(".old");
        std::fs::rename(path, old)?;
    }
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        // Server and user names are nobody else's business.
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_creates_the_directory_and_rotates_a_big_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state").join("komunikator.log");
        drop(open(&path).unwrap());
        assert!(path.exists());
        std::fs::write(&path, vec![b'x'; ROTATE_AT as usize + 1]).unwrap();
        let mut file = open(&path).unwrap();
        writeln!(file, "fresh").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "fresh\n");
        assert!(dir.path().join("state").join("komunikator.log.old").exists());
    }
}
