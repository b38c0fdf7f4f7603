//! `--serve`: hosting the chat with the broker inside komunikator.
#![cfg(feature = "serve")]

use komunikator_testkit as testkit;

use std::net::{Ipv6Addr, TcpListener};

use testkit::{free_port, is_chat_line, run_to_exit, Komunikator, WAIT};

#[test]
fn serve_hosts_on_every_interface_and_others_join_it() {
    let port = free_port().to_string();
    let scratch = tempfile::tempdir().unwrap();
    let log_file = scratch.path().join("alice.log");
    let log_arg = log_file.to_str().unwrap();
    let mut alice = Komunikator::spawn_args(
        "alice",
        &["--no-tui", "--serve", "-p", &port, "--log-file", log_arg, "alice"],
    );
    // It names where to join: an address of this machine, never the wildcard it listens on.
    let announced = alice.stderr.wait_for("announcing the broker", WAIT, |l| {
        l.starts_with("komunikator: hosting a broker on ") && l.ends_with(&format!(" -p {port} NAME)"))
    });
    assert!(!announced.contains("0.0.0.0"), "{announced}");
    alice.wait_ready();
    let address = format!("127.0.0.1:{port}");
    alice.stderr.wait_for("connected over loopback", WAIT, |l| {
        l.starts_with(&format!("komunikator: connected to {address} as alice"))
    });

    let mut bob = Komunikator::spawn_args("bob", &["--no-tui", "-s", "127.0.0.1", "-p", &port, "bob"]);
    bob.wait_ready();
    alice
        .stdout
        .wait_for("with bob coming online", WAIT, |l| l.ends_with(" * bob is online"));
    bob.send_line("hi host");
    alice.stdout.wait_for("with bob's message", WAIT, |l| {
        is_chat_line(l, "general", "bob", "hi host")
    });
    alice.send_line("welcome, guest");
    bob.stdout.wait_for("with alice's answer", WAIT, |l| {
        is_chat_line(l, "general", "alice", "welcome, guest")
    });

    let done = alice.quit();
    let warning = format!(
        "komunikator: the broker on 0.0.0.0:{port} stops with you: everyone else connected to it is disconnected"
    );
    assert!(done.stderr.contains(&warning), "no warning at quit: {:?}", done.stderr);
    // The broker's own logging stays off the terminal.
    let foreign: Vec<&String> = done
        .stderr
        .iter()
        .filter(|l| !l.starts_with("komunikator: "))
        .chain(done.stdout.iter().filter(|l| l.as_bytes().get(2) != Some(&b':')))
        .collect();
    assert!(foreign.is_empty(), "lines not from komunikator: {foreign:?}");
    // Nor does it flood the log file (rumqttd's tracing would reach it as `log` records).
    let log = std::fs::read_to_string(&log_file).unwrap();
    assert!(
        log.contains("hosting a broker on"),
        "our own log lines are missing:\n{log}"
    );
    let broker_lines: Vec<&str> = log.lines().filter(|l| l.contains("rumqttd")).collect();
    assert!(
        broker_lines.is_empty(),
        "the broker's tracing reached the log file: {broker_lines:?}"
    );
    bob.stderr
        .wait_for("noticing the broker is gone", WAIT, |l| l.contains("connection lost"));
}

#[test]
fn serve_on_a_port_in_use_exits_1_with_one_line() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    // The default (every interface) collides with a loopback listener too.
    for bind in [&["--bind", "127.0.0.1"][..], &[]] {
        let mut args = vec!["--no-tui", "--serve", "-p", &port];
        args.extend(bind);
        args.push("alice");
        let done = run_to_exit(&args);
        assert_eq!(done.status.code(), Some(1), "{args:?}: {done:?}");
        assert_eq!(done.stderr.len(), 1, "{args:?}: {:?}", done.stderr);
        assert!(
            done.stderr[0].contains(&format!("port {port} is already in use")),
            "{args:?}: {}",
            done.stderr[0]
        );
        assert!(done.stdout.is_empty(), "{:?}", done.stdout);
    }
}

#[test]
fn serve_on_ipv6_loopback() {
    if TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).is_err() {
        testkit::notice("no IPv6 loopback here: skipping serve_on_ipv6_loopback");
        return;
    }
    let port = free_port().to_string();
    let mut alice = Komunikator::spawn_args("alice", &["--no-tui", "--serve", "--bind", "::1", "-p", &port, "alice"]);
    alice.stderr.wait_for("connected over IPv6", WAIT, |l| {
        l.starts_with(&format!("komunikator: connected to [::1]:{port} as alice"))
    });
    let mut bob = Komunikator::spawn_args("bob", &["--no-tui", "-s", "::1", "-p", &port, "bob"]);
    bob.wait_ready();
    bob.send_line("over v6");
    alice.stdout.wait_for("with bob's message", WAIT, |l| {
        is_chat_line(l, "general", "bob", "over v6")
    });
    bob.quit();
    alice.quit();
}
