//! Lines under another's name: alice, logged in as herself (the example ACL
//! lets any login write `chat/#` and `dm/#`), publishes as "bob", or
//! replays one of bob's signed lines to another room or person. Whoever
//! knows bob's key marks them `⚠ forged?`, in line mode and in the
//! full-screen UI; bob's own lines stay unmarked. A presence under a known
//! name not signed by its key is ignored.

use super::*;

use testkit::tmux::{ui_command_with, Tmux};
use testkit::{chat_payload, is_chat_line};

#[test]
fn a_chat_line_and_a_direct_message_forged_as_bob_are_marked_for_carol_and_for_bob() {
    let Some(net) = Net::example() else { return };
    let mut bob = net.join("bob", None, &[]);
    let mut carol = net.join("carol", None, &["--json"]);
    wait_online(&mut carol, "bob");
    bob.send_line("the real bob speaking");
    assert_signed(&message_in(&mut carol, "general", "bob", "the real bob speaking"));

    net.publish_as("alice", "chat/general", &chat_payload("bob", "forged by alice"));
    net.publish_as("alice", "dm/carol", &chat_payload("bob", "a forged direct message"));

    assert_forged(&message_in(&mut carol, "general", "bob", "forged by alice"));
    assert_forged(&message_in(&mut carol, "@bob", "bob", "a forged direct message"));
    // bob knows his own key: the line in his name is marked for him too.
    bob.stdout.wait_for("with the forged line marked", WAIT, |l| {
        is_chat_line(l, "general", "bob", "⚠ forged? forged by alice")
    });
    let own: Vec<String> = bob
        .stdout
        .seen()
        .iter()
        .filter(|l| l.contains("the real bob speaking"))
        .cloned()
        .collect();
    assert!(
        own.len() == 1 && is_chat_line(&own[0], "general", "bob", "the real bob speaking"),
        "bob's own line, unmarked: {own:?}"
    );
    carol.quit();
    bob.quit();
}

#[test]
fn bobs_signed_line_replayed_to_another_room_or_to_carol_is_forged() {
    let Some(net) = Net::example() else { return };
    let mut bob = net.join("bob", None, &[]);
    let mut carol = net.join("carol", None, &["--json", "-r", "general", "-r", "random"]);
    wait_online(&mut carol, "bob");
    // alice may read every room: she captures bob's payload, bytes as sent.
    let mut capture = net.watch("alice", "chat/general");
    bob.send_line("signed for general only");
    let original = capture.payload_on("chat/general", "signed for general only");
    assert!(
        original.contains(",\"sig\":\""),
        "bob's payload is not signed: {original}"
    );
    assert_signed(&message_in(&mut carol, "general", "bob", "signed for general only"));

    net.publish_as("alice", "chat/random", &original);
    net.publish_as("alice", "dm/carol", &original);
    assert_forged(&message_in(&mut carol, "random", "bob", "signed for general only"));
    assert_forged(&message_in(&mut carol, "@bob", "bob", "signed for general only"));
    carol.quit();
    bob.quit();
}

#[test]
fn the_full_screen_ui_marks_the_forged_line_after_the_name_and_not_bobs_own() {
    let Some(net) = Net::example() else { return };
    let Some(tmux) = Tmux::start() else { return };
    let mut bob = net.join("bob", None, &[]);
    // bob's presence, with his key, reaches carol before his line does
    // (retained, or live in the order he sent them).
    let login = net.login("carol");
    let login: Vec<&str> = login.iter().map(String::as_str).collect();
    tmux.open_sized("carol", &ui_command_with(net.broker.port, "carol", &login), 120, 30);
    let shows = |text: &'static str| move |screen: &str| screen.contains(text);
    tmux.wait_screen("carol", "connected", shows("as carol, in #general"));
    bob.send_line("the real bob, in the UI");
    tmux.wait_screen("carol", "bob's own line", shows("<bob> the real bob, in the UI"));
    net.publish_as("alice", "chat/general", &chat_payload("bob", "forged for the screen"));
    let screen = tmux.wait_screen(
        "carol",
        "the forged line marked",
        shows("<bob> ⚠ forged? forged for the screen"),
    );
    assert!(
        !screen.contains("⚠ forged? the real bob"),
        "bob's own line is marked:\n{screen}"
    );
    tmux.keys("carol", &["-l", "/quit"]);
    tmux.keys("carol", &["Enter"]);
    tmux.wait_gone("carol", "after /quit");
    bob.quit();
}

/// The example ACL stops this at the broker (a login writes only
/// `presence/<itself>/#`); without an ACL, the client must.
#[test]
fn a_presence_for_bob_not_signed_by_his_key_is_ignored_on_a_broker_without_acl() {
    let Some(broker) = Broker::start_mosquitto() else {
        return;
    };
    let mut bob = Komunikator::join(&broker, "bob", &[]);
    let mut carol = Komunikator::join(&broker, "carol", &["--json"]);
    wait_online(&mut carol, "bob");
    let forged = serde_json::json!({
        "v": 1,
        "user": "bob",
        "status": "offline",
        "ts": chrono::Utc::now().to_rfc3339(),
        "session": "0123456789ab",
        "reason": "quit",
    });
    let mut mallory = testkit::Probe::connect(&broker, "mallory");
    mallory.publish("presence/bob", forged.to_string(), true);
    carol.expect_stderr("⚠ forged? a presence for bob not signed by bob's key was ignored", WAIT);
    // Still online for carol: a line from bob after it shows no change.
    bob.send_line("still here");
    assert_signed(&message_in(&mut carol, "general", "bob", "still here"));
    let offline: Vec<Value> = testkit::records::records(&mut carol, |v| {
        v["event"] == "presence" && v["user"] == "bob" && v["status"] != "online"
    });
    assert!(offline.is_empty(), "the forged presence was believed: {offline:?}");
    carol.quit();
    bob.quit();
}
