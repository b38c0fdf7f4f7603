//! The session task: the only owner of rumqttc's `EventLoop`. It turns what
//! happens on the wire into `NetEvent`s, and after a failure waits (with
//! backoff) before rumqttc's next `poll()` connects again.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::{ConnectionError, Event, EventLoop, Incoming, Outgoing, SubscribeReasonCode};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::backoff::Backoff;
use super::failure::{ConnectionFailure, Context};
use super::handle::{Hurry, Tracking, HURRY_DELAY};
use super::options::will;
use crate::app::NetEvent;
use crate::protocol::ids::session_id;
use crate::protocol::Topics;

/// A connection that lasted this long was healthy: after it ends, the
/// backoff starts afresh. One that ends sooner (a broker that accepts and
/// then drops us, a message we cannot take on every subscribe) keeps the
/// delays growing, so such a loop settles at one attempt per `Backoff::CAP`.
const STABLE: Duration = Duration::from_secs(10);

pub(super) struct Session {
    pub eventloop: EventLoop,
    pub tracking: Arc<Mutex<Tracking>>,
    pub hurry: Arc<Hurry>,
    pub tx: mpsc::Sender<NetEvent>,
    pub topics: Topics,
    pub username: String,
    pub context: Context,
    /// host:port, for the log.
    pub address: String,
    pub progress: Progress,
}

/// Where the session stands between two polls.
#[derive(Default)]
pub(super) struct Progress {
    backoff: Backoff,
    /// The id of the session the next (or current) connection announces.
    session: String,
    /// Connected, and since when.
    up_since: Option<Instant>,
    /// Oversize messages that ended connections one after the other, each soon after connecting.
    oversize_streak: u32,
    /// DISCONNECT was sent: the next error is the end.
    closing: bool,
}

/// What to do after an event or a failure.
enum Next {
    Go,
    Stop,
}

impl Session {
    /// Sets a fresh session id and the will that carries it, for the next connect.
    fn renew_session(&mut self) {
        self.progress.session = session_id(fastrand::u64(..));
        let will = will(&self.topics, &self.username, &self.progress.session);
        self.eventloop.mqtt_options.set_last_will(will);
    }

    pub(super) async fn run(mut self) {
        self.renew_session();
        loop {
            let next = match self.eventloop.poll().await {
                Ok(event) => match self.on_event(event) {
                    Some(out) => self.send(out).await,
                    None => Next::Go,
                },
                Err(err) => self.on_failure(err).await,
            };
            if let Next::Stop = next {
                return;
            }
        }
    }

    /// Hands an event to the front end; stops when it is gone. (`&mut`: the
    /// session is not `Sync`, and the future must be `Send` for `tokio::spawn`.)
    async fn send(&mut self, event: NetEvent) -> Next {
        match self.tx.send(event).await {
            Ok(()) => Next::Go,
            Err(_) => Next::Stop,
        }
    }

    /// The connection failed or ended: tell the front end why, then wait
    /// before the next attempt (unless it is the end or hopeless).
    async fn on_failure(&mut self, err: ConnectionError) -> Next {
        // Packets read just before the failure may still wait in rumqttc's
        // queue, and after a reconnect it would hand them out as if they had
        // come on the new connection (a presence the broker no longer holds,
        // an ack matched to a packet id used again). They came first: deliver
        // them before the failure.
        while let Some(event) = self.eventloop.state.events.pop_front() {
            if let Some(out) = self.on_event(event) {
                if let Next::Stop = self.send(out).await {
                    return Next::Stop;
                }
            }
        }
        self.forget_in_flight();
        if self.progress.closing || matches!(err, ConnectionError::RequestsDone) {
            tracing::info!("disconnected from {}", self.address);
            let _ = self.tx.send(NetEvent::Closed).await;
            return Next::Stop;
        }
        tracing::debug!("{}: {err:?}", self.address);
        let mut failure = ConnectionFailure::new(err, &self.context);
        let was_up = self.progress.up_since.is_some();
        let lived = self.progress.up_since.take().map(|since| since.elapsed());
        if lived.is_some_and(|lived| lived >= STABLE) {
            self.progress.backoff.reset();
        }
        if let ConnectionFailure::Oversize { again, .. } = &mut failure {
            let soon = lived.is_some_and(|lived| lived < STABLE);
            self.progress.oversize_streak = if soon { self.progress.oversize_streak + 1 } else { 1 };
            *again = self.progress.oversize_streak >= 2;
        } else {
            self.progress.oversize_streak = 0;
        }
        let hurried = self.hurry.is_on();
        let mut delay = self.progress.backoff.next_delay();
        if hurried {
            delay = delay.min(HURRY_DELAY);
        }
        let fatal = failure.is_final();
        let what = if was_up { "connection lost" } else { "cannot connect" };
        let retry = if fatal { "; not retrying" } else { "" };
        tracing::warn!("{}: {what}: {failure}{retry}", self.address);
        let reason = failure.to_string();
        let event = if was_up {
            NetEvent::Disconnected {
                reason,
                retry_in: delay,
            }
        } else {
            NetEvent::ConnectFailed {
                reason,
                retry_in: delay,
                fatal,
            }
        };
        if self.tx.send(event).await.is_err() || fatal {
            return Next::Stop;
        }
        self.renew_session();
        if hurried {
            tokio::time::sleep(delay).await;
        } else {
            // Only sleeps are raced here, never `poll()`. Once
            // hurried, the delays are short and the wake-up is spent.
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = self.hurry.now.notified() => {}
            }
        }
        Next::Go
    }

    /// What the front end must hear of a packet that came or went, if anything.
    fn on_event(&mut self, event: Event) -> Option<NetEvent> {
        match event {
            Event::Incoming(Incoming::ConnAck(_)) => {
                tracing::info!("connected to {} as {}", self.address, self.username);
                self.progress.up_since = Some(Instant::now());
                self.context.ever_connected = true;
                self.tracking.lock().expect("tracking lock").connected = true;
                Some(NetEvent::Connected {
                    session: self.progress.session.clone(),
                })
            }
            Event::Incoming(Incoming::Publish(p)) => Some(NetEvent::Message {
                topic: p.topic,
                payload: p.payload,
                retained: p.retain,
            }),
            Event::Incoming(Incoming::PubAck(ack)) => self.acked(ack.pkid),
            Event::Incoming(Incoming::PubComp(comp)) => self.acked(comp.pkid),
            Event::Incoming(Incoming::SubAck(ack)) => Some(NetEvent::Subscribed {
                refused: ack
                    .return_codes
                    .iter()
                    .filter(|c| **c == SubscribeReasonCode::Failure)
                    .count(),
            }),
            Event::Outgoing(Outgoing::Publish(pkid)) => self.sent(pkid),
            Event::Outgoing(Outgoing::Disconnect) => {
                self.progress.closing = true;
                None
            }
            // rumqttc's own bookkeeping (pings, PUBREC/PUBREL, UNSUBACK, ...):
            // nothing the app tracks.
            _ => None,
        }
    }

    /// A publish left: QoS 0 is done now, others wait for their ack by packet id.
    fn sent(&mut self, pkid: u16) -> Option<NetEvent> {
        let mut tracking = self.tracking.lock().expect("tracking lock");
        let tag = tracking.queued.pop_front()?;
        if pkid == 0 {
            return Some(NetEvent::Acked(tag));
        }
        tracking.by_pkid.insert(pkid, tag);
        None
    }

    fn acked(&mut self, pkid: u16) -> Option<NetEvent> {
        let mut tracking = self.tracking.lock().expect("tracking lock");
        tracking.by_pkid.remove(&pkid).map(NetEvent::Acked)
    }

    /// rumqttc drops what was not acknowledged when it reconnects without a
    /// session; the app's outbox re-sends it, so forget the tags here.
    fn forget_in_flight(&mut self) {
        let mut tracking = self.tracking.lock().expect("tracking lock");
        tracking.connected = false;
        tracking.queued.clear();
        tracking.by_pkid.clear();
    }
}
