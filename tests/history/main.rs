//! History end to end: catch-up across a cut and across a restart (at both
//! MQTT versions, mosquitto with persistence), the local history shown after
//! a restart and searched, a history that survives kill -9 mid-flood, two
//! instances of one user, and the backlog late joiners get from a keeper
//! (a `--serve` host, `komunikator-broker`).
//!
//! Each file holds one part: [`catch_up`], [`local`], [`keeper`].

use komunikator_testkit as testkit;

use testkit::records::{is_message, record, records};

use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::{Broker, Komunikator, MosquittoLog, Proxy, ProxyMode, WAIT};

mod catch_up;
#[cfg(feature = "serve")]
mod keeper;
mod local;

/// mosquitto keeping sessions and their messages on disk (in `dir`), as a
/// broker that carries people through an absence is configured.
fn persistent_mosquitto(dir: &Path) -> Option<Broker> {
    // mosquitto started as root drops to its own user unless told (`user root`, in the base config).
    let extra = format!(
        "persistence true\npersistence_location {}/\nautosave_interval 1\n",
        dir.display()
    );
    Broker::start_mosquitto_with(MosquittoLog::All, &extra)
}

/// Line mode with `data` as its data directory (history and client id):
/// the same directory twice is the same user on the same machine.
fn spawn_at(port: u16, name: &str, data: &Path, extra: &[&str]) -> Komunikator {
    let port = port.to_string();
    let mut args = vec!["--no-tui", "-s", "127.0.0.1", "-p", &port];
    args.extend(extra);
    args.push(name);
    let data = data.to_path_buf();
    Komunikator::spawn_custom(name, &args, move |command| {
        command.env("XDG_DATA_HOME", &data);
    })
}

/// Waits until `client` printed `n` records `pred` accepts; they are returned.
fn wait_records(client: &mut Komunikator, what: &str, n: usize, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
    client
        .stdout
        .wait_for_count(what, n, WAIT, |l| record(l).is_some_and(|v| pred(&v)));
    records(client, pred)
}

/// The texts of `user`'s messages among `records`, in the order printed.
fn texts(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|v| v["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A fresh data directory for one user (kept until the test ends).
fn data_dir(scratch: &tempfile::TempDir, name: &str) -> PathBuf {
    scratch.path().join(format!("data-{name}"))
}

fn wait_lost(client: &mut Komunikator) {
    client.stderr.wait_for("saying the link was lost", WAIT, |l| {
        l.contains("connection lost") || l.contains("cannot reach")
    });
}

fn wait_reconnected(client: &mut Komunikator) {
    client.stderr.wait_for("saying it reconnected", WAIT, |l| {
        l.starts_with("komunikator: reconnected to ")
    });
}
