//! The rumqttc peer: an ordinary rumqttc 0.25 MQTT 5 client
//! (`rumqttc::v5`), its event loop polled on a task of its own that forwards
//! every incoming packet, and the error that ends it, to the probe. Killing
//! it aborts that task: the socket is closed without DISCONNECT, as when a
//! process dies. Also the waits every probe uses ([`WAIT`], [`QUIET`]).
//!
//! For what this client refuses to send or hides, see `wire.rs`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rumqttc::v5::mqttbytes::v5::{
    ConnAck, Filter, Packet, Publish, PublishProperties, SubscribeProperties, SubscribeReasonCode,
};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::{AsyncClient, Event, EventLoop, MqttOptions};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// How long a probe waits for something that should come.
pub(crate) const WAIT: Duration = Duration::from_secs(3);
/// How long a probe waits to be sure something does not come.
pub(crate) const QUIET: Duration = Duration::from_millis(1500);
/// The maximum packet size announced by clients that should get everything.
const ROOMY: u32 = 4 * 1024 * 1024;

/// Options for a client of the v5 listener: clean start, 30 s keep-alive,
/// accepts packets up to [`ROOMY`] (rumqttc's default is 10 KiB).
pub(crate) fn options(id: &str, port: u16) -> MqttOptions {
    let mut o = MqttOptions::new(id, "127.0.0.1", port);
    o.set_keep_alive(Duration::from_secs(30))
        .set_connection_timeout(WAIT.as_secs())
        .set_max_packet_size(Some(ROOMY));
    o
}

/// A filter at QoS 1 with default subscription options.
pub(crate) fn filter(path: &str) -> Filter {
    Filter::new(path, QoS::AtLeastOnce)
}

/// What the event loop task hands over: a packet, or the error that ended
/// the loop (as it reads).
type Seen = Result<Packet, String>;

/// A connected rumqttc MQTT 5 client.
pub(crate) struct Peer {
    client: AsyncClient,
    pub(crate) connack: ConnAck,
    events: mpsc::UnboundedReceiver<(Instant, Seen)>,
    /// Publishes that arrived while waiting for something else.
    stash: VecDeque<(Instant, Publish)>,
    /// Why the connection ended, once it has.
    ended: Option<String>,
    task: JoinHandle<()>,
}

/// Publishes received within a window, and whether the connection ended.
pub(crate) struct Received {
    pub(crate) publishes: Vec<(Instant, Publish)>,
    pub(crate) ended: Option<String>,
}

impl Received {
    pub(crate) fn payloads(&self) -> Vec<String> {
        self.publishes.iter().map(|(_, p)| payload_text(p)).collect()
    }

    pub(crate) fn find(&self, payload: &str) -> Option<&Publish> {
        self.publishes
            .iter()
            .map(|(_, p)| p)
            .find(|p| payload_text(p) == payload)
    }
}

/// A payload as a short text: itself when short, else its size.
fn payload_text(p: &Publish) -> String {
    if p.payload.len() <= 32 {
        String::from_utf8_lossy(&p.payload).into_owned()
    } else {
        format!("<{} bytes>", p.payload.len())
    }
}

async fn pump(mut eventloop: EventLoop, tx: mpsc::UnboundedSender<(Instant, Seen)>) {
    loop {
        let seen = match eventloop.poll().await {
            Ok(Event::Incoming(packet)) => Ok(packet),
            Ok(Event::Outgoing(_)) => continue,
            Err(e) => {
                let _ = tx.send((Instant::now(), Err(e.to_string())));
                return;
            }
        };
        if tx.send((Instant::now(), seen)).is_err() {
            return;
        }
    }
}

/// Connects and waits for the CONNACK; the error reads as a sentence.
pub(crate) async fn connect(options: MqttOptions) -> Result<Peer, String> {
    let (client, eventloop) = AsyncClient::new(options, 64);
    let (tx, mut events) = mpsc::unbounded_channel();
    let task = tokio::spawn(pump(eventloop, tx));
    let first = timeout(WAIT, events.recv()).await;
    let connack = match first {
        Ok(Some((_, Ok(Packet::ConnAck(connack))))) => connack,
        Ok(Some((_, Ok(other)))) => return Err(format!("got {other:?} before CONNACK")),
        Ok(Some((_, Err(e)))) => return Err(e),
        Ok(None) => return Err("the event loop stopped".to_owned()),
        Err(_) => {
            task.abort();
            return Err(format!("no CONNACK within {} s", WAIT.as_secs()));
        }
    };
    Ok(Peer {
        client,
        connack,
        events,
        stash: VecDeque::new(),
        ended: None,
        task,
    })
}

/// Connects, or says in the panic message which client could not.
pub(crate) async fn must_connect(options: MqttOptions) -> Peer {
    let id = options.client_id();
    connect(options)
        .await
        .unwrap_or_else(|e| panic!("client {id} cannot connect to rumqttd: {e}"))
}

impl Peer {
    /// The next packet before `deadline`; `None` when none came or the
    /// connection has ended (then `self.ended` says why).
    async fn next(&mut self, deadline: Instant) -> Option<(Instant, Packet)> {
        if self.ended.is_some() {
            return None;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match timeout(left, self.events.recv()).await {
            Ok(Some((at, Ok(p)))) => Some((at, p)),
            Ok(Some((_, Err(e)))) => {
                self.ended = Some(e);
                None
            }
            Ok(None) => {
                self.ended = Some("the event loop stopped".to_owned());
                None
            }
            Err(_) => None,
        }
    }

    /// Waits for the first packet `wanted` accepts, keeping the publishes
    /// that come meanwhile.
    async fn expect(&mut self, what: &str, wanted: impl Fn(&Packet) -> bool) -> Result<Packet, String> {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.next(deadline).await {
                Some((_, p)) if wanted(&p) => return Ok(p),
                Some((at, Packet::Publish(p))) => self.stash.push_back((at, p)),
                Some((_, Packet::Disconnect(d))) => {
                    return Err(format!("DISCONNECT {:?} instead of {what}", d.reason_code))
                }
                Some(_) => {}
                None => {
                    return Err(match &self.ended {
                        Some(e) => format!("connection ended before {what}: {e}"),
                        None => format!("no {what} within {} s", WAIT.as_secs()),
                    })
                }
            }
        }
    }

    /// Subscribes and returns the SUBACK's reason codes.
    pub(crate) async fn subscribe_with(
        &mut self,
        filter: Filter,
        properties: Option<SubscribeProperties>,
    ) -> Result<Vec<SubscribeReasonCode>, String> {
        let sent = match properties {
            Some(props) => self.client.subscribe_many_with_properties([filter], props).await,
            None => self.client.subscribe_many([filter]).await,
        };
        sent.map_err(|e| e.to_string())?;
        match self.expect("SUBACK", |p| matches!(p, Packet::SubAck(_))).await? {
            Packet::SubAck(ack) => Ok(ack.return_codes),
            _ => unreachable!("expect returns what it was asked for"),
        }
    }

    /// Subscribes at QoS 1 with default options.
    pub(crate) async fn subscribe(&mut self, path: &str) -> Result<(), String> {
        self.subscribe_with(filter(path), None).await.map(drop)
    }

    /// Publishes; at QoS 1 waits for the PUBACK.
    pub(crate) async fn publish(
        &mut self,
        topic: &str,
        qos: QoS,
        retain: bool,
        payload: impl Into<Bytes>,
        properties: Option<PublishProperties>,
    ) -> Result<(), String> {
        let sent = match properties {
            Some(props) => {
                self.client
                    .publish_with_properties(topic, qos, retain, payload, props)
                    .await
            }
            None => self.client.publish(topic, qos, retain, payload).await,
        };
        sent.map_err(|e| e.to_string())?;
        if qos == QoS::AtLeastOnce {
            self.expect("PUBACK", |p| matches!(p, Packet::PubAck(_))).await?;
        }
        Ok(())
    }

    /// Every publish received within `window` (stopping early if the
    /// connection ends), stashed ones first.
    pub(crate) async fn publishes(&mut self, window: Duration) -> Received {
        let deadline = Instant::now() + window;
        let mut publishes: Vec<_> = self.stash.drain(..).collect();
        while let Some((at, packet)) = self.next(deadline).await {
            match packet {
                Packet::Publish(p) => publishes.push((at, p)),
                Packet::Disconnect(d) => self.ended = Some(format!("DISCONNECT {:?} from the broker", d.reason_code)),
                _ => {}
            }
        }
        Received {
            publishes,
            ended: self.ended.clone(),
        }
    }

    /// Waits up to `window` for a publish whose payload is `payload`.
    pub(crate) async fn wait_for(&mut self, payload: &str, window: Duration) -> Option<Instant> {
        let deadline = Instant::now() + window;
        if let Some(i) = self.stash.iter().position(|(_, p)| payload_text(p) == payload) {
            return self.stash.remove(i).map(|(at, _)| at);
        }
        while let Some((at, packet)) = self.next(deadline).await {
            if let Packet::Publish(p) = packet {
                if payload_text(&p) == payload {
                    return Some(at);
                }
                self.stash.push_back((at, p));
            }
        }
        None
    }

    /// Closes the socket without DISCONNECT, as a crash would.
    pub(crate) async fn kill(self) {
        self.task.abort();
        let _ = self.task.await;
    }

    /// Sends DISCONNECT (normal disconnection) and waits for the loop to end.
    pub(crate) async fn disconnect(mut self) {
        if self.client.disconnect().await.is_ok() {
            let deadline = Instant::now() + WAIT;
            while self.next(deadline).await.is_some() {}
        }
        self.kill().await;
    }
}
