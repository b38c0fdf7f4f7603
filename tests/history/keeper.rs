//! Late joiners: someone who was never in a room sees its recent messages,
//! from the keeper of a `--serve` host and of `komunikator-broker`.

use super::*;

use std::process::{Child, Command, Stdio};

fn is_history(v: &Value, user: &str) -> bool {
    v["event"] == "message" && v["user"] == user && v["origin"] == "history"
}

/// Says five lines as `speaker`, then `carol` (never here before) joins:
/// she gets them as history, in order, once each, and a live line after.
fn late_joiner_sees_the_backlog(port: u16, speaker: &mut Komunikator, scratch: &tempfile::TempDir) {
    let said: Vec<String> = (1..=5).map(|n| format!("before carol came {n}")).collect();
    for line in &said {
        speaker.send_line(line);
    }
    speaker
        .stdout
        .wait_for("the last line echoed", WAIT, |l| l.ends_with("before carol came 5"));
    // The keeper stores on its own connection: give it a moment to have them.
    sleep(Duration::from_millis(500));
    let mut carol = spawn_at(port, "carol", &data_dir(scratch, "carol"), &["--json"]);
    let backlog = wait_records(&mut carol, "with the backlog", said.len(), |v| is_history(v, "alice"));
    assert_eq!(texts(&backlog), said);
    speaker.send_line("now live");
    wait_records(&mut carol, "with the live line", 1, |v| {
        is_message(v, "alice", "now live")
    });
    sleep(Duration::from_millis(500));
    let all = records(&mut carol, |v| v["event"] == "message" && v["user"] == "alice");
    assert_eq!(all.len(), said.len() + 1, "a line came twice: {all:?}");
    carol.quit();
}

#[test]
fn a_late_joiner_gets_the_backlog_from_a_serve_host() {
    let scratch = tempfile::tempdir().unwrap();
    let port = testkit::free_port();
    let port_arg = port.to_string();
    let data = data_dir(&scratch, "alice");
    let mut alice = Komunikator::spawn_custom(
        "alice",
        &["--no-tui", "--serve", "--bind", "127.0.0.1", "-p", &port_arg, "alice"],
        move |command| {
            command.env("XDG_DATA_HOME", &data);
        },
    );
    alice.wait_ready();
    late_joiner_sees_the_backlog(port, &mut alice, &scratch);
    // Nobody else is connected now: the host's quit is not held up.
    alice.quit();
}

struct BrokerProcess(Child);

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_late_joiner_gets_the_backlog_from_komunikator_broker() {
    let scratch = tempfile::tempdir().unwrap();
    let port = testkit::free_port();
    let mut broker = BrokerProcess(
        Command::new(env!("CARGO_BIN_EXE_komunikator-broker"))
            .args(["--bind", "127.0.0.1", "-p", &port.to_string()])
            .env("XDG_DATA_HOME", scratch.path().join("broker-data"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start komunikator-broker"),
    );
    assert!(
        testkit::wait_until_listening(&mut broker.0, port, WAIT),
        "the broker did not listen"
    );
    let mut alice = spawn_at(port, "alice", &data_dir(&scratch, "alice"), &[]);
    alice.wait_ready();
    late_joiner_sees_the_backlog(port, &mut alice, &scratch);
    alice.quit();
}

#[test]
fn a_late_joiner_gets_the_backlog_from_a_headless_keeper_on_mosquitto() {
    let Some(broker) = Broker::start_mosquitto() else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let port = broker.port.to_string();
    let keeper_data = data_dir(&scratch, "keeper");
    let mut keeper = Komunikator::spawn_custom(
        "keeper",
        &[
            "-s",
            "127.0.0.1",
            "-p",
            &port,
            "--keep-history",
            "-r",
            "general",
            "keeper",
        ],
        move |command| {
            command.env("XDG_DATA_HOME", &keeper_data);
        },
    );
    keeper.stderr.wait_for("saying what it keeps", WAIT, |l| {
        l.starts_with("komunikator: keeping the history of #general on 127.0.0.1:")
    });
    // It subscribes once connected: mosquitto logs the subscription.
    let until = Instant::now() + WAIT;
    while !broker.log_text().contains("history/get/general") {
        assert!(
            Instant::now() < until,
            "the keeper never subscribed:\n{}",
            broker.log_text()
        );
        sleep(Duration::from_millis(50));
    }
    let mut alice = spawn_at(broker.port, "alice", &data_dir(&scratch, "alice"), &[]);
    alice.wait_ready();
    late_joiner_sees_the_backlog(broker.port, &mut alice, &scratch);
    alice.quit();
    keeper.signal(testkit::Signal::TERM);
    let status = keeper.wait_exit(WAIT);
    assert!(
        status.success(),
        "the keeper did not stop cleanly on SIGTERM: {status:?}"
    );
}
