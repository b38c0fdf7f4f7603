//! A flood into the room on screen, and keystrokes typed while it lasts.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

use komunikator_testkit::{chat_payload, RawPublisher};

use crate::screen::{input, Ui, ROOM};

/// 100 messages every 10 ms for 10 s: 10 000 msg/s.
pub(crate) const PER_TICK: usize = 100;
pub(crate) const TICK: Duration = Duration::from_millis(10);
pub(crate) const TICKS: u32 = 1_000;
pub(crate) const FLOOD: usize = PER_TICK * TICKS as usize;
/// One key every 100 ms, as many as fit in the flood.
pub(crate) const KEYS: u32 = 100;
pub(crate) const KEY_EVERY: Duration = Duration::from_millis(100);

/// The text of flood message `n`: unique, and in no stored message.
pub(crate) fn flood_text(n: usize) -> String {
    format!("flood {n:06}")
}

pub(crate) struct Published {
    pub(crate) sent: usize,
    /// From the first publish to the last one written to the socket.
    pub(crate) took: Duration,
    pub(crate) ended: Instant,
}

/// Publishes FLOOD chat messages to `chat/room-07` (QoS 0, one raw MQTT
/// connection), paced by the clock: a tick late is caught up at once.
/// Sets `done` when the last has been written.
pub(crate) fn publish(port: u16, done: &AtomicBool) -> Published {
    let mut publisher = RawPublisher::connect_port(port, "history-ui-flooder");
    let topic = format!("chat/{ROOM}");
    let started = Instant::now();
    let mut n = 0;
    for tick in 0..TICKS {
        sleep((started + TICK * tick).saturating_duration_since(Instant::now()));
        let packets: Vec<Vec<u8>> = (0..PER_TICK)
            .map(|_| {
                let payload = chat_payload("bob", &flood_text(n));
                n += 1;
                RawPublisher::packet(&topic, payload.as_bytes(), false)
            })
            .collect();
        publisher.publish_all(packets);
    }
    let took = started.elapsed();
    let ended = Instant::now();
    done.store(true, Ordering::Release);
    publisher.finish();
    Published { sent: n, took, ended }
}

pub(crate) struct Keystrokes {
    /// Send-keys issued → the capture that showed the letter in the input line.
    pub(crate) latencies: Vec<Duration>,
    /// Keys sent while the flood was still being published.
    pub(crate) during: usize,
    /// Keys never seen within the limit.
    pub(crate) lost: usize,
}

/// Types one letter every KEY_EVERY (later when the last one took longer),
/// waits for it in the input line, then clears the line with Ctrl-U and
/// waits for it to be empty (not timed).
pub(crate) fn keystrokes(ui: &Ui<'_>, flood_done: &AtomicBool) -> Keystrokes {
    let mut result = Keystrokes {
        latencies: Vec::new(),
        during: 0,
        lost: 0,
    };
    let started = Instant::now();
    for i in 0..KEYS {
        sleep((started + KEY_EVERY * i).saturating_duration_since(Instant::now()));
        let letter = char::from(b'a' + (i % 26) as u8).to_string();
        if !flood_done.load(Ordering::Acquire) {
            result.during += 1;
        }
        let from = Instant::now();
        ui.keys(&["-l", &letter]);
        match ui.poll(from, |s| input(s) == Some(letter.as_str())) {
            Some(took) => result.latencies.push(took),
            None => result.lost += 1,
        }
        ui.keys(&["C-u"]);
        let _ = ui.poll(Instant::now(), |s| input(s) == Some(""));
    }
    result
}
