//! The command line's promises without a broker: one-line errors and exit codes.

use komunikator_testkit as testkit;

use testkit::{free_port, run_to_exit, Finished};

fn assert_one_line_error(done: &Finished, code: i32, needles: &[&str], args: &[&str]) {
    assert_eq!(done.status.code(), Some(code), "{args:?}: {done:?}");
    assert!(done.stdout.is_empty(), "{args:?}: printed on stdout: {:?}", done.stdout);
    assert_eq!(
        done.stderr.len(),
        1,
        "{args:?}: expected one line on stderr: {:?}",
        done.stderr
    );
    let line = &done.stderr[0];
    assert!(line.starts_with("komunikator: "), "{args:?}: {line}");
    for needle in needles {
        assert!(line.contains(needle), "{args:?}: {line:?} does not mention {needle:?}");
    }
}

#[test]
fn invalid_input_exits_2_with_one_line_naming_the_rule() {
    let long_name = "n".repeat(33);
    let long_room = "r".repeat(65);
    let username_rule = "1 to 32 characters; letters, digits, '_', '-', '.'";
    let room_rule = "1 to 64 characters; letters, digits, '_', '-', '.'";
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec!["a/b"], vec!["invalid username", "'/'", username_rule]),
        (vec!["a b"], vec!["invalid username", "a space", username_rule]),
        (vec!["a+"], vec!["invalid username", "'+'", username_rule]),
        (vec!["#"], vec!["invalid username", "'#'", username_rule]),
        (
            vec![&long_name],
            vec!["invalid username", "33 characters long", username_rule],
        ),
        (vec!["-r", "a/b", "bob"], vec!["invalid room name", "'/'", room_rule]),
        (
            vec!["-r", "a b", "bob"],
            vec!["invalid room name", "a space", room_rule],
        ),
        (vec!["-r", "a+", "bob"], vec!["invalid room name", "'+'", room_rule]),
        (vec!["-r", "#", "bob"], vec!["invalid room name", "empty", room_rule]),
        (vec!["-r", "a#b", "bob"], vec!["invalid room name", "'#'", room_rule]),
        (
            vec!["-r", &long_room, "bob"],
            vec!["invalid room name", "65 characters long", room_rule],
        ),
        (vec!["-p", "0", "bob"], vec!["port", "1 to 65535"]),
        (vec!["-p", "65536", "bob"], vec!["port", "1 to 65535"]),
        (vec!["--qos", "3", "bob"], vec!["QoS must be 0, 1 or 2"]),
        (vec!["--bind", "127.0.0.1", "bob"], vec!["--serve"]),
        (vec!["--time-format", "%Q", "bob"], vec!["no strftime format"]),
        (vec!["--time-format", "%A %d %B %H:%M", "bob"], vec!["at most 12"]),
        (vec!["--theme", "solarized", "bob"], vec!["auto, dark or light"]),
    ];
    for (mut args, needles) in cases {
        args.insert(0, "--no-tui");
        let done = run_to_exit(&args);
        assert_one_line_error(&done, 2, &needles, &args);
    }
}

#[test]
fn look_alike_names_exit_2_before_connecting_naming_the_rule() {
    // Nothing listens on the port: a name let through would end in exit 1.
    let port = free_port().to_string();
    let invisible = "no invisible, blank-looking or formatting characters";
    let one_script = "one script per name";
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (
            vec!["alice\u{3164}"],
            vec![
                "invalid username",
                "U+3164 (an invisible or blank-looking character)",
                invisible,
            ],
        ),
        (vec!["\u{3164}"], vec!["invalid username", "U+3164", invisible]),
        (
            vec!["\u{430}lice"],
            vec!["invalid username", "mixes Cyrillic and Latin letters", one_script],
        ),
        (
            vec!["--room", "r\u{43e}om", "bob"],
            vec!["invalid room name", "mixes Latin and Cyrillic letters", one_script],
        ),
        (
            vec!["-r", "b\u{3bf}b", "bob"],
            vec!["invalid room name", "mixes Latin and Greek letters", one_script],
        ),
    ];
    for (mut args, needles) in cases {
        args.splice(0..0, ["--no-tui", "-s", "127.0.0.1", "-p", &port]);
        let done = run_to_exit(&args);
        assert_one_line_error(&done, 2, &needles, &args);
        assert!(
            !done.stderr[0].contains("cannot connect"),
            "{args:?}: {:?}",
            done.stderr
        );
    }
}

#[test]
fn nothing_listening_exits_1_naming_the_address() {
    let port = free_port().to_string();
    let args = ["--no-tui", "-s", "127.0.0.1", "-p", &port, "alice"];
    let done = run_to_exit(&args);
    let address = format!("cannot connect to 127.0.0.1:{port}");
    let advice = format!("mosquitto -p {port}");
    let mut needles = vec![address.as_str(), "connection refused", "nothing is listening", &advice];
    if cfg!(feature = "serve") {
        needles.push("--serve");
    }
    assert_one_line_error(&done, 1, &needles, &args);
}

#[cfg(not(feature = "serve"))]
#[test]
fn serve_in_a_build_without_it_says_how_to_get_it() {
    let args = ["--no-tui", "--serve", "alice"];
    let done = run_to_exit(&args);
    assert_one_line_error(&done, 2, &["--serve is not in this build", "`serve` feature"], &args);
}

#[test]
fn an_unknown_host_exits_1_naming_it() {
    // `.invalid` never resolves (RFC 2606).
    let args = ["--no-tui", "-s", "no-such-host.invalid", "-p", "1884", "alice"];
    let done = run_to_exit(&args);
    assert_one_line_error(
        &done,
        1,
        &["cannot connect to no-such-host.invalid:1884", "unknown host"],
        &args,
    );
}
