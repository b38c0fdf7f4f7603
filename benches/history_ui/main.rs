//! The full-screen UI over a big local history, with the release binary:
//!
//! 1. a history of 1 000 000 messages in 50 rooms over the 90 days up to now,
//!    written with `Store::insert` (batches of 10 000) where the client will
//!    look for `alice`'s history on this mosquitto: build time, bytes per message;
//! 2. start-up to the first screen, 10 runs in tmux (200×60): until the newest
//!    stored message of room-07 shows, and until " connected " shows;
//! 3. `/search` in the UI, 10 times in one session for a rare word in room-07,
//!    once with `-a` for a common word in every room;
//! 4. a flood of 10 000 msg/s for 10 s into room-07 while a key is typed every
//!    200 ms: the keystroke latency, then how much of the flood was stored.
//!
//! Figures only: nothing about timings is asserted. Every wait is bounded;
//! mosquitto and the tmux server (a socket of its own) are stopped on the way
//! out, also on panic.
//!
//! ```text
//! cargo bench --bench history_ui
//! ```

mod corpus;
mod flood;
mod screen;

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::thread;
use std::time::{Duration, Instant};

use komunikator_history::Store;
use komunikator_testkit::tmux::Tmux;
use komunikator_testkit::{binaries, client_binary, notice, use_binaries, Broker, MosquittoLog};

use corpus::{room_name, BATCH, COMMON, MESSAGES, NEEDLE, ROOMS};
use flood::{flood_text, FLOOD, KEY_EVERY};
use screen::{command, hit_count, hits_header, Ui, HEIGHT, LIMIT, ROOM, WIDTH};

const STARTS: usize = 10;
const SEARCHES: usize = 10;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The nearest-rank `p`th percentile (0–100) of `samples`, sorted here.
fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort_unstable();
    let rank = (samples.len() as f64 * p / 100.0).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
}

fn median_max(samples: &mut [Duration]) -> String {
    let max = samples.iter().max().copied().unwrap_or_default();
    format!("{:.0} / {:.0} ms", ms(percentile(samples, 50.0)), ms(max))
}

/// The table: what, the figure, how it was measured.
struct Table(Vec<[String; 3]>);

impl Table {
    fn row(&mut self, what: impl Into<String>, figure: impl Into<String>, how: impl Into<String>) {
        self.0.push([what.into(), figure.into(), how.into()]);
    }

    fn print(&self) {
        let width = |i: usize| self.0.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
        let (w0, w1) = (width(0).max(4), width(1).max(6));
        println!();
        println!("| {:<w0$} | {:>w1$} | how measured", "what", "figure");
        println!("|{:-<a$}|{:->b$}|{:-<14}", "", "", "", a = w0 + 2, b = w1 + 2);
        for [what, figure, how] in &self.0 {
            println!("| {what:<w0$} | {figure:>w1$} | {how}");
        }
    }
}

/// Starts the UI STARTS times: until the newest message of room-07 shows and
/// until " connected " shows, from the tmux command being issued.
fn start_ups(tmux: &Tmux, command: &str, newest: &str, table: &mut Table) {
    let (mut shown, mut connected) = (Vec::new(), Vec::new());
    for run in 0..STARTS {
        let (ui, at) = Ui::open(tmux, &format!("start{run}"), command);
        let (mut message, mut online) = (None, None);
        while message.is_none() || online.is_none() {
            let screen = ui.screen();
            let t = at.elapsed();
            if message.is_none() && screen.contains(newest) {
                message = Some(t);
            }
            if online.is_none() && screen.contains(" connected ") {
                online = Some(t);
            }
            assert!(t < LIMIT, "start {run}: not shown within {LIMIT:?}:\n{screen}");
        }
        shown.extend(message);
        connected.extend(online);
        ui.quit();
    }
    let how = "from `tmux new-session` issued (incl. tmux and process start) to the first capture-pane \
               (polled without pause) showing it";
    table.row(
        format!("start-up → newest {ROOM} message shown (median / max, {STARTS} runs)"),
        median_max(&mut shown),
        how,
    );
    table.row(
        format!("start-up → \" connected \" shown (median / max, {STARTS} runs)"),
        median_max(&mut connected),
        format!("{how}; same runs, Ctrl-C and session gone between them"),
    );
}

/// Types `/search [-a ]TEXT` + Enter: the time until the results header shows, and its count.
fn search(ui: &Ui<'_>, text: &str, all: bool) -> (Duration, usize) {
    let line = if all {
        format!("/search -a {text}")
    } else {
        format!("/search {text}")
    };
    let from = Instant::now();
    ui.keys(&["-l", &line]);
    ui.keys(&["Enter"]);
    let took = ui
        .poll(from, |s| hits_header(s, text, all).is_some())
        .unwrap_or_else(|| panic!("no results for {line} within {LIMIT:?}:\n{}", ui.screen()));
    let hits = hits_header(&ui.screen(), text, all).map_or(0, hit_count);
    ui.keys(&["Escape"]);
    ui.wait("the results closed", |s| hits_header(s, text, all).is_none());
    (took, hits)
}

fn searches(tmux: &Tmux, command: &str, newest: &str, table: &mut Table) {
    let (ui, _) = Ui::open(tmux, "search", command);
    ui.wait("the first screen", |s| {
        s.contains(" connected ") && (newest.is_empty() || s.contains(newest))
    });
    let mut times = Vec::new();
    let mut hits = 0;
    for _ in 0..SEARCHES {
        let (took, n) = search(&ui, NEEDLE, false);
        times.push(took);
        hits = n;
    }
    let first = times[0];
    let how = "from `send-keys` of the line to the first capture-pane (polled without pause) showing \
               the header `N hit(s) for \"…\"`; one session";
    table.row(
        format!("/search {NEEDLE} in {ROOM}: {hits} hits (median / max, {SEARCHES} runs)"),
        median_max(&mut times),
        format!("{how}, Escape between runs; the first run {:.0} ms", ms(first)),
    );
    let (took, hits) = search(&ui, COMMON, true);
    table.row(
        format!("/search -a {COMMON}, every room: {hits} hits shown (1 run)"),
        format!("{:.0} ms", ms(took)),
        format!("{how}, right after the runs above"),
    );
    ui.quit();
}

/// `label`: how the client runs (with its history, or with `--no-history`
/// for the same flood without it, as the figure to compare with).
fn flood_run(tmux: &Tmux, command: &str, label: &str, newest: &str, port: u16, path: &Path, table: &mut Table) {
    let count = || {
        Store::open(path)
            .and_then(|s| s.count(Some(ROOM)))
            .expect("count room-07")
    };
    let before = count();
    let (ui, _) = Ui::open(tmux, "flood", command);
    ui.wait("the first screen", |s| {
        s.contains(" connected ") && (newest.is_empty() || s.contains(newest))
    });
    let done = AtomicBool::new(false);
    let (published, keys) = thread::scope(|scope| {
        let publisher = scope.spawn(|| flood::publish(port, &done));
        let keys = flood::keystrokes(&ui, &done);
        (publisher.join().expect("the publisher"), keys)
    });
    let last = flood_text(FLOOD - 1);
    let shown = ui.poll(published.ended, |s| s.contains(&last));
    ui.quit();
    let stored = count() - before;

    let mut lat = keys.latencies;
    let n = lat.len();
    let max = lat.iter().max().copied().unwrap_or_default();
    table.row(
        format!("{label}: keystroke → shown in the input line, during the flood (p50 / p99 / max, N = {n})"),
        format!(
            "{:.0} / {:.0} / {:.0} ms",
            ms(percentile(&mut lat, 50.0)),
            ms(percentile(&mut lat, 99.0)),
            ms(max)
        ),
        format!(
            "one letter per {} ms by `send-keys`, polled with capture-pane without pause until the input \
             line shows it, then Ctrl-U; {} sent while publishing, {} never shown (p99 by nearest rank)",
            KEY_EVERY.as_millis(),
            keys.during,
            keys.lost
        ),
    );
    table.row(
        format!("{label}: flood into {ROOM}"),
        format!(
            "{} in {:.1} s ({:.0}/s)",
            published.sent,
            published.took.as_secs_f64(),
            published.sent as f64 / published.took.as_secs_f64()
        ),
        "one raw MQTT connection, QoS 0, 100 publishes every 10 ms from another thread",
    );
    table.row(
        format!("{label}: last flood message shown, after the last publish"),
        shown.map_or_else(|| format!("not within {LIMIT:?}"), |d| format!("{:.0} ms", ms(d))),
        "capture-pane polled without pause from the last publish written",
    );
    if label != "history" {
        return;
    }
    table.row(
        format!("{label}: flood stored in the history (stored / sent, dropped)"),
        format!(
            "{stored} / {} ({:.1} %), {} dropped",
            published.sent,
            stored as f64 * 100.0 / published.sent as f64,
            published.sent as i64 - stored as i64
        ),
        format!("Store::count({ROOM}) after Ctrl-C and the session gone, less before ({before})"),
    );
}

fn main() {
    use_binaries(binaries!());
    let Some(tmux) = Tmux::start() else { return };
    let Some(broker) = Broker::start_mosquitto_with(MosquittoLog::Off, "") else {
        notice("mosquitto is not installed: history_ui skipped");
        return;
    };
    let home = tempfile::tempdir().expect("a temporary directory");
    let path = home
        .path()
        .join("data/komunikator/history")
        .join(format!("alice@127.0.0.1_{}.sqlite3", broker.port));
    println!(
        "history UI: {} against mosquitto on 127.0.0.1:{}, tmux {WIDTH}×{HEIGHT}, {} CPUs",
        client_binary(),
        broker.port,
        thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut table = Table(Vec::new());

    eprintln!("building the history: {MESSAGES} messages…");
    let built = corpus::build(&path);
    let store = Store::open(&path).expect("open the history");
    let newest = store
        .recent(ROOM, 1)
        .expect("recent")
        .pop()
        .expect("room-07 has messages");
    let in_room = store.count(Some(ROOM)).expect("count");
    let busiest = store.count(Some(&room_name(0))).expect("count");
    let quietest = store.count(Some(&room_name(ROOMS - 1))).expect("count");
    drop(store);
    table.row(
        format!("build {MESSAGES} messages, {ROOMS} rooms, batches of {BATCH}"),
        format!(
            "{:.1} s ({:.0} msg/s)",
            built.took.as_secs_f64(),
            MESSAGES as f64 / built.took.as_secs_f64()
        ),
        format!(
            "Store::insert, one transaction per batch, in this process; {} with \"{NEEDLE}\"; \
             {ROOM} {in_room}, room-00 {busiest}, room-49 {quietest} messages",
            built.needles
        ),
    );
    table.row(
        "bytes on disk per message",
        format!(
            "{:.0} B ({:.1} MiB)",
            built.bytes as f64 / MESSAGES as f64,
            built.bytes as f64 / (1 << 20) as f64
        ),
        ".sqlite3 + -wal sizes after the store was closed (checkpointed), / messages",
    );

    let command = command(home.path(), broker.port);
    eprintln!("start-ups…");
    start_ups(&tmux, &command, &newest.text, &mut table);
    eprintln!("searches…");
    searches(&tmux, &command, &newest.text, &mut table);
    eprintln!("flood…");
    flood_run(&tmux, &command, "history", &newest.text, broker.port, &path, &mut table);
    eprintln!("the same flood with --no-history…");
    let without = command.replace(" alice", " --no-history alice");
    flood_run(&tmux, &without, "--no-history", "", broker.port, &path, &mut table);
    table.print();
    drop(tmux);
    drop(broker);
}
