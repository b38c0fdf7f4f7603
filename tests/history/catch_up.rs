//! What was said while a client was away reaches it when it is back: after
//! a 20 s cut, after a restart of the program, at either MQTT version; and a
//! second instance of the same user does not take the first one's session.

use super::*;

const VERSIONS: [&str; 2] = ["5", "3.1.1"];

fn is_caught_up(v: &Value, user: &str) -> bool {
    v["event"] == "message" && v["user"] == user && v["origin"] == "caught-up"
}

#[test]
fn messages_sent_during_a_20_s_absence_arrive_on_return_once_each_in_order_at_both_versions() {
    let scratch = tempfile::tempdir().unwrap();
    for version in VERSIONS {
        let Some(broker) = persistent_mosquitto(&scratch.path().join(format!("mosquitto-{version}"))) else {
            return;
        };
        let proxy = Proxy::start(broker.port, ProxyMode::Forward);
        let alice_data = data_dir(&scratch, &format!("alice-{version}"));
        let mut alice = spawn_at(proxy.port, "alice", &alice_data, &["--json", "--mqtt", version]);
        alice.wait_ready();
        let mut bob = spawn_at(
            broker.port,
            "bob",
            &data_dir(&scratch, &format!("bob-{version}")),
            &["--mqtt", version],
        );
        bob.wait_ready();

        let away = Instant::now();
        proxy.set_mode(ProxyMode::Refuse);
        wait_lost(&mut alice);
        let said: Vec<String> = (1..=12).map(|n| format!("while away {n}")).collect();
        for line in &said {
            bob.send_line(line);
            sleep(Duration::from_millis(200));
        }
        bob.stdout
            .wait_for("bob's last line echoed", WAIT, |l| l.ends_with("while away 12"));
        sleep(Duration::from_secs(20).saturating_sub(away.elapsed()));
        proxy.set_mode(ProxyMode::Forward);
        wait_reconnected(&mut alice);

        let caught = wait_records(&mut alice, "with the lines said while away", said.len(), |v| {
            is_caught_up(v, "bob")
        });
        assert_eq!(texts(&caught), said, "MQTT {version}: not each once, in order");
        // Nothing comes twice later (a redelivery, a keeper's answer).
        sleep(Duration::from_secs(2));
        let all = records(&mut alice, |v| v["event"] == "message" && v["user"] == "bob");
        assert_eq!(texts(&all), said, "MQTT {version}: some line came twice");
        bob.send_line("live again");
        let live = wait_records(&mut alice, "with a live line", 1, |v| {
            is_message(v, "bob", "live again")
        });
        assert!(live[0].get("origin").is_none(), "a live line marked: {}", live[0]);
        bob.quit();
        alice.quit();
    }
}

#[test]
fn messages_sent_while_the_program_was_not_running_arrive_when_it_starts_again() {
    let scratch = tempfile::tempdir().unwrap();
    for version in VERSIONS {
        let Some(broker) = persistent_mosquitto(&scratch.path().join(format!("mosquitto-{version}"))) else {
            return;
        };
        let alice_data = data_dir(&scratch, &format!("alice-{version}"));
        let mut alice = spawn_at(broker.port, "alice", &alice_data, &["--json", "--mqtt", version]);
        alice.wait_ready();
        let done = alice.quit();
        assert!(done.status.success(), "{:?}", done.stderr);

        let mut bob = spawn_at(
            broker.port,
            "bob",
            &data_dir(&scratch, &format!("bob-{version}")),
            &["--mqtt", version],
        );
        bob.wait_ready();
        let said: Vec<String> = (1..=5).map(|n| format!("after you left {n}")).collect();
        for line in &said {
            bob.send_line(line);
        }
        bob.stdout
            .wait_for("bob's last line echoed", WAIT, |l| l.ends_with("after you left 5"));
        bob.send_line("/msg alice just between us");
        bob.quit();

        let mut alice = spawn_at(broker.port, "alice", &alice_data, &["--json", "--mqtt", version]);
        let caught = wait_records(&mut alice, "with what bob said meanwhile", said.len(), |v| {
            is_caught_up(v, "bob") && v["room"] == "general"
        });
        assert_eq!(texts(&caught), said, "MQTT {version}");
        let direct = wait_records(&mut alice, "with bob's direct message", 1, |v| {
            is_caught_up(v, "bob") && v["room"] == "@bob"
        });
        assert_eq!(texts(&direct), ["just between us"], "MQTT {version}");
        alice.quit();
    }
}

#[test]
fn a_second_instance_of_the_same_user_runs_without_catch_up_and_both_stay_connected() {
    let scratch = tempfile::tempdir().unwrap();
    let Some(broker) = persistent_mosquitto(&scratch.path().join("mosquitto")) else {
        return;
    };
    let data = data_dir(&scratch, "alice");
    let mut first = spawn_at(broker.port, "alice", &data, &[]);
    first.wait_ready();
    let mut second = spawn_at(broker.port, "alice", &data, &[]);
    second.stderr.wait_for("saying it has no catch-up", WAIT, |l| {
        l.contains("another komunikator runs as alice on this machine") && l.contains("no catch-up")
    });
    second.wait_ready();
    let mut bob = spawn_at(broker.port, "bob", &data_dir(&scratch, "bob"), &[]);
    bob.wait_ready();
    bob.send_line("to both of you");
    for alice in [&mut first, &mut second] {
        alice
            .stdout
            .wait_for("bob's line", WAIT, |l| l.ends_with("<bob> to both of you"));
    }
    // Neither took the other's connection: the broker saw two client ids, and no takeover.
    let log = broker.log_text();
    assert!(
        !log.contains("already connected, closing old connection"),
        "one instance took the other's session:\n{log}"
    );
    sleep(Duration::from_millis(500));
    for alice in [&mut first, &mut second] {
        assert!(alice.exited().is_none(), "an instance ended");
        let lost = alice
            .stderr
            .seen()
            .iter()
            .filter(|l| l.contains("connection lost"))
            .count();
        assert_eq!(lost, 0, "an instance lost its connection: {:?}", alice.stderr.seen());
    }
    bob.quit();
    second.quit();
    first.quit();
}
