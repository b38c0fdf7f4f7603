//! Message expiry: retained messages, and messages queued for an offline
//! session; whether the remaining interval is forwarded.

use std::time::Duration;

use rumqttc::v5::mqttbytes::v5::PublishProperties;
use rumqttc::v5::mqttbytes::QoS;
use tokio::time::sleep;

use crate::peer::{connect, options, Received, QUIET};
use crate::report::{Report, Verdict};
use crate::Ports;

fn expiring(seconds: u32) -> Option<PublishProperties> {
    Some(PublishProperties {
        message_expiry_interval: Some(seconds),
        ..PublishProperties::default()
    })
}

/// The message expiry interval a received message carries, as words.
fn expiry_of(got: &Received, payload: &str) -> String {
    match got.find(payload) {
        None => format!("{payload}: not delivered"),
        Some(p) => {
            let expiry = p.properties.as_ref().and_then(|p| p.message_expiry_interval);
            match expiry {
                Some(s) => format!("{payload}: delivered, expiry {s} s"),
                None => format!("{payload}: delivered, no expiry property"),
            }
        }
    }
}

/// Whether `payload` was delivered with a remaining expiry below `sent`.
fn counted_down(got: &Received, payload: &str, sent: u32) -> bool {
    got.find(payload)
        .and_then(|p| p.properties.as_ref()?.message_expiry_interval)
        .is_some_and(|s| s < sent)
}

/// What subscribers got 4 s after the expiring messages were published.
struct Expiry {
    /// A new subscriber to `p4/+` (one read of the retained store).
    retained: Received,
    /// A new subscriber to `p4x/kept` after three other SUBSCRIBEs.
    reread: Received,
    /// The offline session, back.
    queued: Received,
}

/// Publishes the expiring messages, waits 4 s, and collects.
async fn expiring_messages(port: u16) -> Result<Expiry, String> {
    let mut publisher = connect(options("p4-publisher", port)).await?;
    let mut offline = options("p4-offline", port);
    offline.set_clean_start(false).set_session_expiry_interval(Some(60));
    let mut sub = connect(offline.clone()).await?;
    sub.subscribe("p4/queued").await?;
    sub.disconnect().await;
    let sends = [
        ("p4/short", true, "retained-2s", 2),
        ("p4/long", true, "retained-10s", 10),
        ("p4x/kept", true, "retained-10s-b", 10),
        ("p4/queued", false, "queued-2s", 2),
        ("p4/queued", false, "queued-30s", 30),
    ];
    for (topic, retain, payload, expiry) in sends {
        publisher
            .publish(topic, QoS::AtLeastOnce, retain, payload, expiring(expiry))
            .await?;
    }
    publisher.disconnect().await;
    sleep(Duration::from_secs(4)).await;

    let mut late = connect(options("p4-late", port)).await?;
    late.subscribe("p4/+").await?;
    let retained = late.publishes(QUIET).await;
    for other in ["p4x/other/1", "p4x/other/2"] {
        late.subscribe(other).await?;
    }
    late.subscribe("p4x/kept").await?;
    let reread = late.publishes(QUIET).await;
    late.kill().await;

    let mut back = connect(offline).await?;
    let queued = back.publishes(QUIET).await;
    back.kill().await;
    Ok(Expiry {
        retained,
        reread,
        queued,
    })
}

/// 4. Message expiry: retained, and queued for an offline session.
pub(crate) async fn message_expiry(ports: Ports, report: &mut Report) {
    let Expiry {
        retained,
        reread,
        queued,
    } = match expiring_messages(ports.v5).await {
        Ok(got) => got,
        Err(e) => {
            report.row("message expiry interval", Verdict::Unknown, e);
            return;
        }
    };
    report.row(
        "message expiry (retained)",
        if retained.find("retained-2s").is_none() {
            Verdict::Yes
        } else {
            Verdict::No
        },
        format!(
            "retained with expiry 2 s and 10 s, new subscriber to p4/+ 4 s later: {}; {}",
            expiry_of(&retained, "retained-2s"),
            expiry_of(&retained, "retained-10s")
        ),
    );
    report.row(
        "message expiry (queued offline)",
        if queued.find("queued-2s").is_none() {
            Verdict::Yes
        } else {
            Verdict::No
        },
        format!(
            "QoS 1 to an offline session with expiry 2 s and 30 s, back ~5.5 s later: {}; {}",
            expiry_of(&queued, "queued-2s"),
            expiry_of(&queued, "queued-30s")
        ),
    );
    let retained_down = counted_down(&retained, "retained-10s", 10);
    let queued_down = counted_down(&queued, "queued-30s", 30);
    report.row(
        "remaining expiry forwarded",
        match (retained_down, queued_down) {
            (true, true) => Verdict::Yes,
            (false, false) => Verdict::No,
            _ => Verdict::Partly,
        },
        format!(
            "counted down on retained: {}, on queued: {} (MQTT 5: the interval minus the time held)",
            yes_no(retained_down),
            yes_no(queued_down)
        ),
    );
    let kept = reread.find("retained-10s-b").is_some();
    report.row(
        "retained expiry, several subscribes",
        if kept { Verdict::Yes } else { Verdict::No },
        format!(
            "another retained message with expiry 10 s, subscribed to 4 s later, after 3 other \
             SUBSCRIBEs (p4/+, 2 unrelated topics) meanwhile: {} (MQTT 5: delivered, expiry ~6 s)",
            expiry_of(&reread, "retained-10s-b")
        ),
    );
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}
