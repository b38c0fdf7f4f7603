use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::settings::Color;

use super::*;

pub(super) const FILE: &str = "/home/alice/.config/komunikator/config.toml";

fn file(text: &str) -> Layer {
    parse_file(text, Path::new(FILE)).unwrap()
}

pub(super) fn file_error(text: &str) -> String {
    let err = parse_file(text, Path::new(FILE)).unwrap_err().to_string();
    assert!(!err.contains('\n'), "one line: {err}");
    err
}

pub(super) fn env(vars: &[(&str, &str)]) -> Layer {
    let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    env_layer(|name| vars.get(name).cloned()).unwrap()
}

pub(super) fn cli(args: &[&str]) -> Layer {
    use clap::Parser;
    let mut all = vec!["komunikator"];
    all.extend(args);
    crate::cli::Cli::try_parse_from(all)
        .unwrap()
        .into_request()
        .unwrap()
        .layer
}

fn resolve(command_line: Layer, environment: Layer, config_file: Layer) -> Resolved {
    let sources = Sources {
        command_line,
        environment,
        config_file,
        default_log_file: Some("/state/komunikator.log".into()),
    };
    merge(sources, Mode::Tui).unwrap()
}

fn resolve_err(command_line: Layer, environment: Layer, config_file: Layer) -> String {
    let sources = Sources {
        command_line,
        environment,
        config_file,
        default_log_file: None,
    };
    merge(sources, Mode::Tui).unwrap_err().to_string()
}

#[test]
fn defaults_when_nothing_is_given() {
    let r = resolve(Layer::default(), Layer::default(), Layer::default());
    let s = &r.settings;
    assert_eq!((s.server.as_str(), s.port, s.tls.is_some()), ("localhost", 1883, false));
    assert_eq!((s.qos, s.keep_alive, s.scrollback, s.bell), (1, 30, 10_000, true));
    assert_eq!(s.drain_timeout, Duration::from_secs(10));
    assert_eq!(r.origin("drain-timeout"), Some(Origin::Default));
    assert_eq!(s.rooms, ["general"]);
    assert_eq!(s.login, None);
    assert_eq!(s.log_file, Some(PathBuf::from("/state/komunikator.log")));
    assert_eq!(r.origin("port"), Some(Origin::Default));
    assert!(r.require_username().unwrap_err().to_string().contains("USERNAME"));
}

#[test]
fn flags_beat_environment_beats_file_beats_defaults() {
    let config = file(
        r##"
        username = "carol"
        server = "file.example.org"
        port = 1001
        user = "file-user"
        qos = 0
        keep-alive = 10
        topic-prefix = "file/"
        rooms = ["#a", "b"]
        "##,
    );
    let environment = env(&[
        ("KOMUNIKATOR_SERVER", "env.example.org"),
        ("KOMUNIKATOR_PORT", "1002"),
        ("KOMUNIKATOR_USER", "env-user"),
    ]);
    let command_line = cli(&["-p", "1003", "alice"]);
    let r = resolve(command_line, environment, config);
    let s = &r.settings;
    assert_eq!(s.username, "alice");
    assert_eq!(s.server, "env.example.org");
    assert_eq!(s.port, 1003);
    assert_eq!(s.login.as_ref().unwrap().user, "env-user");
    assert_eq!((s.qos, s.keep_alive, s.topic_prefix.as_str()), (0, 10, "file/"));
    assert_eq!(s.rooms, ["a", "b"]);
    assert_eq!(r.origin("username"), Some(Origin::CommandLine));
    assert_eq!(r.origin("server"), Some(Origin::Environment));
    assert_eq!(r.origin("qos"), Some(Origin::ConfigFile));
    assert_eq!(r.origin("scrollback"), Some(Origin::Default));

    // Without the stronger layers, the file's values show through.
    let r = resolve(
        Layer::default(),
        Layer::default(),
        file("username = \"carol\"\nport = 1001"),
    );
    assert_eq!((r.settings.username.as_str(), r.settings.port), ("carol", 1001));
    assert!(r.require_username().is_ok());
}

#[test]
fn drain_timeout_flag_beats_environment_beats_file_beats_default() {
    let config = || file("drain-timeout = 30");
    let environment = || env(&[("KOMUNIKATOR_DRAIN_TIMEOUT", "20")]);
    let command_line = || cli(&["--drain-timeout", "0", "alice"]);

    let r = resolve(command_line(), environment(), config());
    assert_eq!(r.settings.drain_timeout, Duration::ZERO, "0 = do not wait");
    assert_eq!(r.origin("drain-timeout"), Some(Origin::CommandLine));

    let r = resolve(cli(&["alice"]), environment(), config());
    assert_eq!(r.settings.drain_timeout, Duration::from_secs(20));
    assert_eq!(r.origin("drain-timeout"), Some(Origin::Environment));

    let r = resolve(cli(&["alice"]), Layer::default(), config());
    assert_eq!(r.settings.drain_timeout, Duration::from_secs(30));
    assert_eq!(r.origin("drain-timeout"), Some(Origin::ConfigFile));

    let r = resolve(cli(&["alice"]), Layer::default(), Layer::default());
    assert_eq!(r.settings.drain_timeout, Duration::from_secs(10));
    assert_eq!(r.origin("drain-timeout"), Some(Origin::Default));

    // The largest value allowed.
    let r = resolve(
        cli(&["--drain-timeout", "3600", "alice"]),
        Layer::default(),
        Layer::default(),
    );
    assert_eq!(r.settings.drain_timeout, Duration::from_secs(3600));
}

#[test]
fn bad_drain_timeouts_name_the_rule() {
    use clap::Parser;
    for bad in ["3601", "-1", "ten", "1.5", ""] {
        assert_eq!(
            parse_drain_timeout(bad).unwrap_err(),
            "drain timeout must be 0 to 3600 seconds",
            "{bad:?}"
        );
        let err =
            crate::cli::Cli::try_parse_from(["komunikator", &format!("--drain-timeout={bad}"), "alice"]).unwrap_err();
        let err = crate::cli::one_line(&err);
        assert!(
            err.contains("drain timeout must be 0 to 3600 seconds"),
            "{bad:?}: {err}"
        );
        assert!(err.contains("--drain-timeout"), "{bad:?}: {err}");
    }
    let vars: HashMap<&str, &str> = [("KOMUNIKATOR_DRAIN_TIMEOUT", "3601")].into();
    let err = env_layer(|name| vars.get(name).map(|v| v.to_string())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "KOMUNIKATOR_DRAIN_TIMEOUT: drain timeout must be 0 to 3600 seconds"
    );
}

#[test]
fn tls_port_defaults_to_8883_unless_a_port_is_given() {
    let r = resolve(cli(&["--tls", "alice"]), Layer::default(), Layer::default());
    assert_eq!((r.settings.port, r.settings.tls.is_some()), (8883, true));
    let r = resolve(
        cli(&["--tls", "-p", "9000", "alice"]),
        Layer::default(),
        Layer::default(),
    );
    assert_eq!(r.settings.port, 9000);
    // TLS from the file, port from nowhere: still 8883.
    let r = resolve(cli(&["alice"]), Layer::default(), file("tls = true"));
    assert_eq!(r.settings.port, 8883);
    // A port in the file is kept when TLS comes from the command line.
    let r = resolve(cli(&["--tls", "alice"]), Layer::default(), file("port = 1884"));
    assert_eq!(r.settings.port, 1884);
}

#[test]
fn server_urls_set_host_port_and_tls() {
    let r = resolve(
        cli(&["-s", "mqtts://broker.example.org", "alice"]),
        Layer::default(),
        Layer::default(),
    );
    let s = &r.settings;
    assert_eq!(
        (s.server.as_str(), s.port, s.tls.is_some()),
        ("broker.example.org", 8883, true)
    );
    assert_eq!(s.address(), "broker.example.org:8883");

    let r = resolve(
        cli(&["-s", "mqtt://h:1884", "alice"]),
        Layer::default(),
        file("tls = true"),
    );
    assert_eq!(
        (r.settings.port, r.settings.tls.is_some()),
        (1884, false),
        "mqtt:// beats the file's tls"
    );

    // A bare host only replaces the host: TLS from the file's URL stays on.
    let r = resolve(
        cli(&["-s", "other", "alice"]),
        Layer::default(),
        file("server = \"mqtts://h\""),
    );
    let s = &r.settings;
    assert_eq!((s.server.as_str(), s.port, s.tls.is_some()), ("other", 8883, true));

    // -s host -p port works as it always did.
    let r = resolve(
        cli(&["-s", "10.0.0.1", "-p", "1884", "alice"]),
        Layer::default(),
        Layer::default(),
    );
    assert_eq!(
        (r.settings.address(), r.settings.tls.is_some()),
        ("10.0.0.1:1884".into(), false)
    );

    let err = resolve_err(
        Layer::default(),
        Layer::default(),
        file("server = \"mqtt://h:1\"\nport = 2"),
    );
    assert!(
        err.contains("config file: the server says port 1 but the port is set to 2"),
        "{err}"
    );
}

#[test]
fn certificates_and_keys() {
    let r = resolve(
        cli(&["--tls", "--ca-file", "ca.pem", "--cert", "me.pem", "alice"]),
        Layer::default(),
        file("key = \"me.key\""),
    );
    let tls = r.settings.tls.unwrap();
    assert_eq!(tls.ca_file, Some(PathBuf::from("ca.pem")));
    let client = tls.client_cert.unwrap();
    assert_eq!((client.cert, client.key), ("me.pem".into(), "me.key".into()));
    // TLS files in the file are simply unused when TLS is off.
    let r = resolve(cli(&["alice"]), Layer::default(), file("ca-file = \"ca.pem\""));
    assert_eq!(r.settings.tls, None);
    let err = resolve_err(
        cli(&["--tls", "--key", "me.key", "alice"]),
        Layer::default(),
        Layer::default(),
    );
    assert!(err.contains("needs its certificate too"), "{err}");
}

#[test]
fn password_sources_in_order() {
    let r = resolve(cli(&["--user", "u", "alice"]), Layer::default(), Layer::default());
    assert_eq!(r.password, Password::Missing);

    let config = || file("user = \"u\"\npassword-file = \"/file/pw\"");
    let r = resolve(cli(&["alice"]), Layer::default(), config());
    assert_eq!(r.password, Password::File("/file/pw".into(), Origin::ConfigFile));

    let environment = || env(&[("KOMUNIKATOR_PASSWORD_FILE", "/env/pw")]);
    let r = resolve(cli(&["alice"]), environment(), config());
    assert_eq!(r.password, Password::File("/env/pw".into(), Origin::Environment));

    let environment = || {
        env(&[
            ("KOMUNIKATOR_PASSWORD", "s3cret"),
            ("KOMUNIKATOR_PASSWORD_FILE", "/env/pw"),
        ])
    };
    let r = resolve(cli(&["alice"]), environment(), config());
    assert_eq!(r.password, Password::Given(Secret::new("s3cret"), Origin::Environment));

    let r = resolve(cli(&["--password-file", "/cli/pw", "alice"]), environment(), config());
    assert_eq!(r.password, Password::File("/cli/pw".into(), Origin::CommandLine));
}

#[test]
fn print_config_shows_where_values_come_from_and_never_the_password() {
    let r = resolve(
        cli(&["-s", "mqtts://broker.example.org", "alice"]),
        env(&[("KOMUNIKATOR_USER", "alice"), ("KOMUNIKATOR_PASSWORD", "hunter2")]),
        file("rooms = [\"rust\"]\n[colors]\nown = \"light-cyan\"\nmention = \"#ff8000\""),
    );
    let text = render(&r, FILE);
    assert!(!text.contains("hunter2"), "{text}");
    for needle in [
        "username = \"alice\"  # command line",
        "server = \"broker.example.org\"  # command line",
        "port = 8883  # default",
        "tls = true  # command line",
        "# ca-file is not set",
        "user = \"alice\"  # environment",
        "# password: given (redacted), from the environment",
        "rooms = [\"rust\"]  # config file",
        "keep-alive = 30  # default",
        "drain-timeout = 10  # default",
        "log-file = \"/state/komunikator.log\"  # default",
        "[colors]\nown = \"light-cyan\"  # config file\nmention = \"#ff8000\"  # config file\n",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    // What it prints reads back as a config file.
    let back = file(&text);
    assert_eq!(back.colors.own, Some(Color::LightCyan));
    assert_eq!(back.server.unwrap()[0].host, "broker.example.org");

    // No username anywhere: still printable.
    let r = resolve(Layer::default(), Layer::default(), Layer::default());
    assert!(render(&r, "none").contains("# username is not set"));
}

#[test]
fn colours_are_kept_for_the_ui() {
    let layer = file("[colours]\nown = \"cyan\"\nothers = \"208\"\nnotice = \"dark-gray\"");
    let r = resolve(cli(&["alice"]), Layer::default(), layer);
    let c = r.settings.colors;
    assert_eq!(
        (c.own, c.others, c.mention, c.notice),
        (
            Some(Color::Cyan),
            Some(Color::Indexed(208)),
            None,
            Some(Color::DarkGray)
        )
    );
}

#[test]
fn several_servers_are_tried_in_order_with_the_shared_port() {
    use crate::settings::Server;
    let server = |host: &str, port| Server {
        host: host.into(),
        port,
    };
    for args in [
        &["-s", "a,b:1999", "-p", "1884", "alice"][..],
        &["-s", "a", "-s", "b:1999", "-p", "1884", "alice"],
    ] {
        let s = resolve(cli(args), Layer::default(), Layer::default()).settings;
        assert_eq!(s.servers(), [server("a", 1884), server("b", 1999)], "{args:?}");
    }
    let from_env = resolve(
        Layer::default(),
        env(&[("KOMUNIKATOR_SERVER", "x:1,[::1]:2")]),
        file("server = \"ignored\""),
    )
    .settings;
    assert_eq!(from_env.servers(), [server("x", 1), server("::1", 2)]);
    assert_eq!(from_env.servers()[1].to_string(), "[::1]:2");
    let mixed = resolve_err(
        cli(&["-s", "mqtts://a,mqtt://b", "alice"]),
        Layer::default(),
        Layer::default(),
    );
    assert!(mixed.contains("must all use TLS or all not"), "{mixed}");
}

#[test]
fn mqtt_version_will_delay_and_session_expiry() {
    use crate::settings::MqttVersion;
    let s = resolve(Layer::default(), Layer::default(), Layer::default()).settings;
    assert_eq!(
        (s.mqtt, s.will_delay, s.session_expiry),
        (MqttVersion::Auto, Duration::from_secs(5), Duration::from_secs(3600))
    );
    let s = resolve(
        cli(&["--will-delay", "0", "alice"]),
        env(&[("KOMUNIKATOR_MQTT", "3.1.1")]),
        file("mqtt = \"5\"\nsession-expiry = 60"),
    )
    .settings;
    assert_eq!(
        (s.mqtt, s.will_delay, s.session_expiry),
        (MqttVersion::V311, Duration::ZERO, Duration::from_secs(60))
    );
    assert!(file_error("mqtt = \"4\"").contains("the MQTT version must be auto, 5 or 3.1.1"));
    assert!(file_error("will-delay = 3601").contains("will delay must be 0 to 3600 seconds"));
}
