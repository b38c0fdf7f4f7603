//! What the v5 listener's CONNACK announces, and whether it honours the
//! limits a client sets: an empty client id (assigned id), keep alive 0,
//! the client's receive maximum and its maximum packet size.

use bytes::Bytes;
use rumqttc::v5::mqttbytes::v5::ConnAckProperties;
use rumqttc::v5::mqttbytes::QoS;

use crate::peer::{connect, must_connect, options as opts, Received, QUIET, WAIT};
use crate::report::{Report, Verdict};
use crate::wire::{connect_v5, Wire};
use crate::Ports;

const MIB: usize = 1024 * 1024;
/// The "2 MiB message": as large as rumqttd, configured like `--serve`
/// (2 MiB maximum incoming packet), takes from the publisher.
const BIG: usize = 2 * MIB - 1024;

/// A property as announced, or `absent (default)`.
fn shown<T: std::fmt::Debug>(value: &Option<T>, default: &str) -> String {
    match value {
        Some(v) => format!("{v:?}"),
        None => format!("absent (spec default: {default})"),
    }
}

fn connack_lines(p: &ConnAckProperties) -> Vec<(&'static str, String)> {
    vec![
        ("maximum packet size", shown(&p.max_packet_size, "no limit")),
        ("receive maximum", shown(&p.receive_max, "65535")),
        ("maximum QoS", shown(&p.max_qos, "2")),
        ("retain available", shown(&p.retain_available, "1")),
        (
            "session expiry interval",
            shown(&p.session_expiry_interval, "the client's"),
        ),
        ("topic alias maximum", shown(&p.topic_alias_max, "0")),
        (
            "wildcard subscription available",
            shown(&p.wildcard_subscription_available, "1"),
        ),
        (
            "subscription identifiers available",
            shown(&p.subscription_identifiers_available, "1"),
        ),
        (
            "shared subscription available",
            shown(&p.shared_subscription_available, "1"),
        ),
        ("server keep alive", shown(&p.server_keep_alive, "the client's")),
        (
            "assigned client identifier",
            shown(&p.assigned_client_identifier, "none"),
        ),
        ("reason string", shown(&p.reason_string, "none")),
        ("response information", shown(&p.response_information, "none")),
        ("server reference", shown(&p.server_reference, "none")),
        ("authentication method", shown(&p.authentication_method, "none")),
        ("user properties", format!("{:?}", p.user_properties)),
    ]
}

/// 1. What the CONNACK of the v5 listener says about the broker.
pub(crate) async fn connack(ports: Ports, report: &mut Report) {
    let peer = must_connect(opts("p1-connack", ports.v5)).await;
    let ack = peer.connack.clone();
    peer.disconnect().await;
    let props = ack.properties.unwrap_or(ConnAckProperties {
        session_expiry_interval: None,
        receive_max: None,
        max_qos: None,
        retain_available: None,
        max_packet_size: None,
        assigned_client_identifier: None,
        topic_alias_max: None,
        reason_string: None,
        user_properties: Vec::new(),
        wildcard_subscription_available: None,
        subscription_identifiers_available: None,
        shared_subscription_available: None,
        server_keep_alive: None,
        response_information: None,
        server_reference: None,
        authentication_method: None,
        authentication_data: None,
    });
    println!(
        "\nCONNACK of the v5 listener (client id given, clean start): code {:?}, session present {}",
        ack.code, ack.session_present
    );
    let lines = connack_lines(&props);
    let mut announced = Vec::new();
    for (name, value) in &lines {
        println!("  {name:36} {value}");
        if !value.starts_with("absent") && !value.starts_with("[]") {
            announced.push(format!("{name} {value}"));
        }
    }
    report.row(
        "CONNACK properties",
        Verdict::Info,
        format!(
            "announces only: {}; everything else absent, so spec defaults apply \
             (no maximum packet size, receive maximum 65535, retain available, maximum QoS 2, \
             wildcard/shared subscriptions and subscription ids available)",
            announced.join(", ")
        ),
    );
}

/// An empty client id with clean start: MQTT 5 wants an assigned id back.
pub(crate) async fn assigned_client_id(ports: Ports, report: &mut Report) {
    let outcome = Wire::connect(ports.v5, connect_v5(""))
        .await
        .and_then(|(_, reply)| reply.connack().map_err(|r| r.describe()));
    match outcome {
        Ok(ack) => {
            let id = ack.properties.and_then(|p| p.assigned_client_identifier);
            let verdict = if id.is_some() { Verdict::Yes } else { Verdict::No };
            report.row(
                "assigned client identifier",
                verdict,
                format!(
                    "CONNECT with an empty client id: CONNACK {:?}, assigned id {id:?}",
                    ack.code
                ),
            );
        }
        Err(e) => report.row(
            "assigned client identifier",
            Verdict::No,
            format!("CONNECT with an empty client id: {e}"),
        ),
    }
}

/// Keep alive 0 means "no keep-alive" in both protocols.
pub(crate) async fn zero_keep_alive(ports: Ports, report: &mut Report) {
    let mut request = connect_v5("p1-keepalive0");
    request.keep_alive = 0;
    let outcome = Wire::connect(ports.v5, request).await.map(|(_, reply)| reply.connack());
    let (verdict, observed) = match outcome {
        Ok(Ok(ack)) => {
            let server = ack.properties.and_then(|p| p.server_keep_alive);
            (
                Verdict::Yes,
                format!("CONNACK {:?}, server keep alive {server:?}", ack.code),
            )
        }
        Ok(Err(other)) => (
            Verdict::No,
            format!(
                "refused: {} (rumqttd rejects keep alive 0 instead of sending a server keep alive)",
                other.describe()
            ),
        ),
        Err(e) => (Verdict::Unknown, e),
    };
    report.row("keep alive 0", verdict, observed);
}

/// The client's receive maximum: at most that many unacknowledged QoS 1
/// publishes in flight towards it.
pub(crate) async fn client_receive_maximum(ports: Ports, report: &mut Report) {
    let mut o = opts("p1-recvmax-sub", ports.v5);
    o.set_receive_maximum(Some(2)).set_manual_acks(true);
    let mut sub = must_connect(o).await;
    let mut publisher = must_connect(opts("p1-recvmax-pub", ports.v5)).await;
    let outcome = async {
        sub.subscribe("p1/recvmax").await?;
        for i in 0..10 {
            publisher
                .publish("p1/recvmax", QoS::AtLeastOnce, false, format!("m{i}"), None)
                .await?;
        }
        Ok::<_, String>(sub.publishes(QUIET).await)
    }
    .await;
    let (verdict, observed) = match outcome {
        Ok(got) => {
            let n = got.publishes.len();
            let verdict = if n <= 2 { Verdict::Yes } else { Verdict::No };
            let ended = got.ended.map(|e| format!("; subscriber's connection ended: {e}"));
            (
                verdict,
                format!(
                    "subscriber announced receive maximum 2 and acknowledged nothing: \
                     {n} of 10 QoS 1 messages delivered{}",
                    ended.unwrap_or_default()
                ),
            )
        }
        Err(e) => (Verdict::Unknown, e),
    };
    report.row("client receive maximum", verdict, observed);
    sub.kill().await;
    publisher.disconnect().await;
}

/// The size of the packet rumqttc refused as too large, from its error
/// ("… exceeded by packet of N bytes").
fn refused_packet(error: &str) -> Option<usize> {
    let (_, rest) = error.split_once("exceeded by packet of ")?;
    rest.split_whitespace().next()?.parse().ok()
}

/// What a subscriber that announced a 1 MiB maximum packet size got: was it
/// spared the big message, and did it stay connected for the next one.
fn small_client_outcome(got: &Received, after: &str) -> (bool, String) {
    let delivered = got.publishes.iter().any(|(_, p)| p.payload.len() > MIB);
    let refused = got.ended.as_deref().and_then(refused_packet);
    let mut said = match (delivered, refused) {
        (true, _) => "the broker sent it the big message (and its client took it)".to_owned(),
        (false, Some(n)) => format!(
            "the broker sent it the big message anyway: its client refused a {n}-byte packet \
             (\"{}\") and the connection ended",
            got.ended.as_deref().unwrap_or_default()
        ),
        (false, None) => "the broker did not send it the big message".to_owned(),
    };
    said.push_str(if got.find(after).is_some() {
        "; a small message after it arrived"
    } else {
        "; a small message after it did NOT arrive"
    });
    match (&got.ended, refused) {
        (Some(e), None) => said.push_str(&format!("; its connection failed ({e})")),
        (None, _) => said.push_str("; it stayed connected"),
        (Some(_), Some(_)) => {}
    }
    let honoured = !delivered && got.ended.is_none() && got.find(after).is_some();
    (honoured, said)
}

/// 2. Client maximum packet size: B announces 1 MiB, A publishes ~2 MiB.
pub(crate) async fn client_maximum_packet_size(ports: Ports, report: &mut Report) {
    let mut small = opts("p2-small", ports.v5);
    small.set_max_packet_size(Some(MIB as u32));
    let mut b = must_connect(small.clone()).await;
    let mut control = must_connect(opts("p2-control", ports.v5)).await;
    let mut a = must_connect(opts("p2-publisher", ports.v5)).await;
    let big = Bytes::from(vec![b'x'; BIG]);

    // Live: B and the control subscribed before the publish.
    let live = async {
        b.subscribe("p2/live").await?;
        control.subscribe("p2/live").await?;
        a.publish("p2/live", QoS::AtLeastOnce, false, big.clone(), None).await?;
        a.publish("p2/live", QoS::AtLeastOnce, false, "after", None).await?;
        Ok::<_, String>((b.publishes(WAIT).await, control.publishes(QUIET).await))
    }
    .await;
    match live {
        Ok((got_b, got_control)) => {
            let (honoured, said) = small_client_outcome(&got_b, "after");
            let control_big = got_control.publishes.iter().any(|(_, p)| p.payload.len() > MIB);
            report.row(
                "client maximum packet size (live)",
                if honoured { Verdict::Yes } else { Verdict::No },
                format!(
                    "B announced 1 MiB, A published {BIG} bytes QoS 1: {said}; \
                     a control subscriber (4 MiB) {} it",
                    if control_big { "got" } else { "did NOT get" }
                ),
            );
        }
        Err(e) => report.row("client maximum packet size (live)", Verdict::Unknown, e),
    }
    b.kill().await;
    control.kill().await;

    // Retained: B2 subscribes after a big retained message was stored.
    small.set_client_id("p2-small-retained".to_owned());
    let retained = async {
        a.publish("p2/retained", QoS::AtLeastOnce, true, big.clone(), None)
            .await?;
        let mut b2 = connect(small).await?;
        let subscribed = b2.subscribe("p2/retained").await;
        a.publish("p2/retained", QoS::AtLeastOnce, false, "after", None).await?;
        let got = b2.publishes(WAIT).await;
        b2.kill().await;
        Ok::<_, String>((subscribed, got))
    }
    .await;
    match retained {
        Ok((subscribed, got)) => {
            let (honoured, said) = small_client_outcome(&got, "after");
            let sub = match subscribed {
                Ok(()) => String::new(),
                Err(_) => " (no SUBACK reached its client)".to_owned(),
            };
            report.row(
                "client maximum packet size (retained)",
                if honoured { Verdict::Yes } else { Verdict::No },
                format!("a {BIG}-byte retained message, then B2 (1 MiB) subscribed{sub}: {said}"),
            );
        }
        Err(e) => report.row("client maximum packet size (retained)", Verdict::Unknown, e),
    }
    a.disconnect().await;
}
