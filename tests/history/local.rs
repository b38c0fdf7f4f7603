//! The local history: shown after a restart in the full-screen UI, searched
//! among 100 000 messages, printed for scripts, opened after kill -9 in a
//! flood, forgotten on request, and not kept with `--no-history`.

use super::*;

use komunikator_history::{Store, Stored};
use testkit::tmux::{ui_command_home, Tmux};
use testkit::{chat_payload, RawPublisher};

/// Where the client keeps `user`'s history for the broker on `port`.
fn history_file(data: &Path, user: &str, port: u16) -> PathBuf {
    data.join("komunikator")
        .join("history")
        .join(format!("{user}@127.0.0.1_{port}.sqlite3"))
}

/// `komunikator ARGS NAME` with `data` as its data directory, to the end.
fn run_at(data: &Path, args: &[&str]) -> testkit::Finished {
    let data = data.to_path_buf();
    Komunikator::spawn_custom("komunikator", args, move |command| {
        command.env("XDG_DATA_HOME", &data);
    })
    .finish(WAIT)
}

#[test]
fn the_full_screen_ui_shows_the_history_after_a_restart_and_reads_back_from_disk() {
    let Some(tmux) = Tmux::start() else { return };
    let Some(broker) = Broker::start_mosquitto() else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let data = data_dir(&scratch, "alice");
    let command = ui_command_home(broker.port, "alice", &["--scrollback", "100"], &data);
    tmux.open_sized("first", &command, 100, 30);
    tmux.wait_screen("first", "connected", |s| s.contains(" connected "));
    for n in 0..300 {
        tmux.type_line("first", &format!("said before n{n:03}"));
        if n % 50 == 49 {
            tmux.wait_screen("first", "the line sent", |s| {
                s.contains(&format!("said before n{n:03} ✓"))
            });
        }
    }
    tmux.wait_screen("first", "the last line sent", |s| s.contains("said before n299 ✓"));
    tmux.type_line("first", "/quit");
    tmux.wait_gone("first", "after /quit");

    tmux.open_sized("again", &command, 100, 30);
    let screen = tmux.wait_screen("again", "the history", |s| {
        s.contains("said before n299") && s.contains("history above") && s.contains(" connected ")
    });
    assert!(
        screen.contains("said before n280"),
        "not a screenful of history:\n{screen}"
    );
    // The scrollback holds 100 entries: paging back past it reads from disk.
    for _ in 0..30 {
        tmux.keys("again", &["PageUp"]);
        sleep(Duration::from_millis(50));
    }
    tmux.wait_screen("again", "the first line, read back from disk", |s| {
        s.contains("said before n000")
    });
    tmux.keys("again", &["C-c"]);
    tmux.wait_gone("again", "after Ctrl-C");
}

#[test]
fn search_finds_one_message_among_100_000_in_line_mode_and_in_the_full_screen_ui() {
    let scratch = tempfile::tempdir().unwrap();
    let data = data_dir(&scratch, "alice");
    let port = testkit::free_port();
    let mut store = Store::open(&history_file(&data, "alice", port)).unwrap();
    // Recent enough that the retention (365 days) keeps them all.
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        - 200_000_000;
    let batch: Vec<Stored> = (0..100_000)
        .map(|n| Stored {
            room: if n % 2 == 0 { "general".into() } else { "rust".into() },
            id: format!("id{n:06}"),
            user: Some("bob".into()),
            text: if n == 61_803 {
                "the zanzibar lighthouse is open".into()
            } else {
                format!("ordinary chatter number {n}")
            },
            action: false,
            ts_ms: start + n * 1000,
            own: false,
            mark: None,
            sealed: false,
        })
        .collect();
    assert_eq!(store.insert(&batch).unwrap(), 100_000);
    drop(store);

    let port_arg = port.to_string();
    let base = ["-s", "127.0.0.1", "-p", &port_arg];
    let found = run_at(
        &data,
        &[&base[..], &["--search", "Zanzibar", "--json", "alice"]].concat(),
    );
    assert!(found.status.success(), "{:?}", found.stderr);
    assert_eq!(found.stdout.len(), 1, "{:?}", found.stdout);
    let hit = record(&found.stdout[0]).unwrap();
    assert_eq!(
        (hit["event"].as_str(), hit["room"].as_str()),
        (Some("found"), Some("rust"))
    );
    assert_eq!(hit["text"], "the zanzibar lighthouse is open");
    assert_eq!(hit["id"], "id061803");
    let elsewhere = run_at(
        &data,
        &[&base[..], &["--search", "zanzibar", "-r", "general", "alice"]].concat(),
    );
    assert!(
        elsewhere.stdout.is_empty(),
        "found in the wrong room: {:?}",
        elsewhere.stdout
    );
    let printed = run_at(
        &data,
        &[&base[..], &["--print-history", "general", "--limit", "3", "alice"]].concat(),
    );
    assert_eq!(printed.stdout.len(), 3, "{:?}", printed.stdout);
    assert!(
        printed.stdout[2].ends_with("#general <bob> ordinary chatter number 99998"),
        "{:?}",
        printed.stdout
    );

    // In the UI: Ctrl-F, the word, Enter; then Enter on the hit shows it in context.
    let Some(tmux) = Tmux::start() else { return };
    let Some(broker) = Broker::start_mosquitto() else {
        return;
    };
    // The history belongs to the network: point it at this broker's port.
    let live = history_file(&data, "alice", broker.port);
    std::fs::rename(history_file(&data, "alice", port), &live).unwrap();
    let command = ui_command_home(broker.port, "alice", &["-r", "rust"], &data);
    tmux.open_sized("search", &command, 100, 30);
    tmux.wait_screen("search", "connected", |s| s.contains(" connected "));
    tmux.keys("search", &["C-f"]);
    tmux.type_line("search", "zanzibar");
    let results = tmux.wait_screen("search", "the hit", |s| s.contains("1 hit(s) for \"zanzibar\""));
    assert!(
        results.contains("#rust <bob> the zanzibar lighthouse is open"),
        "{results}"
    );
    tmux.keys("search", &["Enter"]);
    let context = tmux.wait_screen("search", "the hit in context", |s| s.contains("around a search hit"));
    assert!(
        context.contains("ordinary chatter number 61801") && context.contains("ordinary chatter number 61805"),
        "the neighbours are not shown:\n{context}"
    );
    tmux.keys("search", &["Escape"]);
    tmux.wait_screen("search", "back to the chat", |s| !s.contains("around a search hit"));
    tmux.keys("search", &["C-c"]);
    tmux.wait_gone("search", "after Ctrl-C");
}

#[test]
fn a_history_killed_during_a_flood_opens_and_keeps_what_was_written() {
    let Some(broker) = Broker::start_mosquitto() else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let data = data_dir(&scratch, "alice");
    let mut alice = spawn_at(broker.port, "alice", &data, &["--qos", "0"]);
    alice.wait_ready();
    let port = broker.port;
    let flood = std::thread::spawn(move || {
        let broker_port = port;
        let mut raw = RawPublisher::connect_port(broker_port, "flood");
        raw.publish_all((0..200_000).map(|i| {
            RawPublisher::packet(
                "chat/general",
                chat_payload("flood", &format!("flood n{i}")).as_bytes(),
                false,
            )
        }));
        raw.finish();
    });
    alice
        .stdout
        .wait_for("the flood arriving", WAIT, |l| l.contains("flood n20000"));
    // Killed once the writer has committed something (it gathers a tenth
    // of a second per transaction), while the flood still comes in.
    let file = history_file(&data, "alice", broker.port);
    let until = Instant::now() + WAIT;
    let committed = loop {
        let kept = Store::open(&file).and_then(|s| s.count(Some("general"))).unwrap_or(0);
        if kept > 0 || Instant::now() > until {
            break kept;
        }
        sleep(Duration::from_millis(20));
    };
    assert!(committed > 0, "nothing was written during the flood");
    alice.kill_hard();
    let still_flooding = !flood.is_finished();
    flood.join().unwrap();
    eprintln!("killed with {committed}+ messages written, the flood still going: {still_flooding}");

    let store = Store::open(&file).unwrap();
    let kept = store.count(Some("general")).unwrap();
    assert!(kept >= committed, "{kept} kept after the kill, {committed} before it");
    assert!(store.integrity_ok().unwrap(), "the history is damaged");
    drop(store);
    let printed = run_at(
        &data,
        &[
            "-s",
            "127.0.0.1",
            "-p",
            &broker.port.to_string(),
            "--print-history",
            "general",
            "--limit",
            "5",
            "alice",
        ],
    );
    assert!(printed.status.success(), "{:?}", printed.stderr);
    assert_eq!(printed.stdout.len(), 5, "{:?}", printed.stdout);
    // And the client starts on it again, and adds to it.
    let mut alice = spawn_at(broker.port, "alice", &data, &[]);
    alice.wait_ready();
    alice.send_line("after the crash");
    alice
        .stdout
        .wait_for("the line echoed", WAIT, |l| l.ends_with("<alice> after the crash"));
    alice.quit();
    let store = Store::open(&file).unwrap();
    assert_eq!(store.search("after the crash", Some("general"), 5).unwrap().len(), 1);
}

#[test]
fn forget_clears_a_room_and_no_history_keeps_nothing() {
    let Some(broker) = Broker::start_mosquitto() else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let data = data_dir(&scratch, "alice");
    let port = broker.port.to_string();
    let mut alice = spawn_at(broker.port, "alice", &data, &["-r", "general", "-r", "rust"]);
    alice.wait_ready();
    alice.send_line("kept in general");
    alice
        .stdout
        .wait_for("the line echoed", WAIT, |l| l.ends_with("<alice> kept in general"));
    alice.send_line("/join rust");
    alice.send_line("kept in rust");
    alice
        .stdout
        .wait_for("the line echoed", WAIT, |l| l.ends_with("<alice> kept in rust"));
    alice.send_line("/forget");
    alice
        .stderr
        .wait_for("saying it forgot", WAIT, |l| l.contains("forgot the history of #rust"));
    alice.quit();
    let print = |room: &str| {
        run_at(
            &data,
            &["-s", "127.0.0.1", "-p", &port, "--print-history", room, "alice"],
        )
        .stdout
    };
    assert_eq!(print("rust"), Vec::<String>::new());
    assert_eq!(print("general").len(), 1);

    let off = data_dir(&scratch, "carol");
    let mut carol = spawn_at(broker.port, "carol", &off, &["--no-history"]);
    carol.wait_ready();
    carol.send_line("not kept");
    carol
        .stdout
        .wait_for("the line echoed", WAIT, |l| l.ends_with("<carol> not kept"));
    carol.quit();
    assert!(
        !history_file(&off, "carol", broker.port).exists(),
        "--no-history made a history file"
    );
}
