//! A plain MQTT client (not komunikator) to publish raw payloads and watch
//! topics, and what it reads.

use std::collections::VecDeque;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};
use serde_json::Value;

use crate::{Broker, WAIT};

/// What a raw MQTT connection saw.
#[derive(Debug, Clone)]
pub struct Received {
    pub topic: String,
    pub payload: Vec<u8>,
    pub retain: bool,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.payload)
            .unwrap_or_else(|e| panic!("payload on {} is not JSON ({e}): {:?}", self.topic, self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.payload).into_owned()
    }
}

enum ProbeEvent {
    ConnAck,
    SubAck,
    PubAck,
    Message(Received),
    Gone(String),
}

/// A plain MQTT client (not komunikator) for publishing raw payloads and
/// watching topics, as `mosquitto_pub`/`mosquitto_sub` would.
pub struct Probe {
    client: Client,
    rx: Receiver<ProbeEvent>,
    messages: VecDeque<Received>,
    gone: Option<String>,
}

impl Probe {
    pub fn connect(broker: &Broker, id: &str) -> Probe {
        let mut options = MqttOptions::new(id, "127.0.0.1", broker.port);
        options.set_keep_alive(Duration::from_secs(10));
        let (client, mut connection) = Client::new(options, 64);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for event in connection.iter() {
                let event = match event {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => ProbeEvent::ConnAck,
                    Ok(Event::Incoming(Packet::SubAck(_))) => ProbeEvent::SubAck,
                    Ok(Event::Incoming(Packet::PubAck(_))) => ProbeEvent::PubAck,
                    Ok(Event::Incoming(Packet::Publish(p))) => ProbeEvent::Message(Received {
                        topic: p.topic,
                        payload: p.payload.to_vec(),
                        retain: p.retain,
                    }),
                    Ok(_) => continue,
                    Err(e) => {
                        let _ = tx.send(ProbeEvent::Gone(e.to_string()));
                        break;
                    }
                };
                if tx.send(event).is_err() {
                    break;
                }
            }
        });
        let mut probe = Probe {
            client,
            rx,
            messages: VecDeque::new(),
            gone: None,
        };
        probe.expect(id, "connected", |e| matches!(e, ProbeEvent::ConnAck));
        probe
    }

    fn expect(&mut self, what: &str, wanted: &str, is: impl Fn(&ProbeEvent) -> bool) {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(ProbeEvent::Message(m)) => self.messages.push_back(m),
                Ok(ProbeEvent::Gone(why)) => panic!("probe {what}: connection ended before {wanted}: {why}"),
                Ok(event) if is(&event) => return,
                Ok(_) => {}
                Err(_) => panic!("probe {what}: not {wanted} within {WAIT:?}"),
            }
        }
    }

    /// Subscribes and waits for the broker's acknowledgement.
    pub fn subscribe(&mut self, filter: &str) {
        self.client
            .subscribe(filter, QoS::AtLeastOnce)
            .expect("queue SUBSCRIBE");
        self.expect(filter, "subscribed", |e| matches!(e, ProbeEvent::SubAck));
    }

    /// Publishes at QoS 1 and waits for the broker's acknowledgement.
    pub fn publish(&mut self, topic: &str, payload: impl Into<Vec<u8>>, retain: bool) {
        self.client
            .publish(topic, QoS::AtLeastOnce, retain, payload.into())
            .expect("queue PUBLISH");
        self.expect(topic, "acknowledged", |e| matches!(e, ProbeEvent::PubAck));
    }

    /// The next message received, waiting up to `timeout`.
    pub fn next_message(&mut self, timeout: Duration) -> Option<Received> {
        if let Some(m) = self.messages.pop_front() {
            return Some(m);
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(ProbeEvent::Message(m)) => return Some(m),
                Ok(ProbeEvent::Gone(why)) => {
                    self.gone = Some(why);
                    return None;
                }
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }

    /// Waits for the next message that matches; the ones before it are dropped.
    pub fn wait_message(&mut self, what: &str, pred: impl Fn(&Received) -> bool) -> Received {
        let deadline = Instant::now() + WAIT;
        let mut skipped = Vec::new();
        while let Some(m) = self.next_message(deadline.saturating_duration_since(Instant::now())) {
            if pred(&m) {
                return m;
            }
            skipped.push(m.text());
        }
        panic!(
            "probe: no message {what} within {WAIT:?} (connection: {:?}); other messages:\n{}",
            self.gone,
            skipped.join("\n")
        );
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        // Ends the connection thread; it also ends when the broker goes away.
        let _ = self.client.try_disconnect();
    }
}

/// A presence payload (PROTOCOL.md), as a watcher reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    pub user: String,
    pub status: String,
    pub session: String,
    pub ts: DateTime<Utc>,
}

impl Presence {
    pub fn parse(m: &Received) -> Presence {
        let v = m.json();
        let field = |name: &str| {
            v[name]
                .as_str()
                .unwrap_or_else(|| panic!("presence without string {name:?}: {v}"))
                .to_owned()
        };
        Presence {
            user: field("user"),
            status: field("status"),
            session: field("session"),
            ts: DateTime::parse_from_rfc3339(&field("ts"))
                .unwrap_or_else(|e| panic!("presence ts is not RFC 3339 ({e}): {v}"))
                .with_timezone(&Utc),
        }
    }
}
