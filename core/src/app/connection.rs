//! The connection's events: connecting, losing it, acknowledgements.

use std::time::Duration;

use super::room::Delivery;
use super::{arrival, is_direct, Conn, Effect, NetEvent, Publish, State, MAX_SEND_DROPS};
use crate::protocol::payload;

impl State {
    pub(super) fn on_net(&mut self, net: NetEvent, fx: &mut Vec<Effect>) {
        match net {
            NetEvent::Connected { session } => self.on_connected(session, fx),
            NetEvent::Subscribed { refused } => {
                if refused > 0 {
                    self.notice(format!("the broker refused {refused} subscription(s)"), fx);
                }
                if self.conn == (Conn::Connected { ready: false }) {
                    self.conn = Conn::Connected { ready: true };
                    self.presence_subscribed();
                    let how = if self.connected_once {
                        "reconnected"
                    } else {
                        "connected"
                    };
                    self.connected_once = true;
                    let room = self
                        .active_room()
                        .map(|r| format!(", in #{}", r.name))
                        .unwrap_or_default();
                    let text = format!("{how} to {} as {}{room}", self.settings.address(), self.me());
                    self.notice(text, fx);
                }
            }
            NetEvent::ConnectFailed {
                reason,
                retry_in,
                fatal,
            } => {
                let address = self.settings.address();
                if fatal || !self.connected_once {
                    self.report_unsent(fx);
                    fx.push(Effect::Fail(format!("cannot connect to {address}: {reason}")));
                    return;
                }
                self.lost_connection(format!("cannot reach {address}: {reason}"), retry_in, fx);
            }
            NetEvent::Disconnected { reason, retry_in } => {
                self.lost_connection(format!("connection lost: {reason}"), retry_in, fx);
            }
            NetEvent::Message {
                topic,
                payload,
                retained,
            } => arrival::handle(self, &topic, &payload, retained, fx),
            NetEvent::Acked(tag) => self.on_acked(tag, fx),
            NetEvent::Closed => self.quit_closed(fx),
        }
    }

    pub(super) fn on_connected(&mut self, session: String, fx: &mut Vec<Effect>) {
        self.conn = Conn::Connected { ready: false };
        self.session = Some(session);
        fx.push(Effect::Ticking(false));
        self.presence_connected();
        // Online first: the retained status we then receive is our own fresh
        // one (and its coming back tells that wildcards get retained messages).
        self.publish_own_presence(fx);
        let qos = self.settings.qos;
        // Heartbeats first: a retained will then finds its session's last
        // heartbeat already known, and its "last seen" is right at once.
        let mut topics = vec![
            (self.topics.alive_all(), 0),
            (self.topics.presence_all(), 1),
            (self.topics.roll_call_all(), 0),
            (self.topics.answers_to(self.me()), 1),
            (self.topics.direct(self.me()), 1),
        ];
        topics.extend(
            self.rooms
                .iter()
                .filter(|r| !is_direct(&r.name))
                .map(|r| (self.topics.chat(&r.name), qos)),
        );
        fx.push(Effect::Subscribe(topics));
        self.flush_outbox(fx);
        self.quit_step(fx);
    }

    pub(super) fn lost_connection(&mut self, text: String, retry_in: Duration, fx: &mut Vec<Effect>) {
        let at = self.now + chrono::Duration::from_std(retry_in).unwrap_or_default();
        let was_connected = matches!(self.conn, Conn::Connected { .. });
        self.conn = Conn::Reconnecting {
            at,
            reason: text.clone(),
        };
        self.session = None;
        self.presence_lost();
        if let Some(given_up) = self.outbox.requeue_in_flight(MAX_SEND_DROPS) {
            self.give_up(given_up, fx);
        }
        if self.is_quitting() {
            // Retried every half second while quitting: the quitting notice
            // said what is waited for, and the status bar says the rest.
            self.quit_lost_connection(was_connected, fx);
            return;
        }
        self.notice(format!("{text}; reconnecting in {}", seconds(retry_in)), fx);
        fx.push(Effect::Ticking(true));
    }

    pub(super) fn flush_outbox(&mut self, fx: &mut Vec<Effect>) {
        if matches!(self.conn, Conn::Connected { .. }) {
            fx.extend(self.outbox.take_ready().into_iter().map(Effect::Publish));
        }
    }

    /// A message that cannot be sent: marked failed with the reason, and said.
    pub(super) fn give_up(&mut self, publish: Publish, fx: &mut Vec<Effect>) {
        let why = format!(
            "the connection dropped each of the {MAX_SEND_DROPS} times it was sent \
             (the broker may refuse it, e.g. as too large)"
        );
        self.mark_failed(publish.tag, &why);
        let text = payload::decode_chat(&publish.payload).text;
        let preview: String = crate::protocol::sanitize::text(&text, crate::protocol::sanitize::Newlines::Mark)
            .chars()
            .take(40)
            .collect();
        self.notice(format!("message \"{preview}\" not sent: {why}"), fx);
    }

    /// Marks our own message with this tag as not sent, with the reason.
    pub(super) fn mark_failed(&mut self, tag: u64, why: &str) {
        for room in &mut self.rooms {
            if let Some(m) = room.own_message_mut(tag) {
                m.own = Some(Delivery::Failed(why.to_owned()));
                break;
            }
        }
    }

    pub(super) fn on_acked(&mut self, tag: u64, fx: &mut Vec<Effect>) {
        if self.quit_acked(tag, fx) {
            return;
        }
        if self.outbox.acked(tag).is_some() {
            for room in &mut self.rooms {
                if let Some(m) = room.own_message_mut(tag) {
                    m.own = Some(Delivery::Sent);
                    break;
                }
            }
            self.quit_progress();
        }
        self.flush_outbox(fx);
        self.quit_step(fx);
    }
}

fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs_f64().ceil() as u64)
}
