//! Trust on first use: bob comes back with a new key (a fresh data
//! directory). carol is warned once, bob's lines are marked `⚠ new key`
//! until she types `/trust bob`, and her known-keys file then holds the new
//! key: restarted, she still tells bob's lines from forged ones. `/untrust`
//! marks bob's lines again.

use super::*;

use testkit::chat_payload;
use testkit::tmux::{ui_command_with, Tmux};

/// The key (Ed25519, base64) `name`'s retained presence announces now.
fn announced_key(net: &Net, name: &str) -> String {
    let topic = format!("presence/{name}");
    let port = net.port();
    let password = password("carol");
    let mut command = Command::new(&net.mosquitto_sub);
    command.args(["-h", "127.0.0.1", "-p", &port, "-u", "carol", "-P", &password]);
    command.args(["-t", &topic, "-C", "1", "-W", "10"]);
    let output = run_bounded(&mut command);
    assert!(
        output.status.success(),
        "no retained presence for {name}: {}",
        said(&output)
    );
    let payload = String::from_utf8_lossy(&output.stdout);
    let payload = payload.trim();
    let presence: Value =
        serde_json::from_str(payload).unwrap_or_else(|e| panic!("presence is not JSON ({e}): {payload}"));
    let key = presence["key"]
        .as_str()
        .unwrap_or_else(|| panic!("no key in {presence}"));
    assert_eq!(key.len(), 44, "not 32 bytes in base64: {presence}");
    assert!(presence.get("box").is_some(), "no box key in {presence}");
    key.to_owned()
}

/// carol's list of others' keys on this broker.
fn known_keys_file(data: &Path, net: &Net) -> PathBuf {
    data.join("komunikator/known-keys")
        .join(format!("127.0.0.1_{}.txt", net.broker.port))
}

/// Waits until the known-keys file has a line for `name` with `key` that
/// `pred` accepts; the line.
fn wait_known(file: &Path, name: &str, key: &str, pred: impl Fn(&str) -> bool) -> String {
    let head = format!("{name} {key}");
    let deadline = Instant::now() + WAIT;
    loop {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.starts_with(&head) && pred(l)) {
            return line.to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "{} never had the line {head:?} wanted within {WAIT:?}:\n{text}",
            file.display()
        );
        sleep(Duration::from_millis(50));
    }
}

/// Whether `line` shows a fingerprint: six groups of five digits.
fn has_fingerprint(line: &str) -> bool {
    let words: Vec<&str> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .collect();
    words.windows(6).any(|w| w.iter().all(|d| d.len() == 5)) && line.contains("bob")
}

fn changed_warnings(carol: &mut Komunikator) -> usize {
    let warnings = carol.stderr.seen().iter();
    warnings
        .filter(|l| l.contains("⚠⚠ WARNING: bob's key has CHANGED"))
        .count()
}

#[test]
fn a_new_key_for_bob_is_warned_about_once_marked_until_trusted_and_remembered_across_a_restart() {
    let Some(net) = Net::example() else { return };
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let carol_home = scratch.path().join("carol");
    let (first_home, second_home) = (scratch.path().join("bob-1"), scratch.path().join("bob-2"));
    let known = known_keys_file(&carol_home, &net);

    let mut carol = net.join("carol", Some(&carol_home), &["--json"]);
    let mut bob = net.join("bob", Some(&first_home), &[]);
    bob.send_line("with my first key");
    assert_signed(&message(&mut carol, "bob", "with my first key"));
    let first_key = announced_key(&net, "bob");
    wait_known(&known, "bob", &first_key, |l| !l.contains("untrusted"));
    bob.quit();

    // bob on another machine, or someone else using his name: a new key.
    let mut bob = net.join("bob", Some(&second_home), &[]);
    carol.expect_stderr("⚠⚠ WARNING: bob's key has CHANGED", WAIT);
    let second_key = announced_key(&net, "bob");
    assert_ne!(first_key, second_key, "a fresh data directory made the same key");
    // Scripts reading --json get it as a record too, with both fingerprints.
    let changed = wait_record(&mut carol, "the key_changed record", |v| v["event"] == "key_changed");
    assert_eq!(changed["user"], "bob");
    assert_ne!(changed["old"], changed["new"]);
    let key_file = second_home.join("komunikator/keys/bob.key");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key_file).expect("bob's key file").permissions());
    assert_eq!(mode & 0o777, 0o600, "{}", key_file.display());
    bob.send_line("with my second key");
    let marked = message(&mut carol, "bob", "with my second key");
    assert_eq!(
        (&marked["auth"], &marked["warning"]),
        (&"new-key".into(), &"⚠ new key".into()),
        "{marked}"
    );
    // The same new key again (bob restarted): marked, not warned about again.
    bob.quit();
    let mut bob = net.join("bob", Some(&second_home), &[]);
    bob.send_line("second key, second run");
    assert_eq!(message(&mut carol, "bob", "second key, second run")["auth"], "new-key");

    carol.send_line("/whois bob");
    let remembered = carol.expect_stderr("bob's key", WAIT);
    let waiting = carol.expect_stderr("bob now uses another key", WAIT);
    assert!(
        has_fingerprint(&remembered) && has_fingerprint(&waiting),
        "{remembered}\n{waiting}"
    );
    carol.send_line("/trust bob");
    let trusted = carol.expect_stderr("is trusted", WAIT);
    assert!(trusted.contains("bob's key") && has_fingerprint(&trusted), "{trusted}");
    bob.send_line("trusted now");
    assert_signed(&message(&mut carol, "bob", "trusted now"));
    assert_eq!(changed_warnings(&mut carol), 1, "{}", carol.transcript());
    let line = wait_known(&known, "bob", &second_key, |l| !l.contains("untrusted"));
    assert!(line.contains(" box:"), "no box key kept: {line}");
    carol.quit();
    bob.quit();
    // Nothing on the broker tells bob's key any more: only carol's file can.
    for topic in ["presence/bob", "presence/bob/alive"] {
        net.clear_retained("bob", topic);
    }

    // carol restarted: the file read back tells a forger from bob (without
    // it, no key is known for bob and the line would be "unsigned").
    let mut carol = net.join("carol", Some(&carol_home), &["--json"]);
    let forged = chat_payload("bob", "forged after carol's restart");
    net.publish_as("alice", "chat/general", &forged);
    assert_forged(&message(&mut carol, "bob", "forged after carol's restart"));
    let mut bob = net.join("bob", Some(&second_home), &[]);
    wait_online(&mut carol, "bob");
    bob.send_line("after carol's restart");
    assert_signed(&message(&mut carol, "bob", "after carol's restart"));
    assert_eq!(changed_warnings(&mut carol), 0, "{}", carol.transcript());

    carol.send_line("/untrust bob");
    carol.expect_stderr("is no longer trusted", WAIT);
    bob.send_line("after the untrust");
    let untrusted = message(&mut carol, "bob", "after the untrust");
    assert_eq!(
        (&untrusted["auth"], &untrusted["warning"]),
        (&"untrusted".into(), &"⚠ untrusted key".into()),
        "{untrusted}"
    );
    wait_known(&known, "bob", &second_key, |l| l.ends_with(" untrusted"));
    carol.quit();
    bob.quit();
}

#[test]
fn the_ui_warns_of_bobs_new_key_in_every_room_and_marks_his_lines_until_trusted() {
    let Some(net) = Net::example() else { return };
    let Some(tmux) = Tmux::start() else { return };
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let mut args = net.login("carol");
    args.extend(["-r", "general", "-r", "random"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    tmux.open_sized("carol", &ui_command_with(net.broker.port, "carol", &args), 120, 30);
    let shows = |text: &'static str| move |screen: &str| unwrapped(screen).contains(text);
    tmux.wait_screen("carol", "connected", shows("as carol, in #general"));

    let mut bob = net.join("bob", Some(&scratch.path().join("bob-1")), &[]);
    bob.send_line("my first key");
    tmux.wait_screen("carol", "bob's first line", shows("<bob> my first key"));
    bob.quit();
    let mut bob = net.join("bob", Some(&scratch.path().join("bob-2")), &[]);
    let warning = "⚠⚠ WARNING: bob's key has CHANGED";
    tmux.wait_screen("carol", "the warning in #general", shows(warning));
    bob.send_line("my second key");
    tmux.wait_screen("carol", "the line marked", shows("<bob> ⚠ new key my second key"));
    // #random, where nobody spoke, has the warning too.
    tmux.keys("carol", &["M-2"]);
    tmux.wait_screen("carol", "the warning in #random", |s| {
        s.contains("komunikator · #random") && unwrapped(s).contains(warning)
    });
    tmux.keys("carol", &["M-1"]);
    tmux.wait_screen("carol", "#general again", |s| s.contains("komunikator · #general"));
    tmux.type_line("carol", "/trust bob");
    tmux.wait_screen(
        "carol",
        "bob trusted",
        shows("is trusted: messages signed by it show as bob"),
    );
    bob.send_line("trusted in the UI");
    tmux.wait_screen("carol", "bob's line unmarked", shows("<bob> trusted in the UI"));
    tmux.type_line("carol", "/quit");
    tmux.wait_gone("carol", "after /quit");
    bob.quit();
}
