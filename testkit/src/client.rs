//! The real `komunikator` binary in line mode, with piped standard streams,
//! isolated from the user's own settings.

use std::io::Write;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::{client_binary, Broker, Lines, REQUIRE_MOSQUITTO, WAIT};

/// Set to `5`, `3.1.1` or `auto` to run every client the tests start at that
/// MQTT version (passed on as `KOMUNIKATOR_MQTT`); unset, each speaks its default.
pub const TEST_MQTT: &str = "KOMUNIKATOR_TEST_MQTT";

/// The real `komunikator` binary, in line mode, with piped standard streams.
pub struct Komunikator {
    pub name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    pub stdout: Lines,
    pub stderr: Lines,
}

/// How a finished process ended and everything it printed.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<String>,
    pub stderr: Vec<String>,
}

/// Keeps the user's own config file, environment and log file out of a
/// test run: the client under test sees defaults and the flags it is given,
/// except the MQTT version [`TEST_MQTT`] asks for.
pub fn isolate(command: &mut Command) {
    for (name, _) in std::env::vars() {
        if name.starts_with("KOMUNIKATOR_") && name != REQUIRE_MOSQUITTO {
            command.env_remove(name);
        }
    }
    // The whole suite at one MQTT version (`KOMUNIKATOR_TEST_MQTT=3.1.1
    // cargo test`): a test that needs a version passes `--mqtt`, which wins.
    if let Some(version) = std::env::var_os(TEST_MQTT).filter(|v| !v.is_empty()) {
        command.env("KOMUNIKATOR_MQTT", version);
    }
    let scratch = std::env::temp_dir().join(format!("komunikator-test-home-{}", std::process::id()));
    command
        .env("XDG_CONFIG_HOME", scratch.join("config"))
        .env("XDG_STATE_HOME", scratch.join("state"))
        .env("XDG_CACHE_HOME", scratch.join("cache"))
        .env("XDG_DATA_HOME", fresh_data_home());
}

/// A data directory no other client of this test run uses: each client
/// starts with no history and its own client id, as on a machine of its
/// own. A test that restarts "the same" client passes one directory to both
/// runs (`XDG_DATA_HOME` in `spawn_custom`, or [`crate::tmux::ui_command_home`]).
///
/// Its keys are the user's, though: `komunikator/keys` is shared by every
/// data directory of the test run, so a name keeps its key across restarts
/// as a real user's does, and others never see a key change they did not
/// cause. [`data_home_with_new_keys`] is a user on a new machine.
pub fn fresh_data_home() -> std::path::PathBuf {
    let home = data_home_with_new_keys();
    let shared = test_home().join("keys");
    let app = home.join("komunikator");
    private_dir(&shared);
    private_dir(&app);
    #[cfg(unix)]
    if let Err(e) = std::os::unix::fs::symlink(&shared, app.join("keys")) {
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists, "link the shared keys: {e}");
    }
    home
}

/// A data directory of its own, keys included: the name's key is new.
pub fn data_home_with_new_keys() -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    test_home().join(format!("data-{n}"))
}

fn test_home() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("komunikator-test-home-{}", std::process::id()))
}

fn private_dir(dir: &std::path::Path) {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).expect("a test data directory");
}

impl Komunikator {
    /// `komunikator --no-tui -s 127.0.0.1 -p PORT EXTRA... NAME`; not yet connected.
    pub fn spawn(broker: &Broker, name: &str, extra: &[&str]) -> Komunikator {
        Self::spawn_via(broker.port, name, extra)
    }

    /// Line mode on 127.0.0.1:`port` (a proxy, say) instead of a broker's own port.
    pub fn spawn_via(port: u16, name: &str, extra: &[&str]) -> Komunikator {
        let port = port.to_string();
        let mut args = vec!["--no-tui", "-s", "127.0.0.1", "-p", &port];
        args.extend(extra);
        args.push(name);
        Self::spawn_args(name, &args)
    }

    /// The binary with exactly these arguments.
    pub fn spawn_args(label: &str, args: &[&str]) -> Komunikator {
        Self::spawn_custom(label, args, |_| {})
    }

    /// [`Komunikator::spawn_args`], with the command adjusted by `customize` before it starts.
    pub fn spawn_custom(label: &str, args: &[&str], customize: impl FnOnce(&mut Command)) -> Komunikator {
        let mut child = spawn_piped(args, customize);
        let stdout = Lines::spawn(format!("{label} stdout"), child.stdout.take().expect("piped stdout"));
        let stderr = Lines::spawn(format!("{label} stderr"), child.stderr.take().expect("piped stderr"));
        Komunikator {
            name: label.to_owned(),
            stdin: child.stdin.take(),
            child,
            stdout,
            stderr,
        }
    }

    /// Starts a client and waits until its subscriptions are acknowledged.
    pub fn join(broker: &Broker, name: &str, extra: &[&str]) -> Komunikator {
        let mut client = Self::spawn(broker, name, extra);
        client.wait_ready();
        client
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Waits for the "connected to ..." notice, printed once subscriptions are acknowledged.
    pub fn wait_ready(&mut self) {
        self.stderr.wait_for("saying it is connected", WAIT, |l| {
            l.starts_with("komunikator: connected to ")
        });
    }

    pub fn send_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        writeln!(stdin, "{line}")
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("{}: cannot write to stdin: {e}", self.name));
    }

    /// Ends standard input: a clean quit.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Hands standard input over, e.g. to a thread that writes a lot into it;
    /// dropping it is the end of input.
    pub fn take_stdin(&mut self) -> ChildStdin {
        self.stdin.take().expect("stdin is still open")
    }

    /// How the process ended, if it has; never waits.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("try_wait")
    }

    /// SIGKILL: no goodbye, the broker has to publish the will.
    pub fn kill_hard(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap after SIGKILL");
    }

    pub fn signal(&self, signal: crate::Signal) {
        crate::procfs::send_signal(self.pid(), signal);
    }

    /// Waits for the process to exit by itself and for the end of its
    /// output; kills it and panics with what it printed after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let transcript = self.transcript();
                panic!("{} did not exit within {timeout:?}\n{transcript}", self.name);
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        self.stdout.read_to_end(WAIT);
        self.stderr.read_to_end(WAIT);
        status
    }

    /// Waits for the process to exit by itself, then collects all its output.
    pub fn finish(mut self, timeout: Duration) -> Finished {
        let status = self.wait_exit(timeout);
        Finished {
            status,
            stdout: self.stdout.seen().to_vec(),
            stderr: self.stderr.seen().to_vec(),
        }
    }

    /// The next stderr line (after the last one this returned) containing
    /// `needle`; panics with all the output after `within`.
    pub fn expect_stderr(&mut self, needle: &str, within: Duration) -> String {
        match self.stderr.next_containing(needle, within) {
            Some(line) => line,
            None => panic!(
                "no stderr line with {needle:?} within {within:?}\n{}",
                self.transcript()
            ),
        }
    }

    /// [`Komunikator::expect_stderr`] for stdout.
    pub fn expect_stdout(&mut self, needle: &str, within: Duration) -> String {
        match self.stdout.next_containing(needle, within) {
            Some(line) => line,
            None => panic!(
                "no stdout line with {needle:?} within {within:?}\n{}",
                self.transcript()
            ),
        }
    }

    /// Waits for `komunikator: connected to ... as NAME`.
    pub fn expect_connected(&mut self, name: &str) -> String {
        self.expect_stderr(&format!("as {name}"), Duration::from_secs(10))
    }

    /// Everything it printed so far, for failure messages.
    pub fn transcript(&mut self) -> String {
        let stdout = self.stdout.seen().join("\n");
        format!("--- stdout:\n{stdout}\n--- stderr:\n{}", self.stderr.seen().join("\n"))
    }

    /// Closes stdin and waits for a clean exit (status 0).
    pub fn quit(mut self) -> Finished {
        self.close_stdin();
        let name = self.name.clone();
        let done = self.finish(WAIT);
        assert!(
            done.status.success(),
            "{name} exited with {:?} after end of input; stderr:\n{}",
            done.status,
            done.stderr.join("\n")
        );
        done
    }
}

impl Drop for Komunikator {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The binary, isolated from the user's settings, with these arguments and
/// all three standard streams piped (and not read: that is up to the caller).
pub fn spawn_piped(args: &[&str], customize: impl FnOnce(&mut Command)) -> Child {
    let mut command = Command::new(client_binary());
    isolate(&mut command);
    customize(&mut command);
    command
        .args(args)
        .env("TZ", "UTC")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start komunikator")
}

/// Runs the binary with these arguments and no broker, stdin left open (so
/// it does not quit for lack of input), until it exits.
pub fn run_to_exit(args: &[&str]) -> Finished {
    Komunikator::spawn_args("komunikator", args).finish(WAIT)
}
