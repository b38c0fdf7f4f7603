//! Direct messages end to end encrypted: on the wire `dm/bob` carries only
//! the placeholder text and the sealed boxes; bob reads the text. To a name
//! with no known key a direct message goes in clear, after a warning (in
//! line mode on stderr; the UI asks for a second Enter).

use super::*;

use testkit::tmux::{ui_command_with, Tmux};

/// The example ACL lets each login read only `dm/<itself>`. To watch every
/// direct message on the wire through that same broker, one login is added
/// after the example's lines, as an operator would for an archive: reading
/// `dm/#` is exactly what a curious broker admin can do, and what the
/// sealing is for. (A second broker without ACL would not show that the
/// example ACL carries sealed messages.)
const OBSERVER_ACL: &str = "user observer\ntopic read dm/#\n";

const PLACEHOLDER: &str = "[encrypted direct message: open it with komunikator]";

#[test]
fn a_direct_message_between_komunikators_is_sealed_on_the_wire_and_opened_by_bob() {
    let Some(net) = Net::start(&["observer"], OBSERVER_ACL) else {
        return;
    };
    let mut wire = net.watch("observer", "dm/#");
    let mut bob = net.join("bob", None, &["--json"]);
    let mut alice = net.join("alice", None, &["--json"]);
    wait_online(&mut alice, "bob");
    wait_online(&mut bob, "alice");

    alice.send_line("/msg bob the secret is 4711");
    let opened = message_in(&mut bob, "@alice", "alice", "the secret is 4711");
    assert_signed(&opened);
    assert_eq!(opened["sealed"], true, "{opened}");

    let payload = wire.payload_on("dm/bob", "\"enc\"");
    let sent: Value = serde_json::from_str(&payload).unwrap_or_else(|e| panic!("not JSON ({e}): {payload}"));
    assert_eq!(sent["text"], PLACEHOLDER, "{payload}");
    assert_eq!(sent["enc"]["alg"], "x25519-xsalsa20poly1305-sealedbox", "{payload}");
    let readers = sent["enc"]["to"]
        .as_object()
        .unwrap_or_else(|| panic!("no readers: {payload}"));
    let mut names: Vec<&str> = readers.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["alice", "bob"], "{payload}");
    assert!(payload.contains(",\"sig\":\""), "not signed: {payload}");

    // To a name never seen online: said so, and sent in clear.
    alice.send_line("/msg dave hello dave, in clear");
    let warned = alice.expect_stderr("go unencrypted", WAIT);
    assert!(warned.contains("dave"), "{warned}");
    let clear = wire.payload_on("dm/dave", "hello dave, in clear");
    assert!(!clear.contains("\"enc\""), "{clear}");

    let seen = wire.seen();
    assert!(
        !seen.iter().any(|l| l.contains("4711")),
        "the secret went over the wire:\n{}",
        seen.join("\n")
    );
    alice.quit();
    bob.quit();
}

#[test]
fn the_ui_sends_a_clear_direct_message_only_on_a_second_enter() {
    let Some(net) = Net::start(&["observer"], OBSERVER_ACL) else {
        return;
    };
    let Some(tmux) = Tmux::start() else { return };
    let mut wire = net.watch("observer", "dm/#");
    let login = net.login("alice");
    let login: Vec<&str> = login.iter().map(String::as_str).collect();
    tmux.open_sized("alice", &ui_command_with(net.broker.port, "alice", &login), 120, 30);
    tmux.wait_screen("alice", "connected", |s| s.contains("as alice, in #general"));
    tmux.type_line("alice", "/msg dave not yet sealed");
    tmux.wait_screen("alice", "the warning", |s| {
        unwrapped(s).contains("go unencrypted, readable by the broker and anyone allowed to read dm/dave. Press Enter again to send it so.")
    });
    assert!(
        !wire.seen().iter().any(|l| l.starts_with("dm/dave ")),
        "sent on the first Enter: {:?}",
        wire.seen()
    );
    tmux.keys("alice", &["Enter"]);
    let sent = wire.payload_on("dm/dave", "not yet sealed");
    assert!(!sent.contains("\"enc\""), "{sent}");
    tmux.keys("alice", &["-l", "/quit"]);
    tmux.keys("alice", &["Enter"]);
    tmux.wait_gone("alice", "after /quit");
}
