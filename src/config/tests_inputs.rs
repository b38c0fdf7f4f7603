//! What the environment and the files give, and how a bad value in them is
//! named: the file, line and key, or the variable.

use std::collections::HashMap;

use super::tests::{env, file_error, FILE};
use super::*;

#[test]
fn file_errors_name_file_line_and_key() {
    let cases = [
        (
            "server = \"h\"\nprot = 1884\n",
            "line 2, key 'prot': unknown field `prot`",
        ),
        (
            "port = 70000",
            "line 1, key 'port': the port must be a number from 1 to 65535",
        ),
        ("port = \"x\"", "line 1, key 'port': invalid type: string \"x\""),
        ("qos = 3", "line 1, key 'qos': QoS must be 0, 1 or 2"),
        (
            "qos = 1\ndrain-timeout = 3601",
            "line 2, key 'drain-timeout': drain timeout must be 0 to 3600 seconds",
        ),
        (
            "drain-timeout = -1",
            "line 1, key 'drain-timeout': drain timeout must be 0 to 3600 seconds",
        ),
        (
            "drain-timeout = \"10\"",
            "line 1, key 'drain-timeout': invalid type: string \"10\"",
        ),
        ("username = \"a b\"", "line 1, key 'username'"),
        ("rooms = [\n  \"ok\",\n  \"no/slash\",\n]", "key 'rooms'"),
        ("server = \"http://h\"", "line 1, key 'server': unknown scheme"),
        (
            "\n[colors]\nown = \"purplish\"",
            "line 3, key 'colors.own': unknown colour 'purplish'",
        ),
        (
            "[colors]\nbackground = \"red\"",
            "line 2, key 'colors.background': unknown field `background`",
        ),
        ("[styles]\n", "line 1, key 'styles': unknown field `styles`"),
        ("tls = yes", "line 1, key 'tls'"),
        ("password = \"hunter2\"", "unknown field `password`"),
    ];
    for (text, needle) in cases {
        let err = file_error(text);
        assert!(err.starts_with(FILE), "{err}");
        assert!(err.contains(needle), "{text:?}\n  gave: {err}\n  want: {needle}");
    }
    let err = file_error("password = \"hunter2\"");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn environment_errors_name_the_variable() {
    let vars: HashMap<&str, &str> = [("KOMUNIKATOR_PORT", "eighty")].into();
    let err = env_layer(|name| vars.get(name).map(|v| v.to_string())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "KOMUNIKATOR_PORT: the port must be a number from 1 to 65535"
    );
    let vars: HashMap<&str, &str> = [("KOMUNIKATOR_TLS", "maybe")].into();
    let err = env_layer(|name| vars.get(name).map(|v| v.to_string()))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("KOMUNIKATOR_TLS: expected true or false"), "{err}");
    // Empty means unset.
    assert_eq!(env(&[("KOMUNIKATOR_SERVER", "")]), Layer::default());
}

#[test]
fn every_documented_variable_is_read() {
    for (name, _) in variables() {
        if name == "KOMUNIKATOR_CONFIG" {
            continue; // read by `load`, it picks the file
        }
        let value = match name {
            "KOMUNIKATOR_PORT" => "1884",
            "KOMUNIKATOR_TLS" => "true",
            "KOMUNIKATOR_DRAIN_TIMEOUT" => "5",
            "KOMUNIKATOR_MQTT" => "3.1.1",
            _ => "x",
        };
        assert_ne!(env(&[(name, value)]), Layer::default(), "{name} has no effect");
    }
}

#[test]
fn password_file_gives_its_first_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pw");
    for (content, want) in [
        ("s3cret\n", "s3cret"),
        ("s3cret", "s3cret"),
        ("s3cret\r\nignored\n", "s3cret"),
    ] {
        std::fs::write(&path, content).unwrap();
        assert_eq!(read_password_file(&path).unwrap().expose(), want);
    }
    std::fs::write(&path, "\nlater").unwrap();
    assert!(read_password_file(&path)
        .unwrap_err()
        .to_string()
        .contains("empty first line"));
    let missing = dir.path().join("missing");
    assert!(read_password_file(&missing)
        .unwrap_err()
        .to_string()
        .starts_with("cannot read the password file"));
}
