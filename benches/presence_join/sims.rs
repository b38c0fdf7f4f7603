//! The simulated users and the observer, with what they count.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

use crate::*;

/// What the simulated users and the observer count, shared with the main thread.
#[derive(Default)]
pub(crate) struct Counters {
    /// Simulated users whose presence was acknowledged and subscription granted.
    pub(crate) ready: AtomicUsize,
    /// Why simulated users failed (connection refused or lost).
    pub(crate) failures: Mutex<Vec<String>>,
    pub(crate) observer_ready: AtomicBool,
    /// Everything the observer received, counting or not (to see the setup settle).
    pub(crate) observed: AtomicU64,
    /// True during the measured window.
    pub(crate) counting: AtomicBool,
    /// When the observer saw the first roll call of the window.
    pub(crate) first_call: Mutex<Option<Instant>>,
    // What the observer saw during the window.
    pub(crate) roll_calls: AtomicU64,
    pub(crate) answers: AtomicU64,
    pub(crate) presence: AtomicU64,
    pub(crate) heartbeats: AtomicU64,
    /// `presence/+` with `"repeat":true`: answers the old way (retained, on the presence topic).
    pub(crate) presence_repeats: AtomicU64,
    /// Anything else under `presence/#`.
    pub(crate) unknown: AtomicU64,
    // What the simulated users did during the window.
    pub(crate) roll_calls_to_sims: AtomicU64,
    pub(crate) answers_sent: AtomicU64,
}

impl Counters {
    pub(crate) fn counting(&self) -> bool {
        self.counting.load(Ordering::Relaxed)
    }

    pub(crate) fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn fail(&self, why: String) {
        self.failures.lock().expect("failures").push(why);
    }

    pub(crate) fn failures(&self) -> Vec<String> {
        self.failures.lock().expect("failures").clone()
    }
}

pub(crate) fn get(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

pub(crate) fn mqtt_options(client_id: String, port: u16) -> MqttOptions {
    let mut o = MqttOptions::new(client_id, "127.0.0.1", port);
    o.set_keep_alive(Duration::from_secs(60)).set_clean_session(true);
    o
}

/// One simulated user's presence, as komunikator would publish it.
pub(crate) fn presence(user: &str, session: &str, ts: &str, repeat: bool) -> String {
    let repeat = if repeat { ",\"repeat\":true" } else { "" };
    format!(
        "{{\"v\":1,\"user\":\"{user}\",\"status\":\"online\",\"ts\":\"{ts}\",\"session\":\"{session}\",\
         \"seq\":1,\"rooms\":[\"general\"],\"refresh\":60{repeat}}}"
    )
}

/// A roll call: who asks (the name in the topic) and from which session.
pub(crate) fn roll_call(topic: &str, payload: &[u8]) -> Option<(String, String)> {
    let asker = topic.strip_prefix("presence/")?.strip_suffix("/rollcall")?;
    let v: serde_json::Value = serde_json::from_slice(payload).ok()?;
    Some((asker.to_owned(), v["session"].as_str()?.to_owned()))
}

/// One simulated user: connects, publishes its presence, answers roll calls.
pub(crate) async fn sim(i: usize, port: u16, c: Arc<Counters>) {
    let user = format!("sim{i:04}");
    let topic = format!("presence/{user}");
    let session = format!("{:012x}", fastrand::u64(..) & 0xffff_ffff_ffff);
    let ts = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let answer = presence(&user, &session, &ts, true);
    let (client, mut events) = AsyncClient::new(mqtt_options(format!("{user}-{}", std::process::id()), port), 16);
    let (mut acked, mut subscribed, mut ready) = (false, false, false);
    // Asking sessions answered, and when.
    let mut answered: HashMap<String, Instant> = HashMap::new();
    loop {
        let event = match events.poll().await {
            Ok(event) => event,
            Err(e) => {
                c.fail(format!("{user}: {e}"));
                return;
            }
        };
        match event {
            Event::Incoming(Packet::ConnAck(_)) => {
                let payload = presence(&user, &session, &ts, false);
                let sent = client
                    .try_publish(&topic, QoS::AtLeastOnce, true, payload)
                    .and_then(|()| client.try_subscribe("presence/+/rollcall", QoS::AtMostOnce));
                if let Err(e) = sent {
                    c.fail(format!("{user}: {e}"));
                    return;
                }
            }
            Event::Incoming(Packet::PubAck(_)) => acked = true,
            Event::Incoming(Packet::SubAck(_)) => subscribed = true,
            Event::Incoming(Packet::Publish(p)) => {
                if c.counting() {
                    Counters::add(&c.roll_calls_to_sims);
                }
                let now = Instant::now();
                answered.retain(|_, at| now.duration_since(*at) < ANSWER_QUIET);
                match roll_call(&p.topic, &p.payload) {
                    Some((asker, asking)) if asking != session && !answered.contains_key(&asking) => {
                        answered.insert(asking, now);
                        let to = format!("presence/{user}/answer/{asker}");
                        let (client, answer, c) = (client.clone(), answer.clone(), c.clone());
                        tokio::spawn(async move {
                            tokio::time::sleep(Duration::from_millis(fastrand::u64(0..=JITTER_MS))).await;
                            if client.publish(to, QoS::AtLeastOnce, false, answer).await.is_ok() && c.counting() {
                                Counters::add(&c.answers_sent);
                            }
                        });
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        if acked && subscribed && !ready {
            ready = true;
            c.ready.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Subscribed to `presence/#`; sorts what arrives during the window by topic.
pub(crate) async fn observer(port: u16, c: Arc<Counters>) {
    let id = format!("presence-join-observer-{}", std::process::id());
    let (client, mut events) = AsyncClient::new(mqtt_options(id, port), 16);
    loop {
        let event = match events.poll().await {
            Ok(event) => event,
            Err(e) => {
                c.fail(format!("observer: {e}"));
                return;
            }
        };
        match event {
            Event::Incoming(Packet::ConnAck(_)) => {
                if let Err(e) = client.try_subscribe("presence/#", QoS::AtMostOnce) {
                    c.fail(format!("observer: {e}"));
                    return;
                }
            }
            Event::Incoming(Packet::SubAck(_)) => c.observer_ready.store(true, Ordering::Relaxed),
            Event::Incoming(Packet::Publish(p)) => {
                Counters::add(&c.observed);
                if !c.counting() {
                    continue;
                }
                let levels: Vec<&str> = p.topic.split('/').collect();
                let counter = match levels.as_slice() {
                    ["presence", user] if !user.is_empty() => {
                        if serde_json::from_slice::<serde_json::Value>(&p.payload)
                            .is_ok_and(|v| v["repeat"] == serde_json::Value::Bool(true))
                        {
                            Counters::add(&c.presence_repeats);
                        }
                        &c.presence
                    }
                    ["presence", _, "rollcall"] => {
                        c.first_call
                            .lock()
                            .expect("first call")
                            .get_or_insert_with(Instant::now);
                        &c.roll_calls
                    }
                    ["presence", _, "answer", _] => &c.answers,
                    ["presence", _, "alive"] => &c.heartbeats,
                    _ => &c.unknown,
                };
                Counters::add(counter);
            }
            _ => {}
        }
    }
}

/// The simulated users and the observer, on a runtime of their own thread;
/// all disconnected (dropped) when this is dropped.
pub(crate) struct Sims {
    pub(crate) stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub(crate) thread: Option<thread::JoinHandle<()>>,
}

impl Sims {
    pub(crate) fn start(port: u16, opts: &Options, c: Arc<Counters>) -> Sims {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (users, batch) = (opts.users, opts.batch);
        let thread = thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime");
            runtime.block_on(async move {
                tokio::spawn(observer(port, c.clone()));
                for first in (0..users).step_by(batch) {
                    let end = (first + batch).min(users);
                    for i in first..end {
                        tokio::spawn(sim(i, port, c.clone()));
                    }
                    // The next batch once this one is in (or gave up): the main thread judges.
                    let since = Instant::now();
                    while c.ready.load(Ordering::Relaxed) < end && c.failures().is_empty() && since.elapsed() < LIMIT {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
                let _ = stopped.await;
            });
        });
        Sims {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Sims {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Waits until every simulated user and the observer are in; panics after
/// [`LIMIT`] without progress or at the first failure. Returns how long it took.
pub(crate) fn wait_ready(c: &Counters, users: usize, broker: &str) -> Duration {
    let started = Instant::now();
    let (mut last, mut progress) = (0, Instant::now());
    loop {
        let failures = c.failures();
        assert!(
            failures.is_empty(),
            "{broker}: {} simulated connections failed, the first: {}",
            failures.len(),
            failures[0]
        );
        let ready = c.ready.load(Ordering::Relaxed);
        if ready >= users && c.observer_ready.load(Ordering::Relaxed) {
            return started.elapsed();
        }
        if ready != last {
            (last, progress) = (ready, Instant::now());
        }
        assert!(
            progress.elapsed() < LIMIT,
            "{broker}: only {ready} of {users} simulated users online, none more for {LIMIT:?}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until the observer has received nothing for a second (the retained
/// presence it got on subscribing, the last simulated users' publishes).
pub(crate) fn wait_quiet(c: &Counters, broker: &str) {
    let started = Instant::now();
    let (mut last, mut since) = (get(&c.observed), Instant::now());
    while since.elapsed() < Duration::from_secs(1) {
        thread::sleep(Duration::from_millis(50));
        let now = get(&c.observed);
        if now != last {
            (last, since) = (now, Instant::now());
        }
        assert!(
            started.elapsed() < LIMIT,
            "{broker}: presence traffic did not settle within {LIMIT:?}"
        );
    }
}
