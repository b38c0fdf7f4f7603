//! The history keeper of `komunikator-broker`, end to end: messages said in
//! a room before someone joined reach them through a history request.
#![cfg(feature = "serve")]

use komunikator_testkit as testkit;

use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use komunikator::protocol::history::{decode_reply, encode_request, HistoryReply, HistoryRequest};
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};
use testkit::{chat_payload, on_a_free_port, wait_until_listening, Lines, WAIT};

/// `komunikator-broker` on a loopback port with its data directory in a
/// temporary one; killed on drop, so it never outlives the test.
struct BrokerProcess {
    process: Child,
    port: u16,
    stderr: Lines,
    data: tempfile::TempDir,
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn spawn_broker(port: u16, extra: &[&str]) -> BrokerProcess {
    let data = tempfile::tempdir().expect("a temporary directory");
    let mut process = Command::new(env!("CARGO_BIN_EXE_komunikator-broker"))
        .args(["--bind", "127.0.0.1", "-p", &port.to_string()])
        .args(extra)
        .env("XDG_DATA_HOME", data.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start komunikator-broker");
    let stderr = Lines::spawn("komunikator-broker".into(), process.stderr.take().expect("its stderr"));
    BrokerProcess {
        process,
        port,
        stderr,
        data,
    }
}

fn start_broker(extra: &[&str]) -> BrokerProcess {
    on_a_free_port("komunikator-broker", |port| {
        let mut broker = spawn_broker(port, extra);
        if wait_until_listening(&mut broker.process, port, WAIT) {
            Ok(broker)
        } else {
            Err(broker.stderr.read_to_end(WAIT).join("\n"))
        }
    })
}

enum Seen {
    Message(String, Vec<u8>),
    Acked,
}

/// A plain MQTT client (as a script or `mosquitto_pub` would be).
struct Plain {
    client: Client,
    seen: Receiver<Seen>,
}

impl Plain {
    fn connect(port: u16, id: &str) -> Plain {
        let mut options = MqttOptions::new(id, "127.0.0.1", port);
        options.set_keep_alive(Duration::from_secs(10));
        let (client, mut connection) = Client::new(options, 64);
        let (tx, seen) = mpsc::channel();
        std::thread::spawn(move || {
            for event in connection.iter() {
                let seen = match event {
                    Ok(Event::Incoming(Packet::Publish(p))) => Seen::Message(p.topic, p.payload.to_vec()),
                    Ok(Event::Incoming(Packet::ConnAck(_) | Packet::SubAck(_))) => Seen::Acked,
                    Ok(_) => continue,
                    Err(_) => break,
                };
                if tx.send(seen).is_err() {
                    break;
                }
            }
        });
        let plain = Plain { client, seen };
        plain.wait_acked("connected");
        plain
    }

    fn wait_acked(&self, what: &str) {
        loop {
            match self.seen.recv_timeout(WAIT) {
                Ok(Seen::Acked) => return,
                Ok(Seen::Message(..)) => {}
                Err(_) => panic!("not {what} within {WAIT:?}"),
            }
        }
    }

    fn subscribe(&self, filter: &str) {
        self.client
            .subscribe(filter, QoS::AtLeastOnce)
            .expect("queue SUBSCRIBE");
        self.wait_acked("subscribed");
    }

    /// QoS 1; the broker handles one client's packets in order, so what
    /// this client does next comes after it.
    fn publish(&self, topic: &str, payload: impl Into<Vec<u8>>) {
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload.into())
            .expect("queue PUBLISH");
    }

    /// The next message within `timeout`.
    fn next(&self, timeout: Duration) -> Option<(String, Vec<u8>)> {
        let deadline = Instant::now() + timeout;
        loop {
            match self
                .seen
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(Seen::Message(topic, payload)) => return Some((topic, payload)),
                Ok(Seen::Acked) => {}
                Err(_) => return None,
            }
        }
    }

    /// Sends `request` for `room` and waits up to `timeout` for the reply
    /// with its nonce (other replies are passed over).
    fn request(&self, room: &str, request: &HistoryRequest, timeout: Duration) -> Option<HistoryReply> {
        self.publish(&format!("history/get/{room}"), encode_request(request));
        let deadline = Instant::now() + timeout;
        while let Some((topic, payload)) = self.next(deadline.saturating_duration_since(Instant::now())) {
            if topic != format!("history/reply/{}", request.user) {
                continue;
            }
            let reply = decode_reply(&payload).unwrap_or_else(|e| panic!("an unreadable reply ({e})"));
            if reply.nonce == request.nonce {
                return Some(reply);
            }
        }
        None
    }

    /// All of `room`'s history, as `user`.
    fn ask(&self, room: &str, user: &str, nonce: &str, timeout: Duration) -> Option<HistoryReply> {
        let request = HistoryRequest {
            user: user.into(),
            nonce: nonce.into(),
            after: None,
            limit: 200,
        };
        self.request(room, &request, timeout)
    }
}

fn texts(reply: &HistoryReply) -> Vec<&str> {
    reply.messages.iter().map(|m| m.text.as_str()).collect()
}

/// Waits until the keeper is subscribed: a message in a room of its own
/// comes back through a history request.
fn wait_for_keeper(port: u16) {
    let prober = Plain::connect(port, "keeper-prober");
    prober.subscribe("history/reply/+");
    let deadline = Instant::now() + WAIT;
    for n in 0.. {
        assert!(Instant::now() < deadline, "the keeper did not answer within {WAIT:?}");
        prober.publish("chat/keeper-ready", chat_payload("prober", "ready?"));
        // A new name each time: the keeper answers a name 5 times per 10 s.
        if prober
            .ask(
                "keeper-ready",
                &format!("prober{n}"),
                "ready",
                Duration::from_millis(300),
            )
            .is_some()
        {
            return;
        }
    }
}

#[test]
fn a_late_joiner_gets_the_rooms_history_and_never_direct_messages() {
    let mut broker = start_broker(&[]);
    let port = broker.port;
    let line = broker.stderr.wait_for("about the keeper", WAIT, |l| {
        l.starts_with("komunikator-broker: keeping room history for late joiners (")
    });
    let archive = broker
        .data
        .path()
        .join(format!("komunikator/keeper/127.0.0.1_{port}.sqlite3"));
    assert!(line.contains(&archive.display().to_string()), "{line}");
    assert!(line.ends_with("; --no-keeper turns it off"), "{line}");
    wait_for_keeper(port);

    // Before carol ever connects: a direct message to her, then the room's chat.
    let alice = Plain::connect(port, "alice");
    alice.publish("dm/carol", chat_payload("alice", "the secret"));
    for n in 1..=5 {
        alice.publish("chat/general", chat_payload("alice", &format!("message {n}")));
    }
    assert!(archive.exists(), "no archive at {}", archive.display());

    let carol = Plain::connect(port, "carol");
    carol.subscribe("history/reply/carol");
    let want = ["message 1", "message 2", "message 3", "message 4", "message 5"];
    // The keeper may see the request before the last messages (they come
    // through other subscriptions): asked again until all are there.
    let mut got = Vec::new();
    for attempt in 0..3 {
        let reply = carol
            .ask("general", "carol", &format!("n{attempt}"), WAIT)
            .expect("a reply from the keeper");
        assert_eq!(reply.room, "general");
        assert!(!reply.more);
        assert!(reply.keeper.starts_with("komunikator-broker"), "{}", reply.keeper);
        got = texts(&reply).into_iter().map(str::to_owned).collect();
        if got == want {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(got, want);
    let users: Vec<_> = carol
        .ask("general", "carol", "again", WAIT)
        .expect("a reply")
        .messages
        .into_iter()
        .map(|m| m.user)
        .collect();
    assert!(users.iter().all(|u| u.as_deref() == Some("alice")), "{users:?}");

    // Nothing new since the last message: an empty reply.
    let request = HistoryRequest {
        user: "carol".into(),
        nonce: "later".into(),
        after: Some(chrono::Utc::now() + chrono::TimeDelta::seconds(1)),
        limit: 200,
    };
    let empty = carol
        .request("general", &request, WAIT)
        .expect("a reply for an empty stretch");
    assert_eq!(
        (empty.nonce.as_str(), empty.messages.len(), empty.more),
        ("later", 0, false)
    );

    // Direct messages are never kept: no request brings them back. (A room
    // this keeper never saw is left to other keepers: no reply at all.)
    let dave = Plain::connect(port, "dave");
    dave.subscribe("history/reply/dave");
    for room in ["carol", "dm", "dm/carol", "alice"] {
        let request = HistoryRequest {
            user: "dave".into(),
            nonce: "dm".into(),
            after: None,
            limit: 200,
        };
        dave.publish(&format!("history/get/{room}"), encode_request(&request));
    }
    if let Some((topic, payload)) = dave.next(Duration::from_secs(2)) {
        let text = String::from_utf8_lossy(&payload);
        panic!("a reply on {topic} for a room nobody spoke in: {text}");
    }
    // Nor is it anywhere in the archive (SQLite: the file or its write-ahead log).
    let stored: Vec<u8> = ["", "-wal"]
        .iter()
        .filter_map(|end| std::fs::read(format!("{}{end}", archive.display())).ok())
        .flatten()
        .collect();
    let holds = |text: &str| stored.windows(text.len()).any(|w| w == text.as_bytes());
    assert!(holds("message 5"), "the archive does not hold what was said");
    assert!(!holds("the secret"), "the archive holds a direct message");

    let stderr = broker.stderr.seen().join("\n");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn no_keeper_turns_it_off() {
    let mut broker = start_broker(&["--no-keeper"]);
    broker
        .stderr
        .wait_for("hosting", WAIT, |l| l.contains("hosting a broker on"));
    let carol = Plain::connect(broker.port, "carol");
    carol.subscribe("history/reply/carol");
    carol.publish("chat/general", chat_payload("carol", "anyone?"));
    assert!(carol.ask("general", "carol", "n", Duration::from_secs(1)).is_none());
    let said = broker.stderr.seen();
    assert!(!said.iter().any(|l| l.contains("keeping room history")), "{said:?}");
    assert!(!broker.data.path().join("komunikator").exists());
}
