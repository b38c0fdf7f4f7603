//! The completion scripts and the man page kept in `assets/` are what the
//! binary prints: a flag added or changed without remaking them fails here
//! (`assets/generate.sh` remakes them).

use std::path::Path;
use std::process::{Command, Output};

fn komunikator(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_komunikator"))
        .args(args)
        .env_remove("KOMUNIKATOR_SERVER")
        .output()
        .expect("komunikator runs")
}

#[test]
fn the_files_in_assets_are_what_the_binary_prints() {
    let cases = [
        (&["--completions", "bash"][..], "completions/komunikator.bash"),
        (&["--completions", "zsh"][..], "completions/_komunikator"),
        (&["--completions", "fish"][..], "completions/komunikator.fish"),
        (&["--man"][..], "man/komunikator.1"),
    ];
    for (args, file) in cases {
        let printed = komunikator(args);
        assert!(printed.status.success(), "{args:?}: {printed:?}");
        assert!(
            printed.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&printed.stderr)
        );
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets").join(file);
        let kept = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            kept == printed.stdout,
            "assets/{file} is out of date: run assets/generate.sh (it differs from `komunikator {}`)",
            args.join(" ")
        );
    }
}

#[test]
fn printing_them_never_connects() {
    // Port 9 (discard): a connection attempt there would fail with status 1.
    for args in [&["--man"][..], &["--completions", "fish"][..]] {
        let mut args = args.to_vec();
        args.extend(["-s", "127.0.0.1", "-p", "9", "--no-tui", "alice"]);
        let done = komunikator(&args);
        assert_eq!(done.status.code(), Some(0), "{args:?}: {done:?}");
        assert!(!done.stdout.is_empty() && done.stderr.is_empty(), "{args:?}: {done:?}");
    }
}

#[test]
fn completions_offer_the_flags() {
    let bash = String::from_utf8(komunikator(&["--completions", "bash"]).stdout).unwrap();
    for flag in ["--server", "--room", "--completions", "--man"] {
        assert!(bash.contains(flag), "{flag} missing from the bash completions");
    }
    let refused = komunikator(&["--completions", "tcsh"]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
}
