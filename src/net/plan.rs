//! Which broker to try next, and at which MQTT version: the servers in
//! order (`-s a,b`), moving on after a failed attempt, and MQTT 5 first
//! with `--mqtt auto`, falling back to 3.1.1 at once where a broker refuses
//! it, remembered per broker for the rest of the run.

use crate::settings::{MqttVersion, Server, Spoken};

pub(super) struct Plan {
    servers: Vec<Server>,
    asked: MqttVersion,
    /// The server of the current (or next) attempt.
    at: usize,
    /// Per server, the version it accepted (auto only).
    known: Vec<Option<Spoken>>,
    /// The current attempt is auto's 3.1.1 retry after MQTT 5 was refused.
    falling_back: bool,
    /// Failed attempts since the last connection, for the first round.
    failures: usize,
    ever_connected: bool,
}

/// What to do after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Retry {
    /// The same broker at 3.1.1, at once: it refused MQTT 5.
    FallBack,
    /// After the backoff delay, at [`Plan::current`].
    Later,
}

impl Plan {
    pub(super) fn new(servers: Vec<Server>, asked: MqttVersion) -> Self {
        assert!(!servers.is_empty(), "at least one server");
        Plan {
            known: vec![None; servers.len()],
            servers,
            asked,
            at: 0,
            falling_back: false,
            failures: 0,
            ever_connected: false,
        }
    }

    /// The broker and version of the next attempt.
    pub(super) fn current(&self) -> (&Server, Spoken) {
        let version = if self.falling_back {
            Spoken::V311
        } else {
            match (self.asked, self.known[self.at]) {
                (MqttVersion::V311, _) => Spoken::V311,
                (MqttVersion::V5, _) => Spoken::V5,
                (MqttVersion::Auto, known) => known.unwrap_or(Spoken::V5),
            }
        };
        (&self.servers[self.at], version)
    }

    /// The attempt succeeded: its version is this broker's from now on.
    pub(super) fn connected(&mut self) {
        let (_, version) = self.current();
        self.known[self.at] = Some(version);
        self.falling_back = false;
        self.failures = 0;
        self.ever_connected = true;
    }

    /// An attempt failed (`was_up`: a connection that was up ended).
    /// `may_refuse_v5`: the failure looks like a broker that does not speak 5.
    pub(super) fn failed(&mut self, was_up: bool, may_refuse_v5: bool) -> Retry {
        let (_, version) = self.current();
        let unproven = self.known[self.at] != Some(Spoken::V5);
        if self.asked == MqttVersion::Auto && version == Spoken::V5 && unproven && !was_up && may_refuse_v5 {
            self.falling_back = true;
            return Retry::FallBack;
        }
        // A failed fallback proves nothing: MQTT 5 is tried again next time.
        self.falling_back = false;
        if !was_up {
            self.failures += 1;
            self.at = (self.at + 1) % self.servers.len();
        }
        Retry::Later
    }

    /// Before the first connection: some broker of the list is still untried.
    pub(super) fn more_to_try(&self) -> bool {
        !self.ever_connected && self.failures < self.servers.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn servers(n: u16) -> Vec<Server> {
        (0..n)
            .map(|i| Server {
                host: "127.0.0.1".into(),
                port: 1883 + i,
            })
            .collect()
    }

    #[test]
    fn auto_falls_back_at_once_and_remembers_per_broker() {
        let mut plan = Plan::new(servers(2), MqttVersion::Auto);
        assert_eq!(plan.current().1, Spoken::V5);
        assert_eq!(plan.failed(false, true), Retry::FallBack);
        assert_eq!(plan.current(), (&servers(2)[0], Spoken::V311));
        plan.connected();
        // Lost later: the same broker again, still at 3.1.1.
        assert_eq!(plan.failed(true, true), Retry::Later);
        assert_eq!(plan.current(), (&servers(2)[0], Spoken::V311));
        // It is down: the next broker, which has not said anything yet.
        assert_eq!(plan.failed(false, false), Retry::Later);
        assert_eq!(plan.current(), (&servers(2)[1], Spoken::V5));
    }

    #[test]
    fn a_broker_that_spoke_5_is_not_given_up_on_for_a_hang_up() {
        let mut plan = Plan::new(servers(1), MqttVersion::Auto);
        plan.connected();
        assert_eq!(plan.failed(true, true), Retry::Later);
        assert_eq!(plan.failed(false, true), Retry::Later);
        assert_eq!(plan.current().1, Spoken::V5);
    }

    #[test]
    fn a_failed_fallback_tries_5_again_and_a_fixed_version_never_changes() {
        let mut plan = Plan::new(servers(1), MqttVersion::Auto);
        assert_eq!(plan.failed(false, true), Retry::FallBack);
        assert_eq!(plan.failed(false, false), Retry::Later);
        assert_eq!(plan.current().1, Spoken::V5);
        for asked in [MqttVersion::V5, MqttVersion::V311] {
            let mut plan = Plan::new(servers(1), asked);
            let first = plan.current().1;
            assert_eq!(plan.failed(false, true), Retry::Later);
            assert_eq!(plan.current().1, first);
        }
    }

    #[test]
    fn every_broker_is_tried_once_before_the_first_connection_gives_up() {
        let mut plan = Plan::new(servers(3), MqttVersion::V311);
        let mut tried = vec![plan.current().0.port];
        while plan.more_to_try() {
            plan.failed(false, false);
            tried.push(plan.current().0.port);
        }
        assert_eq!(tried, [1883, 1884, 1885, 1883]);
        plan.connected();
        plan.failed(true, false);
        assert!(!plan.more_to_try(), "after a connection, failures are retried for ever");
    }
}
