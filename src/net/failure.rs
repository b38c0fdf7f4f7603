//! Why a connection attempt failed or a connection ended: rumqttc's error
//! classified into what the user can act on. Every message about the
//! connection is written here, in the `#[error]` lines.

use rumqttc::v5::mqttbytes::v5::ConnectReturnCode as Code5;
use rumqttc::{v5, ConnectReturnCode, ConnectionError, StateError};

use super::link::LinkError;

use crate::app::MAX_INCOMING_PACKET;
use crate::protocol::display::human_size;
use crate::tls::TlsFailure;

/// What classifying an error needs to know beyond the error.
#[derive(Debug, Clone, Default)]
pub(super) struct Context {
    /// The broker login, if any: a refusal reads differently with and without one.
    pub login_user: Option<String>,
    pub tls: bool,
    pub ever_connected: bool,
    /// The broker's port, for the advice when nothing listens there.
    pub port: u16,
}

/// A lost or refused connection, as one line for people.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionFailure {
    #[error(transparent)]
    Tls(TlsFailure),
    #[error("the broker closed the connection during the TLS handshake ({detail}); is this its TLS port?")]
    HungUpInHandshake { detail: String },
    /// `suggest_tls`: a broker that hangs up on a first plain connection most likely wants TLS.
    #[error("the broker closed the connection{}{}", in_parens(.detail), tls_hint(*.suggest_tls))]
    HungUp { detail: Option<String>, suggest_tls: bool },
    #[error(
        "the broker closed the connection{}; it may not speak MQTT 5: try --mqtt auto or --mqtt 3.1.1",
        in_parens(.detail)
    )]
    HungUpOnMqtt5 { detail: Option<String> },
    /// `advise`: before the first connection, how to start a broker there
    /// (after one, the broker merely went away and will be back).
    #[error("connection refused (nothing is listening there{})", broker_advice(*.port, *.advise))]
    NothingListening { port: u16, advise: bool },
    #[error("unknown host ({0})")]
    UnknownHost(std::io::Error),
    #[error("{0}")]
    Io(std::io::Error),
    #[error("TLS needs a host name or IP address as the server, and this is neither")]
    NotAHostName,
    #[error("TLS: {0}")]
    TlsIo(std::io::Error),
    #[error("TLS: {0}")]
    TlsLayer(rumqttc::TlsError),
    #[error("the broker refused the login as {user}: {}", match .why {
        LoginRefusal::BadPassword => "bad user name or password",
        LoginRefusal::NotAuthorised => "not authorised (wrong user name or password?)",
    })]
    LoginRefused { user: String, why: LoginRefusal },
    #[error("the broker refused the connection: not authorised (it may require a login: --user NAME)")]
    LoginRequired,
    #[error("the broker refused the client id")]
    ClientIdRefused,
    #[error("the broker is unavailable")]
    Unavailable,
    #[error("the broker refused the connection ({0})")]
    Refused(String),
    #[error("the broker refused MQTT {0}; try --mqtt auto")]
    VersionRefused(&'static str),
    #[error("the broker ended the connection ({0})")]
    BrokerDisconnected(String),
    #[error("timed out")]
    TimedOut,
    #[error("the broker stopped answering (keep-alive)")]
    StoppedAnswering,
    /// `again`: it ended a fresh connection once more.
    #[error(
        "an incoming message of {} exceeded the {} limit and was dropped{}",
        human_size(*.size),
        human_size(MAX_INCOMING_PACKET),
        if *.again { OVERSIZE_AGAIN } else { "" }
    )]
    Oversize { size: usize, again: bool },
    #[error("{0}")]
    Other(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginRefusal {
    BadPassword,
    NotAuthorised,
}

const HOST_HERE: &str = if cfg!(feature = "serve") {
    ", or host one inside komunikator with --serve"
} else {
    ""
};

/// Added when an oversize message ends a fresh connection again.
const OVERSIZE_AGAIN: &str = "; it came again right after connecting: most likely a retained message on \
one of the subscribed topics, which the broker sends on every connect (its operator can clear it with \
`mosquitto_pub -r -n -t TOPIC`)";

fn broker_advice(port: u16, advise: bool) -> String {
    if advise {
        format!(": start a broker with `mosquitto -p {port}`{HOST_HERE}")
    } else {
        String::new()
    }
}

fn in_parens(detail: &Option<String>) -> String {
    detail.as_ref().map(|d| format!(" ({d})")).unwrap_or_default()
}

fn tls_hint(suggest: bool) -> &'static str {
    if suggest {
        "; if this port expects TLS, use --tls or an mqtts:// URL"
    } else {
        ""
    }
}

impl ConnectionFailure {
    /// Classifies `err` at either version; `context` says what was tried.
    pub(super) fn of_link(err: LinkError, context: &Context) -> Self {
        match err {
            LinkError::V311(err) => Self::new(err, context),
            LinkError::V5(err) => Self::new_v5(err, context),
        }
    }

    /// Classifies an MQTT 5 link's `err` as [`ConnectionFailure::new`] does a 3.1.1 one's.
    fn new_v5(err: v5::ConnectionError, context: &Context) -> Self {
        use v5::{ConnectionError as E, StateError as S};
        if let Some(failure) = tls_or_hang_up(&err, matches!(err, E::Tls(_)), context) {
            return failure;
        }
        let first_plain_try = !context.tls && !context.ever_connected;
        match err {
            E::Io(e) => of_io(e, context),
            E::MqttState(S::Io(e)) => ConnectionFailure::Io(e),
            E::Tls(e) => of_tls(e),
            E::ConnectionRefused(code) => refusal_v5(code, context),
            E::Timeout(_) => ConnectionFailure::TimedOut,
            E::MqttState(S::AwaitPingResp) => ConnectionFailure::StoppedAnswering,
            E::MqttState(S::ConnectionAborted) => ConnectionFailure::HungUp {
                detail: None,
                suggest_tls: first_plain_try,
            },
            E::MqttState(S::Deserialization(v5::mqttbytes::Error::PayloadSizeLimitExceeded { pkt_size, .. }))
            | E::MqttState(S::IncomingPacketTooLarge { pkt_size, .. }) => ConnectionFailure::Oversize {
                size: pkt_size,
                again: false,
            },
            E::MqttState(S::ServerDisconnect {
                reason_code,
                reason_string,
            }) => ConnectionFailure::BrokerDisconnected(match reason_string {
                Some(text) => format!("{reason_code:?}: {text}"),
                None => format!("{reason_code:?}"),
            }),
            other => ConnectionFailure::Other(other.to_string()),
        }
    }

    /// Classifies `err`, taking it over; `context` says what was tried.
    pub(super) fn new(err: ConnectionError, context: &Context) -> Self {
        if let Some(failure) = tls_or_hang_up(&err, matches!(err, ConnectionError::Tls(_)), context) {
            return failure;
        }
        let first_plain_try = !context.tls && !context.ever_connected;
        match err {
            ConnectionError::Io(e) => of_io(e, context),
            ConnectionError::MqttState(StateError::Io(e)) => ConnectionFailure::Io(e),
            ConnectionError::Tls(e) => of_tls(e),
            ConnectionError::ConnectionRefused(code) => refusal(code, context),
            ConnectionError::NetworkTimeout => ConnectionFailure::TimedOut,
            ConnectionError::MqttState(StateError::AwaitPingResp) => ConnectionFailure::StoppedAnswering,
            ConnectionError::MqttState(StateError::ConnectionAborted) => ConnectionFailure::HungUp {
                detail: None,
                suggest_tls: first_plain_try,
            },
            ConnectionError::MqttState(StateError::Deserialization(rumqttc::Error::PayloadSizeLimitExceeded(size))) => {
                ConnectionFailure::Oversize { size, again: false }
            }
            other => ConnectionFailure::Other(other.to_string()),
        }
    }

    /// With `--mqtt 5`: a hang-up on the CONNECT most likely means the broker
    /// speaks only 3.1.1 (and TLS is the less likely reason).
    pub(super) fn on_mqtt5_connect(self) -> Self {
        match self {
            ConnectionFailure::HungUp { detail, .. } => ConnectionFailure::HungUpOnMqtt5 { detail },
            other => other,
        }
    }

    /// True for errors that the same attempt would meet again: a refused
    /// login or certificate. (The first connection stops at any error: see the app.)
    pub fn is_final(&self) -> bool {
        match self {
            ConnectionFailure::Tls(tls) => tls.is_final(),
            ConnectionFailure::LoginRefused { .. }
            | ConnectionFailure::LoginRequired
            | ConnectionFailure::ClientIdRefused
            | ConnectionFailure::VersionRefused(_)
            | ConnectionFailure::NotAHostName => true,
            ConnectionFailure::HungUpInHandshake { .. }
            | ConnectionFailure::HungUp { .. }
            | ConnectionFailure::HungUpOnMqtt5 { .. }
            | ConnectionFailure::NothingListening { .. }
            | ConnectionFailure::UnknownHost(_)
            | ConnectionFailure::Io(_)
            | ConnectionFailure::TlsIo(_)
            | ConnectionFailure::TlsLayer(_)
            | ConnectionFailure::Unavailable
            | ConnectionFailure::Refused(_)
            | ConnectionFailure::BrokerDisconnected(_)
            | ConnectionFailure::TimedOut
            | ConnectionFailure::StoppedAnswering
            | ConnectionFailure::Oversize { .. }
            | ConnectionFailure::Other(_) => false,
        }
    }
}

/// CONNACK refused the connection: a login reads differently with and without one.
fn refusal(code: ConnectReturnCode, context: &Context) -> ConnectionFailure {
    let why = match code {
        ConnectReturnCode::BadUserNamePassword => LoginRefusal::BadPassword,
        ConnectReturnCode::NotAuthorized => LoginRefusal::NotAuthorised,
        ConnectReturnCode::BadClientId => return ConnectionFailure::ClientIdRefused,
        ConnectReturnCode::ServiceUnavailable => return ConnectionFailure::Unavailable,
        other => return ConnectionFailure::Refused(format!("{other:?}")),
    };
    login_refused(why, context)
}

/// An MQTT 5 CONNACK refused the connection.
fn refusal_v5(code: Code5, context: &Context) -> ConnectionFailure {
    let why = match code {
        Code5::BadUserNamePassword => LoginRefusal::BadPassword,
        Code5::NotAuthorized => LoginRefusal::NotAuthorised,
        Code5::ClientIdentifierNotValid | Code5::BadClientId => return ConnectionFailure::ClientIdRefused,
        Code5::ServerUnavailable | Code5::ServiceUnavailable | Code5::ServerBusy => {
            return ConnectionFailure::Unavailable
        }
        Code5::UnsupportedProtocolVersion | Code5::RefusedProtocolVersion => {
            return ConnectionFailure::VersionRefused("5")
        }
        other => return ConnectionFailure::Refused(format!("{other:?}")),
    };
    login_refused(why, context)
}

/// A refused login reads differently with and without one.
fn login_refused(why: LoginRefusal, context: &Context) -> ConnectionFailure {
    match &context.login_user {
        Some(user) => ConnectionFailure::LoginRefused {
            user: user.clone(),
            why,
        },
        None => ConnectionFailure::LoginRequired,
    }
}

/// What errors of both versions may hold: a TLS failure anywhere inside, or
/// the peer hanging up (`in_tls_layer`: during the TLS handshake).
fn tls_or_hang_up(
    err: &(dyn std::error::Error + 'static),
    in_tls_layer: bool,
    context: &Context,
) -> Option<ConnectionFailure> {
    if let Some(tls) = tls_cause(err) {
        return Some(ConnectionFailure::Tls(tls.into()));
    }
    let detail = hang_up_cause(err)?.to_string();
    Some(if in_tls_layer {
        ConnectionFailure::HungUpInHandshake { detail }
    } else {
        ConnectionFailure::HungUp {
            detail: Some(detail),
            suggest_tls: !context.tls && !context.ever_connected,
        }
    })
}

/// Connecting failed at the socket.
fn of_io(e: std::io::Error, context: &Context) -> ConnectionFailure {
    if e.kind() == std::io::ErrorKind::ConnectionRefused {
        ConnectionFailure::NothingListening {
            port: context.port,
            advise: !context.ever_connected,
        }
    } else if e.raw_os_error().is_none() {
        // Connecting fails with an OS error code; only the host lookup
        // (getaddrinfo, or no address at all) fails without one.
        ConnectionFailure::UnknownHost(e)
    } else {
        ConnectionFailure::Io(e)
    }
}

fn of_tls(e: rumqttc::TlsError) -> ConnectionFailure {
    match e {
        rumqttc::TlsError::DNSName(_) => ConnectionFailure::NotAHostName,
        rumqttc::TlsError::Io(e) => ConnectionFailure::TlsIo(e),
        e => ConnectionFailure::TlsLayer(e),
    }
}

/// The rustls error behind `err`, however deeply rumqttc wrapped it. rustls
/// errors travel inside `io::Error`, whose `source()` skips them, so each
/// `io::Error` is opened with `get_ref()`.
fn tls_cause<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut next = Some(err);
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

/// The innermost I/O error behind `err` when it says the peer hung up.
fn hang_up_cause<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    use std::io::ErrorKind as K;
    let mut found = None;
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            found = Some(io);
        }
        next = e.source();
    }
    found.filter(|io| {
        matches!(
            io.kind(),
            K::ConnectionReset | K::ConnectionAborted | K::UnexpectedEof | K::BrokenPipe
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrapped_in_io(tls: rustls::Error) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, tls)
    }

    fn explain(err: ConnectionError, context: &Context) -> (String, bool) {
        let failure = ConnectionFailure::new(err, context);
        (failure.to_string(), failure.is_final())
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
        for err in errors {
            let (text, fatal) = explain(err, &Context::default());
            assert!(
                text.starts_with("TLS: the broker's certificate is signed by an unknown CA"),
                "{text}"
            );
            assert!(!text.contains('\n'));
            assert!(fatal, "{text}");
        }
        let expired = ConnectionError::Tls(rumqttc::TlsError::Io(wrapped_in_io(rustls::Error::InvalidCertificate(
            rustls::CertificateError::Expired,
        ))));
        assert_eq!(
            explain(expired, &Context::default()).0,
            "TLS: the broker's certificate has expired"
        );
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
        let plain = || ConnectionError::MqttState(StateError::Deserialization(rumqttc::Error::Io(reset())));
        let (text, fatal) = explain(plain(), &Context::default());
        assert!(text.starts_with("the broker closed the connection ("), "{text}");
        assert!(
            text.ends_with("if this port expects TLS, use --tls or an mqtts:// URL"),
            "{text}"
        );
        assert!(!fatal);
        let later = Context {
            ever_connected: true,
            ..Context::default()
        };
        assert!(
            !explain(plain(), &later).0.contains("TLS"),
            "a later hang-up is no hint at TLS"
        );
        let aborted = ConnectionError::MqttState(StateError::ConnectionAborted);
        assert_eq!(explain(aborted, &later).0, "the broker closed the connection");
        let handshake = ConnectionError::Tls(rumqttc::TlsError::Io(reset()));
        let (text, _) = explain(handshake, &Context::default());
        assert!(
            text.contains("during the TLS handshake") && text.ends_with("is this its TLS port?"),
            "{text}"
        );
    }

    #[test]
    fn refused_logins_are_final_and_say_why() {
        let refused = || ConnectionError::ConnectionRefused(ConnectReturnCode::NotAuthorized);
        let (with_login, fatal) = explain(refused(), &login("bob"));
        assert_eq!(
            with_login,
            "the broker refused the login as bob: not authorised (wrong user name or password?)"
        );
        assert!(fatal);
        let (anonymous, fatal) = explain(refused(), &Context::default());
        assert!(anonymous.contains("may require a login: --user NAME"), "{anonymous}");
        assert!(fatal);
        let down = || ConnectionError::Io(std::io::ErrorKind::ConnectionRefused.into());
        assert!(!explain(down(), &Context::default()).1);
        let (nobody_there, _) = explain(
            down(),
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
        let (gone_again, _) = explain(
            down(),
            &Context {
                port: 1884,
                ever_connected: true,
                ..Context::default()
            },
        );
        assert_eq!(
            gone_again, "connection refused (nothing is listening there)",
            "no advice to start a broker once one was reached"
        );
    }

    #[test]
    fn a_failed_lookup_is_an_unknown_host() {
        let lookup = std::io::Error::other("failed to lookup address information: Name or service not known");
        let (text, fatal) = explain(ConnectionError::Io(lookup), &Context::default());
        assert!(text.starts_with("unknown host (failed to lookup"), "{text}");
        assert!(!fatal);
        let os = ConnectionError::Io(std::io::Error::from(rustix::io::Errno::NETUNREACH));
        assert!(!explain(os, &Context::default()).0.starts_with("unknown host"));
    }

    #[test]
    fn an_oversize_message_says_when_it_came_again() {
        let failure = ConnectionFailure::Oversize {
            size: 2 << 20,
            again: true,
        };
        let text = failure.to_string();
        assert!(
            text.contains("exceeded the") && text.contains("came again right after connecting"),
            "{text}"
        );
    }
}
