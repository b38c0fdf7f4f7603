//! Delayed wills: the will delay interval, and the ways a client can leave
//! (crash, crash then resume, crash then clean start, normal DISCONNECT).

use std::time::{Duration, Instant};

use rumqttc::v5::mqttbytes::v5::{LastWill, LastWillProperties};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::MqttOptions;
use tokio::time::sleep;

use crate::peer::{connect, options};
use crate::report::{Report, Verdict};
use crate::Ports;

/// The will delay interval the will probes ask for.
const WILL_DELAY_S: u32 = 5;
/// A will that has not come by then is not coming.
const WILL_WAIT: Duration = Duration::from_secs(10);
/// When the will client comes back, in the reconnect cases.
const BACK_AFTER: Duration = Duration::from_secs(1);

/// How a will client leaves.
#[derive(Debug, Clone, Copy)]
enum Exit {
    /// Socket closed without DISCONNECT.
    Crash,
    /// Crash, then back after [`BACK_AFTER`] with the same id and clean start 0.
    CrashThenResume,
    /// Crash, then back after [`BACK_AFTER`] with the same id and clean start 1.
    CrashThenCleanStart,
    /// DISCONNECT with reason 0 (normal disconnection).
    Disconnect,
}

fn will_options(id: &str, port: u16, topic: &str, session_expiry: Option<u32>) -> MqttOptions {
    let mut o = options(id, port);
    let properties = LastWillProperties {
        delay_interval: Some(WILL_DELAY_S),
        payload_format_indicator: None,
        message_expiry_interval: None,
        content_type: None,
        response_topic: None,
        correlation_data: None,
        user_properties: Vec::new(),
    };
    o.set_last_will(LastWill::new(topic, "will", QoS::AtLeastOnce, false, Some(properties)))
        .set_session_expiry_interval(session_expiry);
    o
}

/// When (after the exit) the will reached an observer, if it did within
/// [`WILL_WAIT`].
async fn will_case(port: u16, name: &str, session_expiry: Option<u32>, exit: Exit) -> Result<Option<Duration>, String> {
    let topic = format!("p3/{name}");
    let id = format!("p3-{name}");
    let mut observer = connect(options(&format!("p3-{name}-observer"), port)).await?;
    observer.subscribe(&topic).await?;
    let client = connect(will_options(&id, port, &topic, session_expiry)).await?;

    match exit {
        Exit::Disconnect => client.disconnect().await,
        _ => client.kill().await,
    }
    let exited = Instant::now();
    let mut back = None;
    if let Exit::CrashThenResume | Exit::CrashThenCleanStart = exit {
        sleep(BACK_AFTER).await;
        let mut o = options(&id, port);
        o.set_clean_start(matches!(exit, Exit::CrashThenCleanStart))
            .set_session_expiry_interval(Some(60));
        back = Some(connect(o).await?);
    }
    let left = WILL_WAIT.saturating_sub(exited.elapsed());
    let arrived = observer.wait_for("will", left).await;
    if let Some(peer) = back {
        peer.disconnect().await;
    }
    observer.kill().await;
    Ok(arrived.map(|at| at.duration_since(exited)))
}

fn after(arrival: &Result<Option<Duration>, String>) -> String {
    match arrival {
        Ok(Some(t)) => format!("will arrived {:.2} s after", t.as_secs_f64()),
        Ok(None) => format!("no will within {} s of", WILL_WAIT.as_secs()),
        Err(e) => format!("probe failed ({e});"),
    }
}

/// Arrival within `window` (seconds after the exit) is what MQTT 5 asks.
fn judge(arrival: &Result<Option<Duration>, String>, window: Option<(f64, f64)>) -> Verdict {
    match (arrival, window) {
        (Err(_), _) => Verdict::Unknown,
        (Ok(None), None) => Verdict::Yes,
        (Ok(Some(t)), Some((from, to))) if (from..=to).contains(&t.as_secs_f64()) => Verdict::Yes,
        _ => Verdict::No,
    }
}

/// 3. Will delay interval, with the ways a client can leave.
pub(crate) async fn wills(ports: Ports, report: &mut Report) {
    let port = ports.v5;
    let d = f64::from(WILL_DELAY_S);
    let back = BACK_AFTER.as_secs_f64();
    let (delayed, no_session, resumed, clean, normal) = tokio::join!(
        will_case(port, "delayed", Some(60), Exit::Crash),
        will_case(port, "nosession", None, Exit::Crash),
        will_case(port, "resumed", Some(60), Exit::CrashThenResume),
        will_case(port, "cleanstart", Some(60), Exit::CrashThenCleanStart),
        will_case(port, "normal", Some(60), Exit::Disconnect),
    );
    report.row(
        "will delay interval",
        judge(&delayed, Some((d - 0.5, d + 2.0))),
        format!(
            "will delay {WILL_DELAY_S} s, session expiry 60 s: {} the socket was closed (MQTT 5: ~{WILL_DELAY_S} s)",
            after(&delayed)
        ),
    );
    report.row(
        "will delay, session expiry 0",
        judge(&no_session, Some((0.0, 1.0))),
        format!(
            "will delay {WILL_DELAY_S} s, no session expiry: {} the socket was closed \
             (MQTT 5: at once, the session ends first)",
            after(&no_session)
        ),
    );
    report.row(
        "will suppressed on resume",
        judge(&resumed, None),
        format!(
            "crash, back after {back:.0} s with clean start 0: {} the crash (MQTT 5: never)",
            after(&resumed)
        ),
    );
    report.row(
        "will on clean-start takeover",
        judge(&clean, Some((back - 0.2, back + 1.0))),
        format!(
            "crash, back after {back:.0} s with clean start 1: {} the crash \
             (MQTT 5: when the new connection ends the session, ~{back:.0} s)",
            after(&clean)
        ),
    );
    report.row(
        "no will after DISCONNECT 0x00",
        judge(&normal, None),
        format!("normal DISCONNECT: {} it (MQTT 5: never)", after(&normal)),
    );
}
