//! The MQTT session: one task owns rumqttc's event loop and turns what
//! happens on the wire into `NetEvent`s ([`session`]); a [`Handle`] takes
//! publishes ([`handle`]). Both speak MQTT 5 or 3.1.1 through [`link`];
//! which broker and version to try is the [`plan`]'s. Connection options are
//! in [`options`], reconnect delays in [`backoff`], and what a failure means
//! in words in [`failure`].
//!
//! The task only ever awaits `poll()` (never cancelled mid-way, which could
//! tear a packet) and its own sleeps; publishes enter through rumqttc's
//! request queue with `try_publish`, so nothing here can deadlock on it.

mod backoff;
mod failure;
mod handle;
mod link;
mod options;
mod plan;
mod session;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::Transport;
use tokio::sync::mpsc;

use crate::app::NetEvent;
use crate::identity::Identity;
use crate::protocol::Topics;
use crate::settings::{MqttVersion, Settings};
pub use backoff::Backoff;
pub use failure::{ConnectionFailure, LoginRefusal};
use handle::Tracking;
pub use handle::{Handle, RequestError};
pub use options::client_id;
use options::{Connecting, WillOf};
use plan::Plan;
use session::Session;

/// Events buffered towards the front end; a full buffer slows reading from the socket.
const EVENT_QUEUE: usize = 4096;

/// Starts the session task; it connects at once and runs until DISCONNECT.
pub fn spawn(settings: &Settings, identity: &Identity) -> (Handle, mpsc::Receiver<NetEvent>) {
    let (handle, rx, session) = start(settings, identity);
    tokio::spawn(session);
    (handle, rx)
}

/// The session as a future for the front end to drive with [`alongside`]:
/// it connects when first polled and runs until DISCONNECT.
/// `identity`: the client id; a stable one keeps a broker session across
/// runs (clean start off from the first connection), so what was sent while
/// we were away arrives when we are back.
pub fn start(settings: &Settings, identity: &Identity) -> (Handle, mpsc::Receiver<NetEvent>, impl Future<Output = ()>) {
    // Checked before start already: should the files have changed since, the
    // failure is logged now and reported as the session's first (fatal) event.
    let transport = options::transport(settings).inspect_err(|reason| tracing::error!("{reason}"));
    let connecting = Connecting::new(
        settings,
        identity,
        transport.as_ref().cloned().unwrap_or(Transport::Tcp),
    );
    // The broker inside (`--serve`) listens at 3.1.1 only: no MQTT 5 attempt to refuse.
    let asked = match (settings.hosting, settings.mqtt) {
        (Some(_), MqttVersion::Auto) => MqttVersion::V311,
        (_, asked) => asked,
    };
    let plan = Plan::new(settings.servers(), asked);
    let topics = Topics::new(&settings.topic_prefix);
    // A link for the first attempt; `renew_link` makes it again with the
    // session id, and again for each later attempt.
    let (server, version) = plan.current();
    let will = WillOf {
        topics: &topics,
        username: &settings.username,
        session: "",
    };
    let (link, client) = connecting.link(server, version, will);
    let handle = Handle {
        tracking: Arc::new(Mutex::new(Tracking::new(client))),
        hurry: Arc::default(),
    };
    let (tx, rx) = mpsc::channel(EVENT_QUEUE);
    let mut session = Session {
        link,
        connecting,
        plan,
        tracking: handle.tracking.clone(),
        hurry: handle.hurry.clone(),
        tx,
        topics,
        username: settings.username.clone(),
        context: failure::Context {
            login_user: settings.login.as_ref().map(|l| l.user.clone()),
            tls: settings.tls.is_some(),
            ever_connected: false,
            port: settings.port,
        },
        progress: Default::default(),
    };
    let run = async move {
        match transport {
            Ok(_) => {
                session.renew_link();
                session.run().await;
            }
            Err(reason) => {
                let failed = NetEvent::ConnectFailed {
                    server: session.plan.current().0.to_string(),
                    reason: reason.to_string(),
                    retry_in: Duration::ZERO,
                    fatal: true,
                    more_to_try: false,
                };
                let _ = session.tx.send(failed).await;
            }
        }
    };
    (handle, rx, run)
}

/// Runs the session and the front end in one task until the front end ends.
/// Each time the task wakes, the session goes first and the front end at once
/// after it, so an arrival is printed without a trip through the scheduler.
/// The session is never cancelled half-way: it is polled until it finishes
/// (or dropped with the front end at exit).
///
/// The session runs outside tokio's cooperative budget: sharing one task's
/// budget, it could use it all up under a flood and starve the front end.
/// It still stops by itself when the socket is drained or the event queue
/// (`EVENT_QUEUE`) is full, and then the front end empties the queue.
pub async fn alongside<T>(session: impl Future<Output = ()>, front: impl Future<Output = T>) -> T {
    let mut session = std::pin::pin!(tokio::task::unconstrained(session));
    let mut front = std::pin::pin!(front);
    let mut session_done = false;
    std::future::poll_fn(move |cx| {
        if !session_done && session.as_mut().poll(cx).is_ready() {
            session_done = true;
        }
        front.as_mut().poll(cx)
    })
    .await
}
