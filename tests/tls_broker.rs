//! komunikator against a real mosquitto with TLS, passwords, client
//! certificates and an ACL: what a person meets on a real broker.

use std::time::{Duration, Instant};

use komunikator_testkit::tls::{self, publish, spawn_client, BrokerConfig, ServerCert, TlsBroker as Broker, Watcher};
use komunikator_testkit::Komunikator;

/// The ACL the project ships: presence only under one's own login, direct
/// messages read only by their addressee.
const EXAMPLE_ACL: &str = include_str!("../examples/mosquitto/acl");

const SOON: Duration = Duration::from_secs(10);

/// A client that gave up at once exits well within this; a retry loop would not.
const QUICK_EXIT: Duration = Duration::from_secs(5);

fn broker(config: BrokerConfig) -> Option<Broker> {
    tls::start(config)
}

/// `komunikator --no-tui` as `name`, logging in with the same name over TLS
/// trusting the test CA.
fn login_args(broker: &Broker, name: &str) -> Vec<String> {
    vec![
        "-s".into(),
        format!("mqtts://127.0.0.1:{}", broker.port),
        "--ca-file".into(),
        broker.ca.display().to_string(),
        "--user".into(),
        name.into(),
        name.into(),
    ]
}

fn spawn(args: &[String], env: &[(&str, &str)]) -> Komunikator {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    spawn_client(&args, env)
}

/// A failure that must be one line on stderr, exit 1, and quick (no retry loop).
fn expect_final_failure(mut client: Komunikator, needle: &str) -> String {
    let started = Instant::now();
    let status = client.wait_exit(QUICK_EXIT);
    assert_eq!(status.code(), Some(1), "{}", client.transcript());
    assert!(started.elapsed() < QUICK_EXIT);
    let transcript = client.transcript();
    let stderr = client.stderr.seen();
    assert_eq!(stderr.len(), 1, "one line only:\n{transcript}");
    let line = stderr[0].clone();
    assert!(line.starts_with("komunikator: cannot connect to 127.0.0.1:"), "{line}");
    assert!(line.contains(needle), "{line}\nwanted {needle:?}");
    assert!(!line.contains("I/O"), "no generic I/O error: {line}");
    line
}

#[test]
fn tls_with_a_private_ca_lets_two_clients_chat() {
    let Some(broker) = broker(BrokerConfig::default()) else {
        return;
    };
    let mut alice = spawn(&login_args(&broker, "alice"), &[("KOMUNIKATOR_PASSWORD", "alice-pw")]);
    let ready = alice.expect_connected("alice");
    assert!(
        ready.contains(&format!("connected to 127.0.0.1:{} as alice", broker.port)),
        "{ready}"
    );

    // The other way to say the same: host, --tls and the port; the password from a file.
    let password_file = broker.dir.path().join("bob-password");
    std::fs::write(&password_file, "bob-pw\n").unwrap();
    let port = broker.port.to_string();
    let ca = broker.ca.display().to_string();
    let pw = password_file.display().to_string();
    let mut bob = spawn_client(
        &[
            "-s",
            "localhost",
            "-p",
            &port,
            "--tls",
            "--ca-file",
            &ca,
            "--user",
            "bob",
            "--password-file",
            &pw,
            "bob",
        ],
        &[],
    );
    bob.expect_connected("bob");
    alice.expect_stdout("bob is online", SOON);

    alice.send_line("hello over TLS");
    bob.expect_stdout("<alice> hello over TLS", SOON);
    bob.send_line("hi alice");
    alice.expect_stdout("<bob> hi alice", SOON);
    bob.quit();
    alice.expect_stdout("bob left", SOON);
    alice.quit();
}

#[test]
fn an_unknown_ca_is_named_in_one_line_and_not_retried() {
    let Some(broker) = broker(BrokerConfig::default()) else {
        return;
    };
    let mut args = login_args(&broker, "alice");
    args[3] = broker.other_ca.display().to_string();
    let client = spawn(&args, &[("KOMUNIKATOR_PASSWORD", "alice-pw")]);
    let line = expect_final_failure(client, "TLS: the broker's certificate is signed by an unknown CA");
    assert!(line.contains("--ca-file"), "says what to do: {line}");
}

#[test]
fn a_certificate_for_another_name_is_named() {
    let config = BrokerConfig {
        server_cert: ServerCert::LocalhostOnly,
        ..BrokerConfig::default()
    };
    let Some(broker) = broker(config) else { return };
    let client = spawn(&login_args(&broker, "alice"), &[("KOMUNIKATOR_PASSWORD", "alice-pw")]);
    expect_final_failure(client, "not valid for the host name 127.0.0.1");
}

#[test]
fn an_expired_certificate_is_named() {
    let config = BrokerConfig {
        server_cert: ServerCert::Expired,
        ..BrokerConfig::default()
    };
    let Some(broker) = broker(config) else { return };
    let client = spawn(&login_args(&broker, "alice"), &[("KOMUNIKATOR_PASSWORD", "alice-pw")]);
    expect_final_failure(client, "TLS: the broker's certificate has expired");
}

#[test]
fn a_wrong_password_is_refused_once_and_exits_1() {
    let Some(broker) = broker(BrokerConfig::default()) else {
        return;
    };
    let client = spawn(
        &login_args(&broker, "alice"),
        &[("KOMUNIKATOR_PASSWORD", "not-the-password")],
    );
    let line = expect_final_failure(client, "the broker refused the login as alice: not authorised");
    assert!(!line.contains("not-the-password"), "{line}");
    // The broker saw exactly one attempt (its log may lag the refusal a little).
    let deadline = Instant::now() + Duration::from_secs(2);
    while !broker.log().contains("not authorised") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let attempts = broker.log().matches("not authorised").count();
    assert_eq!(attempts, 1, "one attempt, no retry:\n{}", broker.log());
}

#[test]
fn an_anonymous_client_is_told_a_login_is_needed() {
    let Some(broker) = broker(BrokerConfig::default()) else {
        return;
    };
    let port = broker.port.to_string();
    let ca = broker.ca.display().to_string();
    let client = spawn_client(
        &["-s", "127.0.0.1", "-p", &port, "--tls", "--ca-file", &ca, "alice"],
        &[],
    );
    expect_final_failure(
        client,
        "refused the connection: not authorised (it may require a login: --user NAME)",
    );
}

#[test]
fn mutual_tls_works_with_a_client_certificate_and_is_refused_without() {
    let config = BrokerConfig {
        require_certificate: true,
        ..BrokerConfig::default()
    };
    let Some(broker) = broker(config) else { return };
    let mut args = login_args(&broker, "alice");
    args.extend([
        "--cert".into(),
        broker.client_cert.display().to_string(),
        "--key".into(),
        broker.client_key.display().to_string(),
    ]);
    let mut alice = spawn(&args, &[("KOMUNIKATOR_PASSWORD", "alice-pw")]);
    alice.expect_connected("alice");
    alice.send_line("signed and sealed");
    alice.expect_stdout("<alice> signed and sealed", SOON);
    alice.quit();

    let without = spawn(&login_args(&broker, "bob"), &[("KOMUNIKATOR_PASSWORD", "bob-pw")]);
    expect_final_failure(without, "client certificate");
}

#[test]
fn with_the_example_acl_nobody_can_fake_presence_or_read_others_mail() {
    let config = BrokerConfig {
        acl: Some(EXAMPLE_ACL),
        ..BrokerConfig::default()
    };
    let Some(broker) = broker(config) else { return };
    let mut watcher = Watcher::start(&broker, "carol", "carol-pw", &["presence/#", "chat/#", "dm/#"]);
    watcher.wait_subscribed(&broker, "carol", "carol-pw", "chat/probe");

    // komunikator works for everyone under the ACL.
    let mut alice = spawn(&login_args(&broker, "alice"), &[("KOMUNIKATOR_PASSWORD", "alice-pw")]);
    alice.expect_connected("alice");
    let mut bob = spawn(&login_args(&broker, "bob"), &[("KOMUNIKATOR_PASSWORD", "bob-pw")]);
    bob.expect_connected("bob");
    alice.expect_stdout("bob is online", SOON);
    bob.send_line("hi alice");
    alice.expect_stdout("<bob> hi alice", SOON);
    alice.send_line("/msg bob psst");
    bob.expect_stdout("psst", SOON);
    watcher.expect("presence/alice", SOON);

    // bob, logged in as bob, says alice went offline.
    let fake = r#"{"v":1,"user":"alice","status":"offline","ts":"2026-01-01T00:00:00Z","session":"faked"}"#;
    publish(&broker, "bob", "bob-pw", "presence/alice", fake, true);
    publish(&broker, "bob", "bob-pw", "chat/general", "after the fake", false);
    watcher.expect("after the fake", SOON);
    alice.expect_stdout("after the fake", SOON);
    bob.expect_stdout("after the fake", SOON);

    assert!(
        !watcher.seen().iter().any(|l| l.contains("faked")),
        "{:#?}",
        watcher.seen()
    );
    assert!(
        !watcher.seen().iter().any(|l| l.contains("psst")),
        "carol read bob's mail: {:#?}",
        watcher.seen()
    );
    assert!(!alice.stdout.seen().iter().any(|l| l.contains("alice went offline")));
    assert!(!bob.stdout.seen().iter().any(|l| l.contains("alice went offline")));
    // Nor was it kept: a newcomer gets alice's real, retained presence.
    let mut newcomer = Watcher::start(&broker, "carol", "carol-pw", &["presence/alice"]);
    let retained = newcomer.expect("presence/alice", SOON);
    assert!(
        retained.contains("\"online\"") && !retained.contains("faked"),
        "{retained}"
    );

    bob.quit();
    alice.quit();
}

#[test]
fn the_topic_prefix_covers_chat_presence_and_the_will() {
    let Some(broker) = broker(BrokerConfig::default()) else {
        return;
    };
    let mut watcher = Watcher::start(&broker, "carol", "carol-pw", &["#"]);
    watcher.wait_subscribed(&broker, "carol", "carol-pw", "probe");
    let with_prefix = |name: &str| {
        let mut args = login_args(&broker, name);
        args.extend(["--topic-prefix".into(), "acme".into()]);
        args
    };
    let mut alice = spawn(&with_prefix("alice"), &[("KOMUNIKATOR_PASSWORD", "alice-pw")]);
    alice.expect_connected("alice");
    watcher.expect("acme/presence/alice", SOON);
    let mut bob = spawn(&with_prefix("bob"), &[("KOMUNIKATOR_PASSWORD", "bob-pw")]);
    bob.expect_connected("bob");
    bob.send_line("prefixed hello");
    watcher.expect("acme/chat/general", SOON);
    alice.expect_stdout("<bob> prefixed hello", SOON);

    // Subscriptions are prefixed too: the unprefixed room is another network.
    publish(&broker, "carol", "carol-pw", "chat/general", "unprefixed", false);
    publish(
        &broker,
        "carol",
        "carol-pw",
        "acme/chat/general",
        "prefixed marker",
        false,
    );
    alice.expect_stdout("prefixed marker", SOON);
    assert!(!alice.stdout.seen().iter().any(|l| l.contains("unprefixed")));

    // The will: bob vanishes without a word; the broker speaks for him under the prefix.
    drop(bob);
    let will = watcher.expect("acme/presence/bob {", SOON);
    assert!(will.contains("\"offline\""), "{will}");
    alice.expect_stdout("bob lost the connection", SOON);
    let outside: Vec<&String> = watcher
        .seen()
        .iter()
        .filter(|l| ["presence/", "chat/", "dm/"].iter().any(|t| l.starts_with(t)) && !l.contains("unprefixed"))
        .collect();
    assert!(outside.is_empty(), "published without the prefix: {outside:#?}");
    alice.quit();
}

#[test]
fn a_config_file_alone_can_connect() {
    let Some(broker) = broker(BrokerConfig::default()) else {
        return;
    };
    let password_file = broker.dir.path().join("alice-password");
    std::fs::write(&password_file, "alice-pw\n").unwrap();
    let config = broker.dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "username = \"alice\"\nserver = \"mqtts://127.0.0.1:{}\"\nca-file = \"{}\"\nuser = \"alice\"\n\
             password-file = \"{}\"\nrooms = [\"ops\"]\n",
            broker.port,
            broker.ca.display(),
            password_file.display()
        ),
    )
    .unwrap();
    let config = config.display().to_string();
    let mut alice = spawn_client(&["--config", &config], &[]);
    let ready = alice.expect_connected("alice");
    assert!(ready.contains("in #ops"), "{ready}");
    alice.quit();

    let mut shown = spawn_client(&["--config", &config, "--print-config"], &[]);
    assert!(shown.wait_exit(QUICK_EXIT).success());
    let text = shown.stdout.seen().join("\n");
    assert!(text.contains("username = \"alice\"  # config file"), "{text}");
    assert!(text.contains("tls = true  # config file"), "{text}");
    assert!(!text.contains("alice-pw"), "{text}");
}
