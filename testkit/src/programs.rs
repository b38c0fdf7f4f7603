//! Finding the programs the tests drive (mosquitto and its tools, tmux).

use std::path::{Path, PathBuf};

use crate::{notice, tools_required, REQUIRE_MOSQUITTO};

/// Finds a program on PATH, or in the sbin directories where Debian puts mosquitto.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `mosquitto` or one of its tools (`mosquitto_passwd`, `_pub`, `_sub`).
/// Missing: `None` after a notice, or a panic when [`REQUIRE_MOSQUITTO`] is `1`.
pub fn mosquitto_tool(name: &str) -> Option<PathBuf> {
    let found = find_program(name);
    if found.is_none() {
        assert!(
            !tools_required(),
            "{name} is not installed, and {REQUIRE_MOSQUITTO}=1 requires it"
        );
        notice(&format!(
            "{name} is not installed: skipping the tests that need it (set {REQUIRE_MOSQUITTO}=1 to fail instead)"
        ));
    }
    found
}
