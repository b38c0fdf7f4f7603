//! `--completions SHELL` and `--man`: the shell completion scripts and the
//! man page, made from the flags themselves so that they never disagree
//! (the copies under `assets/` are checked against these by `tests/assets.rs`).

use std::io::{self, Write};

use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

/// The completion script for `shell`.
fn completions(shell: Shell, out: &mut impl Write) {
    clap_complete::generate(shell, &mut Cli::command(), "komunikator", out);
}

/// The man page, in roff.
fn man(out: &mut impl Write) -> io::Result<()> {
    clap_mangen::Man::new(Cli::command()).render(out)
}

/// Prints what `cli` asks for (a completion script or the man page) and
/// exits 0, before any setting is read or anything connects; returns when
/// it asks for neither.
pub(super) fn print_and_exit_if_asked(cli: &Cli) {
    let mut buffer = Vec::new();
    if let Some(shell) = cli.completions {
        completions(shell, &mut buffer);
    } else if cli.man {
        man(&mut buffer).expect("writing to memory does not fail");
    } else {
        return;
    }
    let mut stdout = io::stdout().lock();
    match stdout.write_all(&buffer).and_then(|()| stdout.flush()) {
        // A pager or `head` that stopped reading has what it wanted.
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!("komunikator: cannot write to stdout: {e}");
            std::process::exit(1);
        }
        _ => std::process::exit(0),
    }
}
