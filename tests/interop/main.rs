//! paho-mqtt (Python) at MQTT 5 and at 3.1.1 chats with komunikator at
//! `--mqtt 5` and `--mqtt 3.1.1`, all through one mosquitto (mosquitto_pub
//! at both versions: tests/mqtt5/versions.rs). Skipped with a notice where
//! paho-mqtt is not installed, unless KOMUNIKATOR_REQUIRE_PAHO=1 (as in CI).

use komunikator_testkit as testkit;

use std::process::{Command, Stdio};
use std::time::Duration;

use testkit::{is_chat_line, Broker, Komunikator, Lines, WAIT};

const REQUIRE_PAHO: &str = "KOMUNIKATOR_REQUIRE_PAHO";

fn paho_installed() -> bool {
    let found = Command::new("python3")
        .args(["-c", "import paho.mqtt.client"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var(REQUIRE_PAHO).as_deref() != Ok("1"),
            "paho-mqtt (Python) is not installed, and {REQUIRE_PAHO}=1 requires it"
        );
        eprintln!("paho-mqtt (Python) is not installed: skipping (set {REQUIRE_PAHO}=1 to fail instead)");
    }
    found
}

#[test]
fn paho_at_5_and_3_1_1_and_komunikator_at_both_versions_chat_together() {
    let Some(broker) = Broker::start_mosquitto() else {
        return;
    };
    if !paho_installed() {
        return;
    }
    let mut v5 = Komunikator::join(&broker, "alice", &["--mqtt", "5"]);
    let mut v311 = Komunikator::join(&broker, "bob", &["--mqtt", "3.1.1"]);
    assert!(
        v5.stderr.seen().iter().any(|l| l.ends_with("(MQTT 5)")),
        "{}",
        v5.transcript()
    );
    assert!(
        v311.stderr.seen().iter().any(|l| l.ends_with("(MQTT 3.1.1)")),
        "{}",
        v311.transcript()
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/paho_chat.py");
    let mut paho = Command::new("python3")
        .args([script, &broker.port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 runs");
    let mut out = Lines::spawn("paho".into(), paho.stdout.take().expect("stdout"));
    out.wait_for_count("both paho clients ready", 2, WAIT, |l| l.contains("\"ready\""));
    for (user, text) in [("paho5", "from paho 5"), ("paho311", "from paho 3.1.1")] {
        for client in [&mut v5, &mut v311] {
            client
                .stdout
                .wait_for(text, WAIT, |l| is_chat_line(l, "general", user, text));
        }
    }
    v5.send_line("to paho");
    for label in ["5", "3.1.1"] {
        out.wait_for(&format!("paho {label} receiving komunikator"), WAIT, |l| {
            l == format!("{{\"client\": \"{label}\", \"text\": \"to paho\"}}")
        });
    }
    // Closing its stdin ends it.
    drop(paho.stdin.take());
    paho.wait_timeout_or_kill(Duration::from_secs(5)).expect("paho ends");
    v5.quit();
    v311.quit();
}

/// Waits for a child, killing it after `limit`.
trait WaitOrKill {
    fn wait_timeout_or_kill(&mut self, limit: Duration) -> std::io::Result<()>;
}

impl WaitOrKill for std::process::Child {
    fn wait_timeout_or_kill(&mut self, limit: Duration) -> std::io::Result<()> {
        let start = std::time::Instant::now();
        while start.elapsed() < limit {
            if self.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill()?;
        self.wait().map(|_| ())
    }
}
