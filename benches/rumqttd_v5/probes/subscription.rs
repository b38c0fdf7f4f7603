//! Subscription options: no local, retain handling 0/1/2, retain as
//! published.

use rumqttc::v5::mqttbytes::v5::{Filter, RetainForwardRule};
use rumqttc::v5::mqttbytes::QoS;

use crate::peer::{connect, filter, must_connect, options as opts, QUIET};
use crate::report::{Report, Verdict};
use crate::Ports;

/// No local: a subscriber does not get its own publishes back.
pub(crate) async fn no_local(ports: Ports, report: &mut Report) {
    let outcome = async {
        let mut own = connect(opts("p7-nolocal", ports.v5)).await?;
        let mut other = connect(opts("p7-nolocal-control", ports.v5)).await?;
        own.subscribe_with(
            Filter {
                nolocal: true,
                ..filter("p7/nolocal")
            },
            None,
        )
        .await?;
        other.subscribe("p7/nolocal").await?;
        own.publish("p7/nolocal", QoS::AtLeastOnce, false, "own", None).await?;
        let got_own = own.publishes(QUIET).await.find("own").is_some();
        let got_other = other.publishes(QUIET).await.find("own").is_some();
        own.kill().await;
        other.kill().await;
        Ok::<_, String>((got_own, got_other))
    }
    .await;
    match outcome {
        Ok((got_own, got_other)) => report.row(
            "no local",
            if got_own { Verdict::No } else { Verdict::Yes },
            format!(
                "subscribed with no local, published on it: got its own message back: {}; \
                 another subscriber got it: {}",
                if got_own { "YES" } else { "no" },
                if got_other { "yes" } else { "NO" }
            ),
        ),
        Err(e) => report.row("no local", Verdict::Unknown, e),
    }
}

/// Subscribe, then subscribe again to the same filter: whether the retained
/// message came each time, and its retain flag the first time.
async fn retained_on_subscribe(port: u16, name: &str, rule: RetainForwardRule) -> Result<(Option<bool>, bool), String> {
    let topic = format!("p7/{name}");
    let mut sub = connect(opts(&format!("p7-{name}"), port)).await?;
    let options = Filter {
        retain_forward_rule: rule,
        ..filter(&topic)
    };
    sub.subscribe_with(options.clone(), None).await?;
    let first = sub.publishes(QUIET).await;
    let first = first.find("kept").map(|p| p.retain);
    sub.subscribe_with(options, None).await?;
    let again = sub.publishes(QUIET).await.find("kept").is_some();
    sub.kill().await;
    Ok((first, again))
}

/// Retain handling 0, 1 and 2.
pub(crate) async fn retain_handling(ports: Ports, report: &mut Report) {
    let mut publisher = must_connect(opts("p7-rh-publisher", ports.v5)).await;
    let cases = [
        (
            "rh0",
            RetainForwardRule::OnEverySubscribe,
            "0 (send on every subscribe)",
            (true, true),
        ),
        (
            "rh1",
            RetainForwardRule::OnNewSubscribe,
            "1 (send on new subscription only)",
            (true, false),
        ),
        ("rh2", RetainForwardRule::Never, "2 (never send)", (false, false)),
    ];
    for (name, rule, label, (want_first, want_again)) in cases {
        let topic = format!("p7/{name}");
        let outcome = async {
            publisher.publish(&topic, QoS::AtLeastOnce, true, "kept", None).await?;
            retained_on_subscribe(ports.v5, name, rule).await
        }
        .await;
        let feature = format!("retain handling {}", &label[..1]);
        match outcome {
            Ok((first, again)) => {
                let right = first.is_some() == want_first && again == want_again;
                let flag = match first {
                    Some(retain) => format!("retained message sent (retain flag {})", u8::from(retain)),
                    None => "retained message not sent".to_owned(),
                };
                report.row(
                    &feature,
                    if right { Verdict::Yes } else { Verdict::No },
                    format!(
                        "retain handling {label}: first subscribe: {flag}; same subscribe again: {} \
                         (MQTT 5: {}, {})",
                        if again { "sent again" } else { "not sent" },
                        if want_first { "sent" } else { "not sent" },
                        if want_again { "sent again" } else { "not sent" },
                    ),
                );
            }
            Err(e) => report.row(&feature, Verdict::Unknown, e),
        }
    }
    publisher.disconnect().await;
}

/// Retain as published: the retain flag of a live retained publish.
pub(crate) async fn retain_as_published(ports: Ports, report: &mut Report) {
    let outcome = async {
        let mut rap = connect(opts("p7-rap1", ports.v5)).await?;
        let mut plain = connect(opts("p7-rap0", ports.v5)).await?;
        let mut publisher = connect(opts("p7-rap-publisher", ports.v5)).await?;
        rap.subscribe_with(
            Filter {
                preserve_retain: true,
                ..filter("p7/rap")
            },
            None,
        )
        .await?;
        plain.subscribe("p7/rap").await?;
        publisher
            .publish("p7/rap", QoS::AtLeastOnce, true, "live", None)
            .await?;
        let with = rap.publishes(QUIET).await.find("live").map(|p| p.retain);
        let without = plain.publishes(QUIET).await.find("live").map(|p| p.retain);
        for peer in [rap, plain, publisher] {
            peer.kill().await;
        }
        Ok::<_, String>((with, without))
    }
    .await;
    let flag = |f: Option<bool>| match f {
        Some(r) => format!("retain flag {}", u8::from(r)),
        None => "not delivered".to_owned(),
    };
    match outcome {
        Ok((with, without)) => report.row(
            "retain as published",
            if with == Some(true) && without == Some(false) {
                Verdict::Yes
            } else {
                Verdict::No
            },
            format!(
                "live retained publish: to a subscriber with retain as published: {} (MQTT 5: 1); \
                 without: {} (MQTT 5: 0)",
                flag(with),
                flag(without)
            ),
        ),
        Err(e) => report.row("retain as published", Verdict::Unknown, e),
    }
}
