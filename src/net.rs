//! The MQTT session: one task owns rumqttc's `EventLoop` and turns what
//! happens on the wire into `NetEvent`s; a `Handle` takes publishes.
//!
//! The task only ever awaits `poll()` (never cancelled mid-way, which could
//! tear a packet) and its own sleeps; publishes enter through rumqttc's
//! request queue with `try_publish`, so nothing here can deadlock on it.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::{
    AsyncClient, ConnectReturnCode, ConnectionError, Event, EventLoop, Incoming, LastWill, MqttOptions, Outgoing, QoS,
    StateError, SubscribeFilter, SubscribeReasonCode, TlsConfiguration, Transport,
};
use tokio::sync::{mpsc, Notify};

use crate::app::{Effect, Event as AppEvent, NetEvent, Publish, MAX_INCOMING_PACKET, MAX_OUTGOING_PACKET};
use crate::protocol::payload::{encode_presence, new_session_id};
use crate::protocol::{Status, Topics};
use crate::settings::Settings;

/// rumqttc's request queue; larger than the outbox window so it never fills.
const REQUEST_QUEUE: usize = 512;
/// Events buffered towards the front end; a full buffer slows reading from the socket.
const EVENT_QUEUE: usize = 4096;
/// A connection that lasted this long was healthy: after it ends, the
/// backoff starts afresh. One that ends sooner (a broker that accepts and
/// then drops us, a message we cannot take on every subscribe) keeps the
/// delays growing, so such a loop settles at one attempt per `Backoff::CAP`.
const STABLE: Duration = Duration::from_secs(10);
/// Added to the reason when an oversize message ends a fresh connection again.
const OVERSIZE_AGAIN: &str = "; it came again right after connecting: most likely a retained message on \
one of the subscribed topics, which the broker sends on every connect (its operator can clear it with \
`mosquitto_pub -r -n -t TOPIC`)";

/// Reconnect delays: doubling from `FIRST` up to `CAP`, each ±20 % so that
/// many clients cut off together do not come back in lock-step.
#[derive(Debug, Clone)]
pub struct Backoff {
    attempt: u32,
}

impl Backoff {
    pub const FIRST: Duration = Duration::from_millis(500);
    pub const CAP: Duration = Duration::from_secs(15);

    pub fn new() -> Self {
        Backoff { attempt: 0 }
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    pub fn next_delay(&mut self) -> Duration {
        let base = Self::FIRST.saturating_mul(1 << self.attempt.min(10)).min(Self::CAP);
        self.attempt += 1;
        base.mul_f64(0.8 + fastrand::f64() * 0.4)
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new()
    }
}

/// Which publish is which: tags in the order they entered rumqttc's queue,
/// then by packet id once rumqttc has sent them.
#[derive(Default)]
struct Tracking {
    connected: bool,
    queued: VecDeque<u64>,
    by_pkid: HashMap<u16, u64>,
}

/// Quitting with messages unsent: reconnect now, and every
/// [`HURRY_DELAY`] instead of after growing delays.
#[derive(Default)]
struct Hurry {
    on: AtomicBool,
    now: Notify,
}

/// The delay between attempts while hurrying.
const HURRY_DELAY: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub struct Handle {
    client: AsyncClient,
    tracking: Arc<Mutex<Tracking>>,
    hurry: Arc<Hurry>,
}

fn qos(level: u8) -> QoS {
    match level {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

impl Handle {
    /// Hands a publish to rumqttc, or says why it cannot take it now.
    pub fn publish(&self, p: Publish) -> Result<(), String> {
        let mut tracking = self.tracking.lock().expect("tracking lock");
        if !tracking.connected {
            return Err("not connected".into());
        }
        self.client
            .try_publish(p.topic, qos(p.qos), p.retain, p.payload)
            .map_err(|e| e.to_string())?;
        tracking.queued.push_back(p.tag);
        Ok(())
    }

    pub fn subscribe(&self, topics: Vec<(String, u8)>) -> Result<(), String> {
        let filters = topics.into_iter().map(|(t, q)| SubscribeFilter::new(t, qos(q)));
        self.client.try_subscribe_many(filters).map_err(|e| e.to_string())
    }

    pub fn unsubscribe(&self, topic: String) -> Result<(), String> {
        self.client.try_unsubscribe(topic).map_err(|e| e.to_string())
    }

    pub fn disconnect(&self) -> Result<(), String> {
        self.client.try_disconnect().map_err(|e| e.to_string())
    }

    /// Cuts short the wait before the next connection attempt, and keeps
    /// later waits short.
    pub fn hurry(&self) {
        self.hurry.on.store(true, Ordering::Relaxed);
        self.hurry.now.notify_one();
    }

    /// Carries out a network effect; returns the event the app must hear
    /// when a publish could not be taken. Other effects are ignored.
    pub fn perform(&self, effect: Effect) -> Option<AppEvent> {
        match effect {
            Effect::Publish(p) => {
                let tag = p.tag;
                self.publish(p).err().map(|_| AppEvent::HandoffFailed(tag))
            }
            // Refused only while disconnected: every subscription is renewed on connect.
            Effect::Subscribe(topics) => self.subscribe(topics).err().and(None),
            Effect::Unsubscribe(topic) => self.unsubscribe(topic).err().and(None),
            _ => None,
        }
    }
}

pub fn client_id(username: &str) -> String {
    format!("komunikator-{username}-{}", new_session_id())
}

fn will(topics: &Topics, username: &str, session: &str) -> LastWill {
    let payload = encode_presence(username, Status::Offline, chrono::Utc::now(), session);
    LastWill::new(topics.presence(username), payload, QoS::AtLeastOnce, true)
}

/// Starts the session task; it connects at once and runs until DISCONNECT.
pub fn spawn(settings: &Settings) -> (Handle, mpsc::Receiver<NetEvent>) {
    let (handle, rx, session) = start(settings);
    tokio::spawn(session);
    (handle, rx)
}

/// The session as a future for the front end to drive with [`alongside`]:
/// it connects when first polled and runs until DISCONNECT.
pub fn start(settings: &Settings) -> (Handle, mpsc::Receiver<NetEvent>, impl Future<Output = ()>) {
    let mut options = MqttOptions::new(client_id(&settings.username), settings.server.clone(), settings.port);
    options
        .set_keep_alive(Duration::from_secs(settings.keep_alive.max(1).into()))
        .set_clean_session(true)
        .set_max_packet_size(MAX_INCOMING_PACKET, MAX_OUTGOING_PACKET)
        .set_request_channel_capacity(REQUEST_QUEUE)
        .set_inflight(100);
    if let Some(login) = &settings.login {
        let password = login.password.as_ref().map(|p| p.expose()).unwrap_or_default();
        options.set_credentials(login.user.clone(), password);
    }
    // Checked before start already; should the files have changed since, say so and stop.
    let transport = match &settings.tls {
        Some(tls) => {
            crate::tls::client_config(tls).map(|config| Transport::tls_with_config(TlsConfiguration::Rustls(config)))
        }
        None => Ok(Transport::Tcp),
    };
    let (client, eventloop) = AsyncClient::new(options, REQUEST_QUEUE);
    let tracking = Arc::new(Mutex::new(Tracking::default()));
    let hurry = Arc::new(Hurry::default());
    let (tx, rx) = mpsc::channel(EVENT_QUEUE);
    let mut session = Session {
        eventloop,
        tracking: tracking.clone(),
        hurry: hurry.clone(),
        tx,
        topics: Topics::new(&settings.topic_prefix),
        username: settings.username.clone(),
        context: Context {
            login_user: settings.login.as_ref().map(|l| l.user.clone()),
            tls: settings.tls.is_some(),
            ever_connected: false,
            port: settings.port,
        },
        address: settings.address(),
    };
    // Checked before start already: a failure is logged now and reported as
    // the session's first (fatal) event.
    let transport = transport.inspect_err(|reason| tracing::error!("{reason}"));
    let run = async move {
        match transport {
            Ok(transport) => {
                session.eventloop.mqtt_options.set_transport(transport);
                session.run().await;
            }
            Err(reason) => {
                let failed = NetEvent::ConnectFailed {
                    reason,
                    retry_in: Duration::ZERO,
                    fatal: true,
                };
                let _ = session.tx.send(failed).await;
            }
        }
    };
    (
        Handle {
            client,
            tracking,
            hurry,
        },
        rx,
        run,
    )
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

struct Session {
    eventloop: EventLoop,
    tracking: Arc<Mutex<Tracking>>,
    hurry: Arc<Hurry>,
    tx: mpsc::Sender<NetEvent>,
    topics: Topics,
    username: String,
    context: Context,
    /// host:port, for the log.
    address: String,
}

impl Session {
    /// Sets a fresh session id and the will that carries it, for the next connect.
    fn renew_session(&mut self) -> String {
        let session = new_session_id();
        self.eventloop
            .mqtt_options
            .set_last_will(will(&self.topics, &self.username, &session));
        session
    }

    async fn run(mut self) {
        let mut backoff = Backoff::new();
        let mut session = self.renew_session();
        let mut up = false;
        let mut up_since: Option<tokio::time::Instant> = None;
        let mut oversize_streak = 0u32;
        let mut closing = false;
        loop {
            let event = match self.eventloop.poll().await {
                Ok(event) => event,
                Err(err) => {
                    self.forget_in_flight();
                    if closing || matches!(err, ConnectionError::RequestsDone) {
                        tracing::info!("disconnected from {}", self.address);
                        let _ = self.tx.send(NetEvent::Closed).await;
                        return;
                    }
                    let lived = up_since.take().map(|since| since.elapsed());
                    if lived.is_some_and(|lived| lived >= STABLE) {
                        backoff.reset();
                    }
                    oversize_streak = match (is_oversize(&err), lived) {
                        (true, Some(lived)) if lived < STABLE => oversize_streak + 1,
                        (true, _) => 1,
                        (false, _) => 0,
                    };
                    let mut delay = backoff.next_delay();
                    let hurried = self.hurry.on.load(Ordering::Relaxed);
                    if hurried {
                        delay = delay.min(HURRY_DELAY);
                    }
                    let mut reason = explain(&err, &self.context);
                    if oversize_streak >= 2 {
                        reason.push_str(OVERSIZE_AGAIN);
                    }
                    let fatal = is_fatal(&err);
                    let what = if up { "connection lost" } else { "cannot connect" };
                    let retry = if fatal { "; not retrying" } else { "" };
                    tracing::warn!("{}: {what}: {reason}{retry}", self.address);
                    tracing::debug!("{}: {err:?}", self.address);
                    let event = if std::mem::take(&mut up) {
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
                        return;
                    }
                    session = self.renew_session();
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
                    continue;
                }
            };
            let out = match event {
                Event::Incoming(Incoming::ConnAck(_)) => {
                    tracing::info!("connected to {} as {}", self.address, self.username);
                    up = true;
                    up_since = Some(tokio::time::Instant::now());
                    self.context.ever_connected = true;
                    self.tracking.lock().expect("tracking lock").connected = true;
                    Some(NetEvent::Connected {
                        session: session.clone(),
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
                Event::Outgoing(Outgoing::Publish(pkid)) => {
                    let mut tracking = self.tracking.lock().expect("tracking lock");
                    match tracking.queued.pop_front() {
                        Some(tag) if pkid == 0 => Some(NetEvent::Acked(tag)),
                        Some(tag) => {
                            tracking.by_pkid.insert(pkid, tag);
                            None
                        }
                        None => None,
                    }
                }
                Event::Outgoing(Outgoing::Disconnect) => {
                    closing = true;
                    None
                }
                _ => None,
            };
            if let Some(out) = out {
                if self.tx.send(out).await.is_err() {
                    return;
                }
            }
        }
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

fn is_oversize(err: &ConnectionError) -> bool {
    matches!(
        err,
        ConnectionError::MqttState(StateError::Deserialization(rumqttc::Error::PayloadSizeLimitExceeded(_)))
    )
}

/// Errors that the same attempt would meet again: a refused login or
/// certificate. The first connection stops at any error (see the app).
fn is_fatal(err: &ConnectionError) -> bool {
    if let Some(tls) = tls_cause(err) {
        return crate::tls::describe(tls).1;
    }
    matches!(
        err,
        ConnectionError::ConnectionRefused(
            ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized | ConnectReturnCode::BadClientId
        ) | ConnectionError::Tls(rumqttc::TlsError::DNSName(_))
    )
}

/// The rustls error behind `err`, however deeply rumqttc wrapped it. rustls
/// errors travel inside `io::Error`, whose `source()` skips them, so each
/// `io::Error` is opened with `get_ref()`.
fn tls_cause(err: &ConnectionError) -> Option<&rustls::Error> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        next = match e.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref) {
            Some(inner) => Some(inner),
            None => e.source(),
        };
    }
    None
}

/// What `explain` needs to know beyond the error.
#[derive(Debug, Clone, Default)]
struct Context {
    /// The broker login, if any: a refusal reads differently with and without one.
    login_user: Option<String>,
    tls: bool,
    ever_connected: bool,
    /// The broker's port, for the advice when nothing listens there.
    port: u16,
}

/// `describe`, with the settings in mind: a refusal means something else
/// with and without a login, and a broker that hangs up on a first plain
/// connection most likely wants TLS.
fn explain(err: &ConnectionError, context: &Context) -> String {
    if matches!(err, ConnectionError::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused) {
        return nothing_listening(&context.port.to_string());
    }
    let text = describe(err);
    let refused_login = matches!(
        err,
        ConnectionError::ConnectionRefused(ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized)
    );
    if refused_login {
        return match &context.login_user {
            Some(user) => text.replace("refused the login", &format!("refused the login as {user}")),
            None => "the broker refused the connection: not authorised (it may require a login: --user NAME)".into(),
        };
    }
    if !context.tls && !context.ever_connected && text.starts_with(HUNG_UP) {
        return format!("{text}; if this port expects TLS, use --tls or an mqtts:// URL");
    }
    text
}

const HUNG_UP: &str = "the broker closed the connection";

/// The innermost I/O error behind `err`, if any.
fn io_cause(err: &ConnectionError) -> Option<&std::io::Error> {
    let mut found = None;
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            found = Some(io);
        }
        next = e.source();
    }
    found
}

/// A refused TCP connection: say so, and how to get a broker there.
fn nothing_listening(port: &str) -> String {
    let host_here = if cfg!(feature = "serve") {
        ", or host one inside komunikator with --serve"
    } else {
        ""
    };
    format!("connection refused (nothing is listening there: start a broker with `mosquitto -p {port}`{host_here})")
}

/// One line for people, naming the cause.
pub fn describe(err: &ConnectionError) -> String {
    if let Some(tls) = tls_cause(err) {
        return crate::tls::describe(tls).0;
    }
    if let Some(io) = io_cause(err) {
        use std::io::ErrorKind as K;
        if matches!(
            io.kind(),
            K::ConnectionReset | K::ConnectionAborted | K::UnexpectedEof | K::BrokenPipe
        ) {
            return match err {
                ConnectionError::Tls(_) => {
                    format!("{HUNG_UP} during the TLS handshake ({io}); is this its TLS port?")
                }
                _ => format!("{HUNG_UP} ({io})"),
            };
        }
    }
    match err {
        ConnectionError::Io(e) => match e.kind() {
            std::io::ErrorKind::ConnectionRefused => nothing_listening("PORT"),
            _ if e.to_string().contains("lookup") || e.to_string().contains("resolve") => {
                format!("unknown host ({e})")
            }
            _ => e.to_string(),
        },
        ConnectionError::Tls(rumqttc::TlsError::DNSName(_)) => {
            "TLS needs a host name or IP address as the server, and this is neither".into()
        }
        ConnectionError::Tls(rumqttc::TlsError::Io(e)) => format!("TLS: {e}"),
        ConnectionError::Tls(e) => format!("TLS: {e}"),
        ConnectionError::ConnectionRefused(code) => match code {
            ConnectReturnCode::BadUserNamePassword => "the broker refused the login: bad user name or password".into(),
            ConnectReturnCode::NotAuthorized => {
                "the broker refused the login: not authorised (wrong user name or password?)".into()
            }
            ConnectReturnCode::BadClientId => "the broker refused the client id".into(),
            ConnectReturnCode::ServiceUnavailable => "the broker is unavailable".into(),
            other => format!("the broker refused the connection ({other:?})"),
        },
        ConnectionError::NetworkTimeout => "timed out".into(),
        ConnectionError::MqttState(StateError::AwaitPingResp) => "the broker stopped answering (keep-alive)".into(),
        ConnectionError::MqttState(StateError::ConnectionAborted) => HUNG_UP.into(),
        ConnectionError::MqttState(StateError::Io(e)) => e.to_string(),
        ConnectionError::MqttState(StateError::Deserialization(rumqttc::Error::PayloadSizeLimitExceeded(size))) => {
            format!(
                "an incoming message of {} exceeded the {} limit and was dropped",
                crate::protocol::payload::human_size(*size),
                crate::protocol::payload::human_size(MAX_INCOMING_PACKET)
            )
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap() {
        let mut b = Backoff::new();
        let delays: Vec<Duration> = (0..12).map(|_| b.next_delay()).collect();
        assert!(delays[0] >= Duration::from_millis(400) && delays[0] <= Duration::from_millis(600));
        assert!(delays[1] >= Duration::from_millis(800) && delays[1] <= Duration::from_millis(1200));
        for d in &delays {
            assert!(*d <= Backoff::CAP.mul_f64(1.2));
        }
        assert!(delays[11] >= Backoff::CAP.mul_f64(0.8));
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(600));
    }

    fn wrapped_in_io(tls: rustls::Error) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, tls)
    }

    #[test]
    fn tls_failures_are_found_inside_io_errors_and_named() {
        let unknown_ca = || rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        // The shapes rumqttc produces: during the handshake, and when reading CONNACK.
        let errors = [
            ConnectionError::Tls(rumqttc::TlsError::Io(wrapped_in_io(unknown_ca()))),
            ConnectionError::Io(wrapped_in_io(unknown_ca())),
            ConnectionError::MqttState(StateError::Io(wrapped_in_io(unknown_ca()))),
        ];
        for err in &errors {
            let text = describe(err);
            assert!(
                text.starts_with("TLS: the broker's certificate is signed by an unknown CA"),
                "{text}"
            );
            assert!(!text.contains('\n'));
            assert!(is_fatal(err), "{text}");
        }
        let expired = ConnectionError::Tls(rumqttc::TlsError::Io(wrapped_in_io(rustls::Error::InvalidCertificate(
            rustls::CertificateError::Expired,
        ))));
        assert_eq!(describe(&expired), "TLS: the broker's certificate has expired");
    }

    fn login(user: &str) -> Context {
        Context {
            login_user: Some(user.into()),
            ..Context::default()
        }
    }

    #[test]
    fn a_hang_up_names_tls_as_the_likely_cause() {
        let reset = || std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let plain = ConnectionError::MqttState(StateError::Deserialization(rumqttc::Error::Io(reset())));
        let text = explain(&plain, &Context::default());
        assert!(text.starts_with("the broker closed the connection ("), "{text}");
        assert!(
            text.ends_with("if this port expects TLS, use --tls or an mqtts:// URL"),
            "{text}"
        );
        let later = Context {
            ever_connected: true,
            ..Context::default()
        };
        assert!(
            !explain(&plain, &later).contains("TLS"),
            "a later hang-up is no hint at TLS"
        );
        let handshake = ConnectionError::Tls(rumqttc::TlsError::Io(reset()));
        let text = describe(&handshake);
        assert!(
            text.contains("during the TLS handshake") && text.ends_with("is this its TLS port?"),
            "{text}"
        );
    }

    #[test]
    fn refused_logins_are_final_and_say_why() {
        let refused = ConnectionError::ConnectionRefused(ConnectReturnCode::NotAuthorized);
        assert!(is_fatal(&refused));
        let with_login = explain(&refused, &login("bob"));
        assert!(
            with_login.contains("refused the login") && with_login.contains("as bob"),
            "{with_login}"
        );
        let anonymous = explain(&refused, &Context::default());
        assert!(anonymous.contains("may require a login: --user NAME"), "{anonymous}");
        let down = ConnectionError::Io(std::io::ErrorKind::ConnectionRefused.into());
        assert!(!is_fatal(&down));
        let nobody_there = explain(
            &down,
            &Context {
                port: 1884,
                ..login("bob")
            },
        );
        assert!(
            nobody_there.starts_with("connection refused (nothing is listening there")
                && nobody_there.contains("`mosquitto -p 1884`")
                && !nobody_there.contains("login"),
            "{nobody_there}"
        );
    }

    #[test]
    fn client_ids_differ_for_the_same_username() {
        assert_ne!(client_id("alice"), client_id("alice"));
    }
}
