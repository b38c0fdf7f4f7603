//! What each listener does with the other protocol's CONNECT, bare and
//! through rumqttc's MQTT 5 and MQTT 3.1.1 clients, with baselines: the
//! answer, and how fast it comes.

use std::future::Future;
use std::time::{Duration, Instant};

use rumqttc::v5::mqttbytes::v5::Packet;
use tokio::time::timeout;

use crate::peer::{connect, options as opts, WAIT};
use crate::report::{Report, Verdict};
use crate::wire::{connect_v4_bytes, connect_v5, encode, ms, Reply, Wire};
use crate::Ports;

/// Attempts per protocol-mismatch measurement.
const ATTEMPTS: usize = 5;

/// Median and range of a few durations, in ms.
fn spread(mut times: Vec<Duration>) -> String {
    times.sort();
    match times.as_slice() {
        [] => "no figures".to_owned(),
        [only] => ms(*only),
        all => format!(
            "median {} (min {}, max {}, n={})",
            ms(all[all.len() / 2]),
            ms(all[0]),
            ms(all[all.len() - 1]),
            all.len()
        ),
    }
}

/// A CONNECT on a bare connection, [`ATTEMPTS`] times: the first answer
/// (the same each time, or all of them listed) and how fast it came.
async fn bare_connect(port: u16, bytes: impl Fn(usize) -> Vec<u8>) -> String {
    let mut outcomes = Vec::new();
    let mut times = Vec::new();
    for i in 0..ATTEMPTS {
        let reply = async {
            let mut wire = Wire::open(port).await.map_err(|e| e.to_string())?;
            let sent = wire.send_bytes(&bytes(i)).await.map_err(|e| e.to_string())?;
            let replies = wire.replies(sent, WAIT).await;
            Ok::<_, String>(replies)
        }
        .await;
        match reply {
            Ok(replies) => {
                let at = replies.first().and_then(|r| match r {
                    Reply::Packet(_, t) | Reply::Bytes(_, _, t) | Reply::Closed(t) | Reply::Failed(_, t) => Some(*t),
                    Reply::Silent(_) => None,
                });
                times.extend(at);
                let said: Vec<String> = replies
                    .iter()
                    .map(|r| r.describe().split(" after ").next().unwrap_or_default().to_owned())
                    .collect();
                let said = if said.is_empty() {
                    format!("nothing within {} s", WAIT.as_secs())
                } else {
                    said.join(", then ")
                };
                outcomes.push(said);
            }
            Err(e) => outcomes.push(e),
        }
    }
    outcomes.dedup();
    format!("{}; first answer after {}", outcomes.join(" / "), spread(times))
}

/// How a client library sees a protocol mismatch: [`ATTEMPTS`] connections,
/// each set up by `attempt(i)` and timed from when its future first runs;
/// what they said (the same each time, or all of them listed) and how fast.
async fn client_connects<F, Fut>(attempt: F) -> String
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = String>,
{
    let mut times = Vec::new();
    let mut outcomes = Vec::new();
    for i in 0..ATTEMPTS {
        let connecting = attempt(i);
        let started = Instant::now();
        outcomes.push(connecting.await);
        times.push(started.elapsed());
    }
    outcomes.dedup();
    format!("{} after {}", outcomes.join(" / "), spread(times))
}

/// rumqttc's MQTT 5 client: its CONNACK or error (the time includes
/// closing the connection again).
async fn rumqttc_v5_connect(port: u16) -> String {
    client_connects(|i| async move {
        match connect(opts(&format!("p8-rumqttc5-{i}"), port)).await {
            Ok(peer) => {
                let said = format!("CONNACK {:?}", peer.connack.code);
                peer.kill().await;
                said
            }
            Err(e) => format!("error \"{e}\""),
        }
    })
    .await
}

/// rumqttc's MQTT 3.1.1 client: the first event of its event loop.
async fn rumqttc_v4_connect(port: u16) -> String {
    client_connects(|i| {
        let mut o = rumqttc::MqttOptions::new(format!("p8-rumqttc4-{i}"), "127.0.0.1", port);
        o.set_keep_alive(Duration::from_secs(30));
        let (client, mut eventloop) = rumqttc::AsyncClient::new(o, 10);
        async move {
            let _client = client;
            match timeout(WAIT, eventloop.poll()).await {
                Ok(Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(ack)))) => {
                    format!("CONNACK {:?}", ack.code)
                }
                Ok(Ok(other)) => format!("{other:?}"),
                Ok(Err(e)) => format!("error \"{e}\""),
                Err(_) => format!("nothing within {} s", WAIT.as_secs()),
            }
        }
    })
    .await
}

fn connect_v5_bytes(i: usize) -> Vec<u8> {
    let connect = Packet::Connect(connect_v5(&format!("p8-bare5-{i}")), None, None);
    encode(&connect).expect("a CONNECT encodes").to_vec()
}
/// 8. Each listener given the other protocol's CONNECT, with baselines.
pub(crate) async fn listeners(ports: Ports, report: &mut Report) {
    let v5_on_v4 = bare_connect(ports.v4, connect_v5_bytes).await;
    let refused_with_code = v5_on_v4.contains("CONNACK") || v5_on_v4.contains("bytes [20");
    report.row(
        "v4 listener <- MQTT 5 CONNECT (bare)",
        Verdict::Info,
        format!(
            "{v5_on_v4}{}",
            if refused_with_code {
                ""
            } else {
                " (no CONNACK 0x01 Unacceptable protocol version / 0x84 Unsupported protocol version)"
            }
        ),
    );
    report.row(
        "v4 listener <- rumqttc::v5 client",
        Verdict::Info,
        rumqttc_v5_connect(ports.v4).await,
    );
    report.row(
        "v4 listener <- rumqttc 3.1.1 client (baseline)",
        Verdict::Info,
        rumqttc_v4_connect(ports.v4).await,
    );
    report.row(
        "v5 listener <- MQTT 3.1.1 CONNECT (bare)",
        Verdict::Info,
        bare_connect(ports.v5, |i| connect_v4_bytes(&format!("p8-bare4-{i}"))).await,
    );
    report.row(
        "v5 listener <- rumqttc 3.1.1 client",
        Verdict::Info,
        rumqttc_v4_connect(ports.v5).await,
    );
    report.row(
        "v5 listener <- rumqttc::v5 client (baseline)",
        Verdict::Info,
        rumqttc_v5_connect(ports.v5).await,
    );
}
