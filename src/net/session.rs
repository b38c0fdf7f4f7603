//! The session task: the only owner of rumqttc's event loop. It turns what
//! happens on the wire into `NetEvent`s, and after a failure waits (with
//! backoff) before the next attempt, on the broker and at the MQTT version
//! the [`Plan`] says.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::backoff::Backoff;
use super::failure::{ConnectionFailure, Context};
use super::handle::{Hurry, Tracking, HURRY_DELAY};
use super::link::{Link, LinkError, Wire};
use super::options::{Connecting, WillOf};
use super::plan::{Plan, Retry};
use crate::app::{LinkInfo, NetEvent};
use crate::protocol::ids::session_id;
use crate::protocol::Topics;

/// A connection that lasted this long was healthy: after it ends, the
/// backoff starts afresh. One that ends sooner (a broker that accepts and
/// then drops us, a message we cannot take on every subscribe) keeps the
/// delays growing, so such a loop settles at one attempt per `Backoff::CAP`.
const STABLE: Duration = Duration::from_secs(10);

pub(super) struct Session {
    pub link: Link,
    pub connecting: Connecting,
    pub plan: Plan,
    pub tracking: Arc<Mutex<Tracking>>,
    pub hurry: Arc<Hurry>,
    pub tx: mpsc::Sender<NetEvent>,
    pub topics: Topics,
    pub username: String,
    pub context: Context,
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
    /// A fresh session id, carried in the will of the plan's next attempt.
    /// The same broker at the same version keeps its link (and so, at MQTT
    /// 5, resumes its session); another gets a new link, and the handle
    /// sends through the new link's client.
    pub(super) fn renew_link(&mut self) {
        self.progress.session = session_id(fastrand::u64(..));
        let (server, version) = self.plan.current();
        let will = WillOf {
            topics: &self.topics,
            username: &self.username,
            session: &self.progress.session,
        };
        self.context.port = server.port;
        if self.link.is_for(server, version) {
            self.connecting.renew_will(&mut self.link, will);
            return;
        }
        let (link, client) = self.connecting.link(server, version, will);
        self.link = link;
        self.tracking.lock().expect("tracking lock").client = client;
    }

    /// `host:port` of the broker in use (or tried).
    fn address(&self) -> String {
        self.plan.current().0.to_string()
    }

    pub(super) async fn run(mut self) {
        loop {
            let next = match self.link.poll().await {
                Ok(wire) => match self.on_wire(wire) {
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
    async fn on_failure(&mut self, err: LinkError) -> Next {
        // Packets read just before the failure may still wait in rumqttc's
        // queue, and after a reconnect it would hand them out as if they had
        // come on the new connection (a presence the broker no longer holds,
        // an ack matched to a packet id used again). They came first: deliver
        // them before the failure.
        while let Some(wire) = self.link.take_queued() {
            if let Some(out) = self.on_wire(wire) {
                if let Next::Stop = self.send(out).await {
                    return Next::Stop;
                }
            }
        }
        self.forget_in_flight();
        self.link.drop_pending_publishes();
        let address = self.address();
        if self.progress.closing || err.requests_done() {
            tracing::info!("disconnected from {address}");
            let _ = self.tx.send(NetEvent::Closed).await;
            return Next::Stop;
        }
        tracing::debug!("{address}: {err:?}");
        let was_up = self.progress.up_since.is_some();
        let may_refuse_v5 = err.may_refuse_v5();
        if self.plan.failed(was_up, may_refuse_v5) == Retry::FallBack {
            tracing::info!("{address} does not take MQTT 5 ({err}); trying MQTT 3.1.1");
            self.renew_link();
            return Next::Go;
        }
        let mut failure = ConnectionFailure::of_link(err, &self.context);
        if may_refuse_v5 && !was_up {
            failure = failure.on_mqtt5_connect();
        }
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
        tracing::warn!("{address}: {what}: {failure}{retry}");
        let reason = failure.to_string();
        let event = if was_up {
            NetEvent::Disconnected {
                server: address,
                reason,
                retry_in: delay,
            }
        } else {
            NetEvent::ConnectFailed {
                server: address,
                reason,
                retry_in: delay,
                fatal,
                more_to_try: self.plan.more_to_try(),
            }
        };
        if self.tx.send(event).await.is_err() || fatal {
            return Next::Stop;
        }
        self.renew_link();
        if matches!(failure, ConnectionFailure::Oversize { .. }) {
            // Catch-up gives way here: the session would hand us the same message again.
            self.link.fresh_session_next_time();
        }
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
    fn on_wire(&mut self, wire: Wire) -> Option<NetEvent> {
        match wire {
            Wire::ConnAck {
                session_present,
                max_packet,
            } => {
                let version = self.link.spoken();
                let address = self.address();
                let resumed = if session_present { ", session resumed" } else { "" };
                tracing::info!("connected to {address} as {} (MQTT {version}{resumed})", self.username);
                self.plan.connected();
                // A reconnect resumes this session: what was sent to our
                // subscriptions meanwhile is waiting for us.
                self.link.resume_next_time(self.connecting.persistent);
                self.progress.up_since = Some(Instant::now());
                self.context.ever_connected = true;
                self.tracking.lock().expect("tracking lock").connected = true;
                Some(NetEvent::Connected {
                    session: self.progress.session.clone(),
                    link: LinkInfo {
                        server: address,
                        version,
                        max_packet,
                        resumed: session_present,
                    },
                })
            }
            Wire::Publish { topic, payload, retain } => Some(NetEvent::Message {
                topic,
                payload,
                retained: retain,
            }),
            Wire::Done { pkid, refused } => self.done(pkid, refused),
            Wire::SubAck { refused } => Some(NetEvent::Subscribed { refused }),
            Wire::Sent(pkid) => self.sent(pkid),
            Wire::Disconnecting => {
                self.progress.closing = true;
                None
            }
            Wire::Other => None,
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

    fn done(&mut self, pkid: u16, refused: Option<&'static str>) -> Option<NetEvent> {
        let mut tracking = self.tracking.lock().expect("tracking lock");
        let tag = tracking.by_pkid.remove(&pkid)?;
        Some(match refused {
            None => NetEvent::Acked(tag),
            Some(reason) => NetEvent::Refused {
                tag,
                reason: format!("the broker refused it: {reason}"),
            },
        })
    }

    /// What was not acknowledged is sent again by the app's outbox (see
    /// [`Link::drop_pending_publishes`]), so forget the tags here.
    fn forget_in_flight(&mut self) {
        let mut tracking = self.tracking.lock().expect("tracking lock");
        tracking.connected = false;
        tracking.queued.clear();
        tracking.by_pkid.clear();
    }
}
