//! How the v5 listener answers publishes MQTT 5 has a failure reason code
//! for (wildcard or empty topic, topic alias 0, invalid UTF-8), and a
//! publish nobody subscribes to; sent on a bare connection, and once through
//! rumqttc to show what a client library makes of the answer.

use std::time::Instant;

use bytes::Bytes;
use rumqttc::v5::mqttbytes::v5::{Packet, PingReq, Publish, PublishProperties};
use rumqttc::v5::mqttbytes::QoS;

use crate::peer::{connect, must_connect, options as opts, QUIET};
use crate::report::{Report, Verdict};
use crate::wire::{ms, Reply, Wire};
use crate::Ports;

/// A QoS 1 PUBLISH on a bare connection followed by a PINGREQ; everything
/// the broker answers within [`QUIET`], in order.
async fn answers_to(port: u16, client_id: &str, publish: Publish) -> String {
    let mut wire = match Wire::connected(port, client_id).await {
        Ok(w) => w,
        Err(e) => return format!("could not connect: {e}"),
    };
    let sent = match wire.send(&Packet::Publish(publish)).await {
        Ok(at) => at,
        Err(e) => return format!("could not send: {e}"),
    };
    let _ = wire.send(&Packet::PingReq(PingReq)).await;
    let replies = wire.replies(sent, QUIET).await;
    let mut said: Vec<String> = replies.iter().map(Reply::describe).collect();
    if !replies.iter().any(Reply::ends) {
        said.push("connection still open".to_owned());
    }
    said.join(", then ")
}

fn qos1(topic: &'static [u8], payload: &'static [u8], properties: Option<PublishProperties>) -> Publish {
    Publish {
        dup: false,
        qos: QoS::AtLeastOnce,
        retain: false,
        topic: Bytes::from_static(topic),
        pkid: 1,
        payload: Bytes::from_static(payload),
        properties,
    }
}

/// Topic alias 0, which MQTT 5 forbids.
fn alias_zero() -> PublishProperties {
    PublishProperties {
        topic_alias: Some(0),
        ..PublishProperties::default()
    }
}

/// 6. Publishes MQTT 5 has a failure reason code for.
pub(crate) async fn reason_codes(ports: Ports, report: &mut Report) {
    let mut observer = must_connect(opts("p6-observer", ports.v5)).await;
    let watching = observer.subscribe("p6/#").await;

    let wildcard = answers_to(ports.v5, "p6-wildcard", qos1(b"p6/+", b"wild", None)).await;
    let forwarded = observer.publishes(QUIET).await.find("wild").is_some();
    let watched = match watching {
        Ok(()) if forwarded => "; an observer on p6/# RECEIVED it",
        Ok(()) => "; an observer on p6/# did not receive it",
        Err(_) => "",
    };
    report.row(
        "PUBLISH to a wildcard topic (p6/+)",
        verdict_for_refusal(&wildcard, forwarded),
        format!("{wildcard}{watched}"),
    );

    let empty = answers_to(ports.v5, "p6-empty", qos1(b"", b"x", None)).await;
    report.row(
        "PUBLISH to an empty topic, no alias",
        verdict_for_refusal(&empty, false),
        empty,
    );

    let alias0 = answers_to(ports.v5, "p6-alias0", qos1(b"p6/alias0", b"x", Some(alias_zero()))).await;
    report.row(
        "PUBLISH with topic alias 0",
        verdict_for_refusal(&alias0, false),
        alias0,
    );
    report.row(
        "the same, seen by rumqttc::v5",
        Verdict::Info,
        refused_by_rumqttc(ports.v5).await,
    );

    let utf8 = PublishProperties {
        payload_format_indicator: Some(1),
        ..PublishProperties::default()
    };
    let utf8 = answers_to(ports.v5, "p6-utf8", qos1(b"p6/utf8", b"\xff\xfe", Some(utf8))).await;
    report.row(
        "payload format 1 with invalid UTF-8",
        if utf8.contains("PayloadFormatInvalid") {
            Verdict::Yes
        } else {
            Verdict::No
        },
        format!("{utf8} (a server MAY check; 0x99 Payload format invalid)"),
    );

    let nobody = answers_to(ports.v5, "p6-nobody", qos1(b"nobody/listens", b"x", None)).await;
    report.row(
        "PUBACK when nobody subscribes",
        if nobody.contains("NoMatchingSubscribers") {
            Verdict::Yes
        } else {
            Verdict::Info
        },
        format!("{nobody} (0x10 No matching subscribers is optional)"),
    );
    observer.kill().await;
}

/// What the client library reports when rumqttd disconnects it with a
/// reason code (for a PUBLISH with topic alias 0, which rumqttc lets through).
async fn refused_by_rumqttc(port: u16) -> String {
    let mut peer = match connect(opts("p6-alias0-rumqttc", port)).await {
        Ok(p) => p,
        Err(e) => return format!("could not connect: {e}"),
    };
    let started = Instant::now();
    let published = peer
        .publish("p6/alias0", QoS::AtLeastOnce, false, "x", Some(alias_zero()))
        .await;
    let after = peer.publishes(QUIET).await;
    let took = ms(started.elapsed());
    peer.kill().await;
    match (published, after.ended) {
        (Err(e), _) => format!("publish with alias 0: {e} (after {took})"),
        (Ok(()), Some(e)) => format!("PUBACK, then the connection ended: {e} (after {took})"),
        (Ok(()), None) => format!("PUBACK, connection still open after {took}"),
    }
}

/// A refusal names its reason: PUBACK or DISCONNECT with a failure code,
/// without a PUBACK Success first, in a packet a client can read.
fn verdict_for_refusal(answers: &str, forwarded: bool) -> Verdict {
    let success_first = answers.starts_with("PUBACK Success");
    let refused = answers.contains("DISCONNECT") || (answers.contains("PUBACK") && !answers.contains("PUBACK Success"));
    match (refused, success_first || forwarded) {
        (true, false) if answers.contains("malformed") => Verdict::Partly,
        (true, false) => Verdict::Yes,
        (true, true) => Verdict::Partly,
        (false, _) => Verdict::No,
    }
}
