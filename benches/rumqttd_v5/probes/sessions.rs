//! Sessions: whether a session is kept, ended at disconnect, or expired, as
//! the session expiry interval asks.

use std::time::Duration;

use rumqttc::v5::mqttbytes::QoS;
use tokio::time::sleep;

use crate::peer::{connect, options, Received, QUIET};
use crate::report::{Report, Verdict};
use crate::Ports;

/// What a session gave back after a while offline.
struct Resumed {
    session_present: bool,
    got: Received,
}

/// Connect with clean start 0 and `expiry`, subscribe, DISCONNECT; three
/// QoS 1 messages while offline; back after `offline`.
async fn session_case(port: u16, name: &str, expiry: Option<u32>, offline: Duration) -> Result<Resumed, String> {
    let topic = format!("p5/{name}");
    let mut o = options(&format!("p5-{name}"), port);
    o.set_clean_start(false).set_session_expiry_interval(expiry);
    let mut first = connect(o.clone()).await?;
    first.subscribe(&topic).await?;
    first.disconnect().await;
    let mut publisher = connect(options(&format!("p5-{name}-publisher"), port)).await?;
    for m in ["m1", "m2", "m3"] {
        publisher.publish(&topic, QoS::AtLeastOnce, false, m, None).await?;
    }
    publisher.disconnect().await;
    sleep(offline).await;
    let mut back = connect(o).await?;
    let session_present = back.connack.session_present;
    let got = back.publishes(QUIET).await;
    back.kill().await;
    Ok(Resumed { session_present, got })
}

fn resumed_text(r: &Result<Resumed, String>) -> String {
    match r {
        Ok(r) => {
            let got = r.got.payloads();
            format!(
                "session present {}, missed messages delivered: {}",
                r.session_present,
                if got.is_empty() {
                    "none".to_owned()
                } else {
                    got.join(" ")
                }
            )
        }
        Err(e) => format!("probe failed: {e}"),
    }
}

/// Session kept: present and all three delivered. Session gone: neither.
fn judge_session(r: &Result<Resumed, String>, kept: bool) -> Verdict {
    match r {
        Err(_) => Verdict::Unknown,
        Ok(r) => {
            let all = r.got.publishes.len() == 3;
            let none = r.got.publishes.is_empty();
            match (kept, r.session_present, all, none) {
                (true, true, true, _) | (false, false, _, true) => Verdict::Yes,
                _ => Verdict::No,
            }
        }
    }
}

/// 5. Session expiry interval and persistent sessions.
pub(crate) async fn sessions(ports: Ports, report: &mut Report) {
    let port = ports.v5;
    let (kept, zero, expired) = tokio::join!(
        session_case(port, "kept", Some(60), Duration::from_millis(500)),
        session_case(port, "zero", None, Duration::from_millis(500)),
        session_case(port, "expired", Some(2), Duration::from_secs(4)),
    );
    report.row(
        "persistent session (expiry 60 s)",
        judge_session(&kept, true),
        format!("clean start 0, expiry 60 s, back after 0.5 s: {}", resumed_text(&kept)),
    );
    report.row(
        "session expiry 0 (absent)",
        judge_session(&zero, false),
        format!(
            "clean start 0, no expiry, back after 0.5 s: {} (MQTT 5: session ended at disconnect)",
            resumed_text(&zero)
        ),
    );
    report.row(
        "session expiry 2 s",
        judge_session(&expired, false),
        format!(
            "clean start 0, expiry 2 s, back after 4 s: {} (MQTT 5: session expired)",
            resumed_text(&expired)
        ),
    );
}
