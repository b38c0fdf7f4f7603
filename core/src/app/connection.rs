//! The connection's events: connecting, losing it, acknowledgements.

use std::time::Duration;

use super::room::Delivery;
use super::{arrival, is_direct, Conn, Effect, NetEvent, Publish, Record, State, MAX_SEND_DROPS};
use crate::protocol::topics::TopicRef;
use crate::protocol::{display, payload, sanitize};
use crate::settings::Mode;

/// A publish's size on the wire, at most: fixed header, topic, packet id and
/// MQTT 5 properties (a message expiry) around the payload.
pub(super) fn packet_size(publish: &Publish) -> usize {
    publish.payload.len() + publish.topic.len() + 16
}

impl State {
    pub(super) fn on_net(&mut self, net: NetEvent, fx: &mut Vec<Effect>) {
        match net {
            NetEvent::Connected { session, link } => {
                // Text line mode says it in the connected notice.
                if matches!(self.settings.mode, Mode::Line { json: true }) {
                    fx.push(Effect::Print(Record::Connected {
                        server: link.server.clone(),
                        version: link.version,
                    }));
                }
                // A resumed session delivers what was sent while we were
                // away first: it goes under a marker of its own per room.
                self.caught_up_before = link.resumed.then_some(self.now);
                self.rooms.iter_mut().for_each(|r| r.connected());
                self.link = Some(link);
                self.on_connected(session, fx)
            }
            NetEvent::Subscribed { refused } => {
                if refused > 0 {
                    self.notice(format!("the broker refused {refused} subscription(s)"), fx);
                }
                if self.conn == (Conn::Connected { ready: false }) {
                    self.conn = Conn::Connected { ready: true };
                    self.presence_subscribed();
                    self.keys_on_their_way();
                    let how = if self.connected_once {
                        "reconnected"
                    } else {
                        "connected"
                    };
                    self.connected_once = true;
                    let room = self
                        .active_room()
                        .map(|r| format!(", in {}", super::history::shown_room(&r.name)))
                        .unwrap_or_default();
                    let (server, version) = match &self.link {
                        Some(link) => (link.server.clone(), format!(" (MQTT {})", link.version)),
                        None => (self.settings.address(), String::new()),
                    };
                    let down = if how == "reconnected" {
                        self.outage_over()
                    } else {
                        String::new()
                    };
                    let text = format!("{how} to {server} as {}{room}{version}{down}", self.me());
                    self.notice(text, fx);
                    self.ask_keepers(fx);
                }
            }
            NetEvent::ConnectFailed {
                server,
                reason,
                retry_in,
                fatal,
                more_to_try,
            } => {
                if fatal || (!self.connected_once && !more_to_try) {
                    self.report_unsent(fx);
                    fx.push(Effect::Fail(format!("cannot connect to {server}: {reason}")));
                    return;
                }
                if !self.connected_once {
                    self.notice(
                        format!("cannot connect to {server}: {reason}; trying the next server"),
                        fx,
                    );
                    return;
                }
                self.lost_connection(format!("cannot reach {server}: {reason}"), retry_in, fx);
            }
            NetEvent::Disconnected {
                server,
                reason,
                retry_in,
            } => {
                // With one broker, which one is no news.
                let text = if self.settings.more_servers.is_empty() {
                    format!("connection lost: {reason}")
                } else {
                    format!("connection to {server} lost: {reason}")
                };
                self.lost_connection(text, retry_in, fx);
            }
            NetEvent::Message {
                topic,
                payload,
                retained,
            } => arrival::handle(self, &topic, &payload, retained, fx),
            NetEvent::Acked(tag) => self.on_acked(tag, fx),
            NetEvent::Refused { tag, reason } => {
                // A refused `offline` while quitting: nothing more to wait for.
                if self.quit_acked(tag, fx) {
                    return;
                }
                if let Some(publish) = self.outbox.acked(tag) {
                    self.not_delivered_publish(&publish, &reason, fx);
                    self.quit_progress();
                }
                self.flush_outbox(fx);
                self.quit_step(fx);
            }
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
            (self.topics.history_reply(self.me()), 1),
        ];
        topics.extend(
            self.rooms
                .iter()
                .filter(|r| !is_direct(&r.name))
                .map(|r| (self.topics.chat(&r.name), qos)),
        );
        // Each room's topic: retained, so it arrives on subscribing.
        topics.extend(
            self.rooms
                .iter()
                .filter(|r| !is_direct(&r.name))
                .map(|r| (self.topics.room_topic(&r.name), 1)),
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
        self.say_outage(&text, retry_in, fx);
        fx.push(Effect::Ticking(true));
    }

    /// Hands what waits in the outbox to the network, except what the
    /// broker said it would not take (larger than its maximum packet size):
    /// that is refused here, before it is sent.
    pub(super) fn flush_outbox(&mut self, fx: &mut Vec<Effect>) {
        if !matches!(self.conn, Conn::Connected { .. }) {
            return;
        }
        let limit = self.link.as_ref().and_then(|l| l.max_packet).map(|m| m as usize);
        // A refusal frees a place in the window: take again until none is refused.
        loop {
            let mut refused = false;
            for publish in self.outbox.take_ready() {
                let size = packet_size(&publish);
                match limit {
                    Some(limit) if size > limit => {
                        let why = format!(
                            "too large for this broker: {} > {}",
                            display::human_size(size),
                            display::human_size(limit)
                        );
                        self.outbox.acked(publish.tag);
                        self.not_delivered_publish(&publish, &why, fx);
                        refused = true;
                    }
                    _ => fx.push(Effect::Publish(publish)),
                }
            }
            if !refused {
                return;
            }
        }
    }

    /// A message that cannot be sent: marked failed with the reason, and said.
    pub(super) fn give_up(&mut self, publish: Publish, fx: &mut Vec<Effect>) {
        let why = format!(
            "the connection dropped each of the {MAX_SEND_DROPS} times it was sent \
             (the broker may refuse it, e.g. as too large)"
        );
        self.not_delivered_publish(&publish, &why, fx);
    }

    /// Our message will never be delivered, for `why`: marked failed, said
    /// (and in line mode printed as a record), counted for the exit status.
    fn not_delivered_publish(&mut self, publish: &Publish, why: &str, fx: &mut Vec<Effect>) {
        let chat = payload::decode_chat(&publish.payload);
        let room = match self.topics.parse(&publish.topic) {
            TopicRef::Direct(user) => format!("@{user}"),
            TopicRef::Chat(room) => room.to_owned(),
            _ => publish.topic.clone(),
        };
        self.undelivered += 1;
        self.mark_failed(publish.tag, why);
        self.say_not_delivered(room, chat.id.unwrap_or_default(), chat.text, why, fx);
    }

    fn say_not_delivered(&mut self, room: String, id: String, text: String, why: &str, fx: &mut Vec<Effect>) {
        let preview: String = sanitize::text(&text, sanitize::Newlines::Mark)
            .chars()
            .take(40)
            .collect();
        self.notice(format!("message \"{preview}\" not sent: {why}"), fx);
        if matches!(self.settings.mode, Mode::Line { json: true }) {
            fx.push(Effect::Print(Record::NotSent {
                room,
                id,
                text,
                reason: why.to_owned(),
            }));
        }
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
        if let Some(publish) = self.outbox.acked(tag) {
            for room in &mut self.rooms {
                if let Some(m) = room.own_message_mut(tag) {
                    m.own = Some(Delivery::Sent);
                    break;
                }
            }
            self.keep_sent(&publish, fx);
            self.quit_progress();
        }
        self.flush_outbox(fx);
        self.quit_step(fx);
    }
}

impl State {
    /// One of our messages reached the broker: into the history it goes
    /// (line mode keeps no scrollback to take it from, so the payload says it).
    fn keep_sent(&mut self, publish: &Publish, fx: &mut Vec<Effect>) {
        if !self.settings.store_history {
            return;
        }
        let room = match self.topics.parse(&publish.topic) {
            TopicRef::Chat(room) => room.to_owned(),
            TopicRef::Direct(user) => format!("@{user}"),
            _ => return,
        };
        let mut chat = payload::decode_chat(&publish.payload);
        // A sealed direct message is sealed to us too: our history keeps its text.
        let sealed = match chat.enc.take() {
            Some(enc) => match self.open_direct(&enc) {
                Ok(text) => {
                    chat.text = text;
                    true
                }
                Err(_) => return,
            },
            None => false,
        };
        let (Some(id), Some(time)) = (chat.id, chat.ts) else {
            return;
        };
        let forgotten = self.rooms.iter().find(|r| r.name == room).and_then(|r| r.forgotten_at);
        if forgotten.is_some_and(|at| time <= at) {
            return;
        }
        fx.push(Effect::Store(crate::app::Kept {
            room,
            id,
            user: chat.user,
            text: chat.text,
            action: chat.kind == crate::protocol::Kind::Action,
            time,
            own: true,
            mark: None,
            sealed,
        }));
    }
}
