//! The tests' own hands on the wire: `mosquitto_pub` and `mosquitto_sub`,
//! logged in through the broker's ACL like anyone else, and mosquitto's log.

use super::*;

impl Net {
    /// Publishes `payload` on `topic` with `mosquitto_pub`, logged in as
    /// `login` (QoS 1: the broker has taken it when this returns).
    pub(super) fn publish_as(&self, login: &str, topic: &str, payload: &str) {
        let port = self.port();
        let password = password(login);
        let mut command = Command::new(&self.mosquitto_pub);
        command.args(["-h", "127.0.0.1", "-p", &port, "-u", login, "-P", &password, "-q", "1"]);
        command.args(["-t", topic, "-m", payload]);
        let output = run_bounded(&mut command);
        assert!(
            output.status.success(),
            "mosquitto_pub as {login} to {topic} failed: {}",
            said(&output)
        );
    }

    /// Clears the retained message on `topic`, logged in as `login`.
    pub(super) fn clear_retained(&self, login: &str, topic: &str) {
        let port = self.port();
        let password = password(login);
        let mut command = Command::new(&self.mosquitto_pub);
        command.args(["-h", "127.0.0.1", "-p", &port, "-u", login, "-P", &password, "-q", "1"]);
        command.args(["-t", topic, "-r", "-n"]);
        let output = run_bounded(&mut command);
        assert!(
            output.status.success(),
            "clearing {topic} as {login} failed: {}",
            said(&output)
        );
    }

    /// `mosquitto_sub -v` on `filter`, logged in as `login`, once the
    /// broker has acknowledged its subscription.
    pub(super) fn watch(&self, login: &str, filter: &str) -> Watcher {
        let id = format!("trust-watcher-{}", fastrand::u32(..));
        let port = self.port();
        let password = password(login);
        let mut child = Command::new(&self.mosquitto_sub)
            .args(["-h", "127.0.0.1", "-p", &port, "-u", login, "-P", &password, "-i", &id])
            .args(["-q", "1", "-v", "-t", filter])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mosquitto_sub");
        let lines = Lines::spawn(
            format!("mosquitto_sub {filter}"),
            child.stdout.take().expect("piped stdout"),
        );
        let watcher = Watcher { child, lines };
        wait_log(&self.broker, &format!("Sending SUBACK to {id}"));
        watcher
    }
}

/// A `mosquitto_sub -v` running: one line `TOPIC PAYLOAD` per message.
pub(super) struct Watcher {
    child: Child,
    lines: Lines,
}

impl Watcher {
    /// The payload of the first message on `topic` so far that has
    /// `needle`, waiting for it.
    pub(super) fn payload_on(&mut self, topic: &str, needle: &str) -> String {
        let head = format!("{topic} ");
        let line = self.lines.wait_for(&format!("on {topic} with {needle:?}"), WAIT, |l| {
            l.starts_with(&head) && l.contains(needle)
        });
        line[head.len()..].to_owned()
    }

    /// Everything it printed so far.
    pub(super) fn seen(&mut self) -> Vec<String> {
        self.lines.seen().to_vec()
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a tool to its end, killing it after [`WAIT`]; how it ended and
/// what it printed.
pub(super) fn run_bounded(command: &mut Command) -> std::process::Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start a mosquitto tool");
    let deadline = Instant::now() + WAIT;
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} did not finish within {WAIT:?}");
        }
        sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("its output")
}

/// What a tool said, for failure messages.
pub(super) fn said(output: &std::process::Output) -> String {
    format!(
        "{}: {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Waits until mosquitto's log has `needle`.
pub(super) fn wait_log(broker: &Broker, needle: &str) {
    let deadline = Instant::now() + WAIT;
    while !broker.log_text().contains(needle) {
        assert!(
            Instant::now() < deadline,
            "mosquitto did not log {needle:?} within {WAIT:?}:\n{}",
            broker.log_text()
        );
        sleep(Duration::from_millis(50));
    }
}
