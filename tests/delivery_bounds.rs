//! Issue 10 end to end: per-sender state is bounded. Direct messages from
//! 100 000 senders fit in 64 MiB, and the cap on conversations is said once.

use std::thread::sleep;
use std::time::{Duration, Instant};

use komunikator_testkit::report::head;
use komunikator_testkit::{chat_payload, memory_kib, with_each_broker, Komunikator, RawPublisher, WAIT};

/// The bound on the client's memory (VmRSS and VmHWM) under floods and stalls.
const MEMORY_BOUND_KIB: u64 = 64 * 1024;

// Bounded per-sender state.

#[test]
fn direct_messages_from_100k_senders_fit_in_64_mib_and_the_cap_is_said_once() {
    const SENDERS: usize = 100_000;
    const CHUNK: usize = 2_000;
    // Far above the bound: past it the test stops the client before it takes the machine's memory.
    const WATCHDOG_KIB: u64 = 512 * 1024;
    let sender = |i: usize| format!("s{i:06}");
    with_each_broker("dm_senders", |broker| {
        let mut alice = Komunikator::join(broker, "alice", &[]);
        let pid = alice.pid();
        let mut raw = RawPublisher::connect(broker, "dm-flood");
        raw.publish("dm/alice", chat_payload("bob", "before the flood").as_bytes(), false);
        alice.stdout.wait_for("with bob's first message", WAIT, |l| {
            l.ends_with(" @bob <bob> before the flood")
        });

        let started = Instant::now();
        let mut cursor = 0;
        let mut peak_rss_kib = 0;
        // Waits until `who`'s message is shown, watching memory meanwhile.
        let mut wait_shown = |alice: &mut Komunikator, who: &str| {
            let suffix = format!(" @{who} <{who}> hi");
            let deadline = Instant::now() + WAIT;
            loop {
                let seen = alice.stdout.seen();
                if let Some(at) = seen[cursor..].iter().position(|l| l.ends_with(&suffix)) {
                    cursor += at + 1;
                    return;
                }
                cursor = seen.len();
                let rss = memory_kib(pid, "VmRSS");
                peak_rss_kib = u64::max(peak_rss_kib, rss);
                assert!(
                    rss < WATCHDOG_KIB,
                    "VmRSS {rss} KiB before {who}'s message was shown ({:?} into the flood): stopped",
                    started.elapsed()
                );
                assert!(
                    Instant::now() < deadline,
                    "{who}'s message was not shown within {WAIT:?}"
                );
                sleep(Duration::from_millis(50));
            }
        };
        // Paced a chunk ahead of what is shown, so the watchdog sees memory grow.
        for chunk in 0..SENDERS / CHUNK {
            let from = chunk * CHUNK;
            raw.publish_all(
                (from..from + CHUNK)
                    .map(|i| RawPublisher::packet("dm/alice", chat_payload(&sender(i), "hi").as_bytes(), false)),
            );
            if chunk > 0 {
                wait_shown(&mut alice, &sender(from - 1));
            }
        }
        wait_shown(&mut alice, &sender(SENDERS - 1));
        raw.publish("dm/alice", chat_payload("bob", "after the flood").as_bytes(), false);
        raw.finish();
        alice.stdout.wait_for("with bob's message after the flood", WAIT, |l| {
            l.ends_with(" @bob <bob> after the flood")
        });
        let hwm = memory_kib(pid, "VmHWM");
        eprintln!(
            "{SENDERS} direct-message senders in {:?}: VmHWM {hwm} KiB, peak VmRSS sampled {peak_rss_kib} KiB \
             (bound {MEMORY_BOUND_KIB} KiB)",
            started.elapsed()
        );
        let done = alice.quit();
        assert!(hwm < MEMORY_BOUND_KIB, "VmHWM {hwm} KiB, bound {MEMORY_BOUND_KIB} KiB");
        let notices: Vec<&String> = done
            .stderr
            .iter()
            .filter(|l| l.contains("too many direct conversations"))
            .collect();
        assert_eq!(
            notices,
            ["komunikator: too many direct conversations (100): the least recently active are closed"],
            "the cap must be said exactly once; stderr begins:\n{}",
            head(&done.stderr, 20)
        );
    });
}
