//! `--serve`: an MQTT broker inside the process (rumqttd), so a chat needs
//! nothing installed. It keeps retained messages and publishes last wills,
//! which is all presence needs.
//!
//! rumqttd runs on its own threads with its own runtimes, configured here in
//! code (no config file). It reports through `tracing`, into the log file's
//! subscriber (src/logging.rs), which keeps its events at the level chosen
//! there (none unless `RUST_LOG` names rumqttd) and never records its spans (several per packet, with topic
//! names). Nothing of it reaches the terminal; our own lines say what the
//! hosting does.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};

use crate::app::MAX_OUTGOING_PACKET;
use crate::settings::local_address;

/// How long the broker may take to accept connections after it was started.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// Time a new connection has to send CONNECT.
const CONNECT_TIMEOUT_MS: u16 = 10_000;
/// Bytes per in-memory log segment of one subscription filter; a message
/// larger than a segment still fits (it overflows the segment once).
const SEGMENT_BYTES: usize = 4 * 1024 * 1024;
/// Segments kept per filter: bounds the memory one busy room can take.
const SEGMENTS: usize = 4;
const MAX_CONNECTIONS: usize = 1024;

/// A broker running inside this process; it runs until the process exits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hosted {
    /// Where it listens.
    pub listen: SocketAddr,
}

fn config(listen: SocketAddr) -> Config {
    let server = ServerSettings {
        name: "komunikator".into(),
        listen,
        tls: None,
        next_connection_delay_ms: 0,
        connections: ConnectionSettings {
            connection_timeout_ms: CONNECT_TIMEOUT_MS,
            max_payload_size: MAX_OUTGOING_PACKET,
            max_inflight_count: 500,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    Config {
        router: RouterConfig {
            max_connections: MAX_CONNECTIONS,
            max_outgoing_packet_count: 200,
            max_segment_size: SEGMENT_BYTES,
            max_segment_count: SEGMENTS,
            ..RouterConfig::default()
        },
        v4: Some(HashMap::from([("komunikator".to_owned(), server)])),
        ..Config::default()
    }
}

/// Why the broker cannot be hosted; each reads as one line.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("cannot host a broker on {listen}: {}", refusal(*.listen, .source))]
    CannotListen { listen: SocketAddr, source: std::io::Error },
    #[error("cannot host a broker: cannot start its thread ({0})")]
    NoThread(#[source] std::io::Error),
    /// rumqttd's error, as it reads (rumqttd does not export its type).
    #[error("cannot host a broker on {listen}: {detail}")]
    Failed { listen: SocketAddr, detail: String },
    #[error("cannot host a broker on {listen}: it stopped at once")]
    StoppedAtOnce { listen: SocketAddr },
    #[error(
        "cannot host a broker on {listen}: it did not accept connections within {}s",
        START_TIMEOUT.as_secs()
    )]
    TooSlow { listen: SocketAddr },
}

/// Why the address cannot be listened on, in words for people.
fn refusal(listen: SocketAddr, err: &std::io::Error) -> String {
    let port = listen.port();
    match err.kind() {
        ErrorKind::AddrInUse => format!(
            "port {port} is already in use (is a broker running there already? then join that one; \
             or choose another port with -p)"
        ),
        ErrorKind::PermissionDenied => {
            "permission denied (ports below 1024 need privileges; choose another with -p)".to_owned()
        }
        ErrorKind::AddrNotAvailable => format!("{} is not an address of this machine", listen.ip()),
        _ => err.to_string(),
    }
}

/// Starts the broker and returns once it accepts connections.
pub fn start(listen: SocketAddr) -> Result<Hosted, HostError> {
    // rumqttd only logs when it cannot bind, and its server thread ends; try
    // the address first to say why in one line. (Rust sets SO_REUSEADDR, so
    // releasing it does not block rumqttd's own bind.)
    TcpListener::bind(listen).map_err(|source| HostError::CannotListen { listen, source })?;

    let (stopped_tx, stopped_rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("broker".into())
        .spawn(move || {
            let mut broker = Broker::new(config(listen));
            // `start` returns only when its listener has stopped.
            let outcome = broker.start().map_err(|e| e.to_string());
            let _ = stopped_tx.send(outcome);
        })
        .map_err(HostError::NoThread)?;

    let target = local_address(listen);
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        match stopped_rx.try_recv() {
            Ok(Err(detail)) => return Err(HostError::Failed { listen, detail }),
            // Lost the port to another program between our check and rumqttd's bind.
            Ok(Ok(())) | Err(mpsc::TryRecvError::Disconnected) => {
                let again = TcpListener::bind(listen).err();
                return Err(match again {
                    Some(source) => HostError::CannotListen { listen, source },
                    None => HostError::StoppedAtOnce { listen },
                });
            }
            Err(mpsc::TryRecvError::Empty) => {}
        }
        if TcpStream::connect_timeout(&target, Duration::from_millis(200)).is_ok() {
            return Ok(Hosted { listen });
        }
        if Instant::now() >= deadline {
            return Err(HostError::TooSlow { listen });
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// This machine's interface addresses (loopback too: the core picks what
/// to tell others); none when they cannot be read.
pub fn interface_addresses() -> Vec<IpAddr> {
    let Ok(interfaces) = nix::ifaddrs::getifaddrs() else {
        return Vec::new();
    };
    interfaces
        .filter_map(|interface| {
            let address = interface.address?;
            let ip = match (address.as_sockaddr_in(), address.as_sockaddr_in6()) {
                (Some(v4), _) => IpAddr::V4(v4.ip()),
                (_, Some(v6)) => IpAddr::V6(v6.ip()),
                _ => return None,
            };
            // A link-local IPv6 address needs its interface named to be reached.
            let link_local = matches!(ip, IpAddr::V6(v6) if v6.is_unicast_link_local());
            (!link_local).then_some(ip)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_in_use_is_refused_in_one_line_naming_it() {
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let listen = taken.local_addr().unwrap();
        let err = start(listen).unwrap_err();
        assert!(matches!(err, HostError::CannotListen { .. }), "{err}");
        let err = err.to_string();
        assert!(
            err.contains(&format!("port {} is already in use", listen.port())),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn the_interfaces_include_loopback() {
        // Every machine running the tests has one; finding it shows the listing works.
        assert!(interface_addresses().iter().any(IpAddr::is_loopback));
    }
}
