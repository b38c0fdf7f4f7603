//! mosquitto's own clients against a TLS broker: `mosquitto_sub` as a
//! watcher, `mosquitto_pub` to publish as some login.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::TlsBroker;
use crate::{find_program, Lines};

/// A `mosquitto_sub` printing `topic payload` lines, stopped on drop.
pub struct Watcher {
    child: Child,
    pub lines: Lines,
}

impl Watcher {
    pub fn start(broker: &TlsBroker, user: &str, password: &str, topics: &[&str]) -> Watcher {
        let sub = find_program("mosquitto_sub").expect("mosquitto_sub installed with mosquitto");
        let mut cmd = Command::new(sub);
        cmd.args(broker.tool_args(user, password)).arg("-v");
        for topic in topics {
            cmd.arg("-t").arg(topic);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto_sub starts");
        let lines = Lines::spawn("the watcher".to_owned(), child.stdout.take().expect("stdout"));
        Watcher { child, lines }
    }

    /// The next line (after the last one this returned) containing `needle`.
    pub fn expect(&mut self, needle: &str, within: Duration) -> String {
        self.lines.next_containing(needle, within).unwrap_or_else(|| {
            panic!(
                "the watcher saw no {needle:?} within {within:?}; saw:\n{}",
                self.lines.seen().join("\n")
            )
        })
    }

    /// Everything the watcher printed so far.
    pub fn seen(&mut self) -> &[String] {
        self.lines.seen()
    }

    /// Publishes probes until the watcher shows one: then it is subscribed.
    pub fn wait_subscribed(&mut self, broker: &TlsBroker, user: &str, password: &str, topic: &str) {
        for attempt in 0..50 {
            let probe = format!("probe-{attempt}");
            publish(broker, user, password, topic, &probe, false);
            if self.lines.next_containing(&probe, Duration::from_millis(200)).is_some() {
                return;
            }
        }
        panic!("the watcher never got a probe on {topic}");
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `mosquitto_pub` at QoS 1 (it returns after the broker acknowledged).
pub fn publish(broker: &TlsBroker, user: &str, password: &str, topic: &str, payload: &str, retain: bool) {
    let publisher = find_program("mosquitto_pub").expect("mosquitto_pub installed with mosquitto");
    let mut cmd = Command::new(publisher);
    cmd.args(broker.tool_args(user, password))
        .args(["-q", "1", "-t", topic, "-m", payload]);
    if retain {
        cmd.arg("-r");
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("mosquitto_pub runs");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("mosquitto_pub to {topic} as {user} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "mosquitto_pub to {topic} as {user} failed");
}
