//! The front end's side of the session: publishes and subscriptions go into
//! the request queue of the link in use, tagged so that acknowledgements find their message.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use super::link::{Client, QueueRefused};
use crate::app::{Event as AppEvent, NetEvent, Publish};

/// Which publish is which: tags in the order they entered rumqttc's queue,
/// then by packet id once rumqttc has sent them.
pub(super) struct Tracking {
    /// The sending half of the link in use (replaced with each new link).
    pub client: Client,
    pub connected: bool,
    pub queued: VecDeque<u64>,
    pub by_pkid: HashMap<u16, u64>,
}

impl Tracking {
    pub(super) fn new(client: Client) -> Self {
        Tracking {
            client,
            connected: false,
            queued: VecDeque::new(),
            by_pkid: HashMap::new(),
        }
    }
}

/// Quitting with messages unsent: reconnect now, and every
/// [`HURRY_DELAY`] instead of after growing delays.
#[derive(Default)]
pub(super) struct Hurry {
    pub on: AtomicBool,
    pub now: Notify,
}

impl Hurry {
    pub(super) fn is_on(&self) -> bool {
        self.on.load(Ordering::Relaxed)
    }
}

/// The delay between attempts while hurrying.
pub(super) const HURRY_DELAY: Duration = Duration::from_millis(500);

/// Why rumqttc did not take a request.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("not connected")]
    NotConnected,
    #[error(transparent)]
    Refused(#[from] QueueRefused),
}

#[derive(Clone)]
pub struct Handle {
    pub(super) tracking: Arc<Mutex<Tracking>>,
    pub(super) hurry: Arc<Hurry>,
}

impl Handle {
    /// Hands a publish to rumqttc, or says why it cannot take it now.
    pub fn publish(&self, p: Publish) -> Result<(), RequestError> {
        let mut tracking = self.tracking.lock().expect("tracking lock");
        if !tracking.connected {
            return Err(RequestError::NotConnected);
        }
        tracking.client.publish(p.topic, p.qos, p.retain, p.payload, p.expiry)?;
        tracking.queued.push_back(p.tag);
        Ok(())
    }

    /// [`Effect::Publish`](crate::app::Effect::Publish): the event the app
    /// must hear when the publish could not be handed over (its outbox sends
    /// it again later).
    pub fn publish_or_report(&self, p: Publish) -> Option<AppEvent> {
        let tag = p.tag;
        self.publish(p).err().map(|_| AppEvent::HandoffFailed(tag))
    }

    /// Refused only while disconnected, when it does not matter: every
    /// subscription is renewed on connect.
    pub fn subscribe(&self, topics: Vec<(String, u8)>) {
        let _ = self.client().subscribe(topics);
    }

    /// Refused only while disconnected, like [`Handle::subscribe`].
    pub fn unsubscribe(&self, topic: String) {
        let _ = self.client().unsubscribe(topic);
    }

    /// Sends DISCONNECT; when the session is gone already, returns the event
    /// that tells the app there is nothing left to close.
    pub fn disconnect(&self) -> Option<AppEvent> {
        self.client()
            .disconnect()
            .err()
            .map(|_| AppEvent::Net(NetEvent::Closed))
    }

    fn client(&self) -> Client {
        self.tracking.lock().expect("tracking lock").client.clone()
    }

    /// Cuts short the wait before the next connection attempt, and keeps
    /// later waits short.
    pub fn hurry(&self) {
        self.hurry.on.store(true, Ordering::Relaxed);
        self.hurry.now.notify_one();
    }
}
