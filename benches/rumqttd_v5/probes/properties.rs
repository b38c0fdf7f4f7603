//! What becomes of a publish on the way through: its properties, the
//! subscription identifier, topic aliases both ways; and shared
//! subscriptions.

use bytes::Bytes;
use rumqttc::v5::mqttbytes::v5::{Publish, PublishProperties, SubscribeProperties};
use rumqttc::v5::mqttbytes::QoS;

use crate::peer::{connect, filter, must_connect, options as opts, Peer, QUIET};
use crate::report::{Report, Verdict};
use crate::Ports;

fn rich_properties() -> PublishProperties {
    PublishProperties {
        payload_format_indicator: Some(1),
        message_expiry_interval: Some(60),
        topic_alias: None,
        response_topic: Some("p9/reply".to_owned()),
        correlation_data: Some(Bytes::from_static(b"corr")),
        user_properties: vec![("k".to_owned(), "v".to_owned())],
        subscription_identifiers: Vec::new(),
        content_type: Some("text/plain".to_owned()),
    }
}

/// Which of the publisher's properties a subscriber received.
fn forwarded(p: &Publish) -> (Vec<&'static str>, Vec<&'static str>) {
    let sent = rich_properties();
    let got = p.properties.clone().unwrap_or_default();
    let checks = [
        (
            "payload format",
            got.payload_format_indicator == sent.payload_format_indicator,
        ),
        ("message expiry", got.message_expiry_interval.is_some()),
        ("response topic", got.response_topic == sent.response_topic),
        ("correlation data", got.correlation_data == sent.correlation_data),
        ("user property", got.user_properties == sent.user_properties),
        ("content type", got.content_type == sent.content_type),
    ];
    let kept = checks.iter().filter(|c| c.1).map(|c| c.0).collect();
    let lost = checks.iter().filter(|c| !c.1).map(|c| c.0).collect();
    (kept, lost)
}

/// Properties forwarded, subscription identifiers, topic aliases towards a
/// subscriber that allows them.
pub(crate) async fn properties(ports: Ports, report: &mut Report) {
    let outcome = async {
        let mut o = opts("p9-props-sub", ports.v5);
        o.set_topic_alias_max(Some(10));
        let mut sub = connect(o).await?;
        let mut publisher = connect(opts("p9-props-publisher", ports.v5)).await?;
        let id = SubscribeProperties {
            id: Some(7),
            user_properties: Vec::new(),
        };
        sub.subscribe_with(filter("p9/props"), Some(id)).await?;
        for m in ["first", "second"] {
            publisher
                .publish("p9/props", QoS::AtLeastOnce, false, m, Some(rich_properties()))
                .await?;
        }
        let got = sub.publishes(QUIET).await;
        sub.kill().await;
        publisher.kill().await;
        Ok::<_, String>(got)
    }
    .await;
    let got = match outcome {
        Ok(got) => got,
        Err(e) => {
            report.row("properties forwarded", Verdict::Unknown, e);
            return;
        }
    };
    let Some(first) = got.find("first") else {
        report.row("properties forwarded", Verdict::Unknown, "the message did not arrive");
        return;
    };
    let (kept, lost) = forwarded(first);
    report.row(
        "properties forwarded",
        if lost.is_empty() { Verdict::Yes } else { Verdict::Partly },
        format!(
            "kept: {}; lost: {}",
            if kept.is_empty() {
                "none".to_owned()
            } else {
                kept.join(", ")
            },
            if lost.is_empty() {
                "none".to_owned()
            } else {
                lost.join(", ")
            }
        ),
    );
    let ids = first
        .properties
        .as_ref()
        .map(|p| p.subscription_identifiers.clone())
        .unwrap_or_default();
    report.row(
        "subscription identifier",
        if ids == [7] { Verdict::Yes } else { Verdict::No },
        format!("subscribed with id 7: delivered with ids {ids:?}"),
    );
    let aliases: Vec<String> = got
        .publishes
        .iter()
        .map(|(_, p)| {
            let alias = p.properties.as_ref().and_then(|p| p.topic_alias);
            format!("{alias:?}")
        })
        .collect();
    report.row(
        "topic alias, broker to client",
        Verdict::Info,
        format!(
            "subscriber allowed 10 aliases; the two deliveries carried aliases [{}] (optional for a broker)",
            aliases.join(", ")
        ),
    );
}

/// A publisher sets a topic alias, then publishes with the alias alone.
pub(crate) async fn topic_alias_from_client(ports: Ports, report: &mut Report) {
    let outcome = async {
        let mut sub = connect(opts("p9-alias-sub", ports.v5)).await?;
        let mut publisher = connect(opts("p9-alias-publisher", ports.v5)).await?;
        sub.subscribe("p9/alias").await?;
        let alias = || {
            Some(PublishProperties {
                topic_alias: Some(1),
                ..PublishProperties::default()
            })
        };
        publisher
            .publish("p9/alias", QoS::AtLeastOnce, false, "named", alias())
            .await?;
        publisher
            .publish("", QoS::AtLeastOnce, false, "aliased", alias())
            .await?;
        let got = sub.publishes(QUIET).await;
        sub.kill().await;
        publisher.kill().await;
        Ok::<_, String>(got)
    }
    .await;
    match outcome {
        Ok(got) => {
            let both = got.find("named").is_some() && got.find("aliased").is_some();
            report.row(
                "topic alias, client to broker",
                if both { Verdict::Yes } else { Verdict::No },
                format!(
                    "PUBLISH p9/alias with alias 1, then alias 1 and an empty topic: subscriber got [{}]",
                    got.payloads().join(", ")
                ),
            );
        }
        Err(e) => report.row("topic alias, client to broker", Verdict::Unknown, e),
    }
}

/// `$share/group/filter`: each message to one member of the group.
pub(crate) async fn shared_subscription(ports: Ports, report: &mut Report) {
    let outcome = async {
        let mut members: Vec<Peer> = Vec::new();
        for i in 0..2 {
            let mut m = connect(opts(&format!("p9-shared-{i}"), ports.v5)).await?;
            m.subscribe("$share/g/p9/shared").await?;
            members.push(m);
        }
        let mut publisher = must_connect(opts("p9-shared-publisher", ports.v5)).await;
        for i in 0..6 {
            publisher
                .publish("p9/shared", QoS::AtLeastOnce, false, format!("s{i}"), None)
                .await?;
        }
        let mut counts = Vec::new();
        for m in &mut members {
            counts.push(m.publishes(QUIET).await.publishes.len());
        }
        for m in members {
            m.kill().await;
        }
        publisher.kill().await;
        Ok::<_, String>(counts)
    }
    .await;
    match outcome {
        Ok(counts) => {
            let total: usize = counts.iter().sum();
            let split = counts.iter().all(|&n| n > 0);
            report.row(
                "shared subscription",
                if total == 6 && split { Verdict::Yes } else { Verdict::No },
                format!("6 messages to $share/g/p9/shared with 2 members: received {counts:?}"),
            );
        }
        Err(e) => report.row("shared subscription", Verdict::Unknown, e),
    }
}
