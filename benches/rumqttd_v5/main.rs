//! Which MQTT 5 features the embedded broker (rumqttd 0.20) honours, and
//! what its MQTT 3.1.1 listener does with an MQTT 5 CONNECT.
//!
//! Starts rumqttd in this process, configured like `--serve` (src/serve.rs:
//! same connection and router settings, 2 MiB maximum packet) but with two
//! listeners on free loopback ports: `v4` (MQTT 3.1.1, what `--serve`
//! offers) and `v5` (MQTT 5). Then probes one feature after another with
//! rumqttc 0.25 clients (`rumqttc::v5`), and with bare TCP connections where
//! the client library would refuse what is sent (a PUBLISH to a wildcard
//! topic) or hide what comes back (a malformed DISCONNECT, a connection
//! closed without CONNACK). Prints what the broker announces in its CONNACK,
//! then a table (Markdown): feature | honoured? | what was observed.
//!
//! ```text
//! cargo bench --bench rumqttd_v5
//! ```
//!
//! A measurement, not a test: it asserts nothing and exits 0 whatever the
//! broker does (it panics only if the broker cannot start or a helper client
//! cannot connect). Every wait is bounded (3 s for what should come, 1.5 s to
//! be sure something does not, at most 10 s for a delayed will); the whole
//! run takes about a minute. Probes use distinct client ids and topics, so
//! their order does not matter (but the retained-expiry probe counts the
//! SUBSCRIBEs made while it waits, so probes run one after another). Rows
//! go to stderr as they are found; the CONNACK and the table to stdout.

mod peer;
mod probes;
mod report;
mod wire;

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use komunikator::app::MAX_OUTGOING_PACKET;
use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};

use report::Report;

/// The ports of the running broker.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ports {
    /// MQTT 3.1.1 listener, as `--serve` has today.
    pub(crate) v4: u16,
    /// MQTT 5 listener.
    pub(crate) v5: u16,
}

/// A listener with the connection settings of src/serve.rs `config()`.
fn server(name: &str, listen: SocketAddr) -> ServerSettings {
    ServerSettings {
        name: name.into(),
        listen,
        tls: None,
        next_connection_delay_ms: 0,
        connections: ConnectionSettings {
            connection_timeout_ms: 10_000,
            max_payload_size: MAX_OUTGOING_PACKET,
            max_inflight_count: 500,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    }
}

/// src/serve.rs `config()`, with a `v5` listener beside the `v4` one.
fn config(v4: SocketAddr, v5: SocketAddr) -> Config {
    Config {
        router: RouterConfig {
            max_connections: 1024,
            max_outgoing_packet_count: 200,
            max_segment_size: 4 * 1024 * 1024,
            max_segment_count: 4,
            ..RouterConfig::default()
        },
        v4: Some(HashMap::from([("v4".to_owned(), server("v4", v4))])),
        v5: Some(HashMap::from([("v5".to_owned(), server("v5", v5))])),
        ..Config::default()
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("a bound address").port()
}

/// Starts rumqttd on its own thread and waits until both listeners accept.
fn start_broker() -> Ports {
    let ports = Ports {
        v4: free_port(),
        v5: free_port(),
    };
    let v4 = SocketAddr::from(([127, 0, 0, 1], ports.v4));
    let v5 = SocketAddr::from(([127, 0, 0, 1], ports.v5));
    std::thread::Builder::new()
        .name("broker".into())
        .spawn(move || {
            if let Err(e) = Broker::new(config(v4, v5)).start() {
                eprintln!("rumqttd stopped: {e}");
            }
        })
        .expect("a thread for the broker");
    let deadline = Instant::now() + Duration::from_secs(10);
    for addr in [v4, v5] {
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(Instant::now() < deadline, "rumqttd does not listen on {addr}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    ports
}

fn main() {
    let started = Instant::now();
    let ports = start_broker();
    println!(
        "rumqttd 0.20 in-process: v4 listener 127.0.0.1:{}, v5 listener 127.0.0.1:{}",
        ports.v4, ports.v5
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mut report = Report::default();
    runtime.block_on(probes::run_all(ports, &mut report));
    report.print();
    println!("\n(run took {:.1} s)", started.elapsed().as_secs_f64());
    // rumqttd's threads never end; leave without waiting for them.
    std::process::exit(0);
}
