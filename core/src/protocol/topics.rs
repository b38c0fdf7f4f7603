//! Topic layout (PROTOCOL.md, "Topics"), with the optional network prefix.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Topics {
    prefix: String,
}

/// What an incoming topic refers to, with the name taken from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicRef<'a> {
    Chat(&'a str),
    Presence(&'a str),
    Direct(&'a str),
    /// `presence/<user>/alive`: a heartbeat.
    Alive(&'a str),
    /// `presence/<user>/rollcall`: someone asks who is online.
    RollCall(&'a str),
    /// `presence/<from>/answer/<to>`: `from` answers `to`'s roll call.
    Answer {
        from: &'a str,
        to: &'a str,
    },
    /// `history/get/<room>`: someone asks a keeper for the room's history.
    HistoryRequest(&'a str),
    /// `history/reply/<user>`: a keeper answers `user`'s history requests.
    HistoryReply(&'a str),
    /// `topic/<room>`: the room's topic (retained).
    RoomTopic(&'a str),
    Other,
}

impl Topics {
    /// `prefix` such as `acme` or `acme/`; a trailing slash is implied.
    pub fn new(prefix: &str) -> Self {
        let trimmed = prefix.trim_end_matches('/');
        let prefix = if trimmed.is_empty() {
            String::new()
        } else {
            format!("{trimmed}/")
        };
        Topics { prefix }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn chat(&self, room: &str) -> String {
        format!("{}chat/{room}", self.prefix)
    }

    pub fn presence(&self, user: &str) -> String {
        format!("{}presence/{user}", self.prefix)
    }

    pub fn presence_all(&self) -> String {
        format!("{}presence/+", self.prefix)
    }

    pub fn alive(&self, user: &str) -> String {
        format!("{}presence/{user}/alive", self.prefix)
    }

    pub fn alive_all(&self) -> String {
        format!("{}presence/+/alive", self.prefix)
    }

    pub fn roll_call(&self, user: &str) -> String {
        format!("{}presence/{user}/rollcall", self.prefix)
    }

    pub fn roll_call_all(&self) -> String {
        format!("{}presence/+/rollcall", self.prefix)
    }

    /// Where `from` answers `to`'s roll call (under `from`'s own presence
    /// topics, so an ACL that lets users write only there allows it).
    pub fn answer(&self, from: &str, to: &str) -> String {
        format!("{}presence/{from}/answer/{to}", self.prefix)
    }

    /// Every answer to our roll calls.
    pub fn answers_to(&self, me: &str) -> String {
        format!("{}presence/+/answer/{me}", self.prefix)
    }

    pub fn direct(&self, user: &str) -> String {
        format!("{}dm/{user}", self.prefix)
    }

    /// Where a history request for `room` goes (docs/protocol.md, "History keeper").
    pub fn history_request(&self, room: &str) -> String {
        format!("{}history/get/{room}", self.prefix)
    }

    /// Every room's history requests: what a keeper subscribes.
    pub fn history_requests_all(&self) -> String {
        format!("{}history/get/+", self.prefix)
    }

    /// Where keepers answer `user`'s requests (its own topic, so an ACL can
    /// let only `user` read it).
    pub fn history_reply(&self, user: &str) -> String {
        format!("{}history/reply/{user}", self.prefix)
    }

    /// Where `room`'s topic is kept, retained (docs/protocol.md, "Room topics").
    pub fn room_topic(&self, room: &str) -> String {
        format!("{}topic/{room}", self.prefix)
    }

    pub fn parse<'a>(&self, topic: &'a str) -> TopicRef<'a> {
        let Some(rest) = topic.strip_prefix(self.prefix.as_str()) else {
            return TopicRef::Other;
        };
        let Some((kind, name)) = rest.split_once('/') else {
            return TopicRef::Other;
        };
        if name.is_empty() {
            return TopicRef::Other;
        }
        if kind == "history" {
            return match name.split_once('/') {
                Some((_, rest)) if rest.is_empty() || rest.contains('/') => TopicRef::Other,
                Some(("get", room)) => TopicRef::HistoryRequest(room),
                Some(("reply", user)) => TopicRef::HistoryReply(user),
                _ => TopicRef::Other,
            };
        }
        if let Some((user, beacon)) = name.split_once('/') {
            return match (kind, beacon.split_once('/')) {
                ("presence", _) if user.is_empty() => TopicRef::Other,
                ("presence", Some(("answer", to))) if !to.is_empty() && !to.contains('/') => {
                    TopicRef::Answer { from: user, to }
                }
                ("presence", None) if beacon == "alive" => TopicRef::Alive(user),
                ("presence", None) if beacon == "rollcall" => TopicRef::RollCall(user),
                _ => TopicRef::Other,
            };
        }
        match kind {
            "chat" => TopicRef::Chat(name),
            "presence" => TopicRef::Presence(name),
            "dm" => TopicRef::Direct(name),
            "topic" => TopicRef::RoomTopic(name),
            _ => TopicRef::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_parses_topics_without_prefix() {
        let t = Topics::new("");
        assert_eq!(t.chat("general"), "chat/general");
        assert_eq!(t.presence("bob"), "presence/bob");
        assert_eq!(t.presence_all(), "presence/+");
        assert_eq!(t.direct("bob"), "dm/bob");
        assert_eq!(t.parse("chat/łódź"), TopicRef::Chat("łódź"));
        assert_eq!(t.parse("presence/bob"), TopicRef::Presence("bob"));
        assert_eq!(t.parse("dm/bob"), TopicRef::Direct("bob"));
        assert_eq!(t.parse("chat/a/b"), TopicRef::Other);
        assert_eq!(t.alive("bob"), "presence/bob/alive");
        assert_eq!(t.alive_all(), "presence/+/alive");
        assert_eq!(t.roll_call_all(), "presence/+/rollcall");
        assert_eq!(t.parse("presence/bob/alive"), TopicRef::Alive("bob"));
        assert_eq!(t.parse(&t.roll_call("carol")), TopicRef::RollCall("carol"));
        assert_eq!(t.parse("presence/bob/alive/x"), TopicRef::Other);
        assert_eq!(t.parse("presence//alive"), TopicRef::Other);
        assert_eq!(t.parse("presence/bob/other"), TopicRef::Other);
        assert_eq!(t.answer("bob", "carol"), "presence/bob/answer/carol");
        assert_eq!(t.answers_to("carol"), "presence/+/answer/carol");
        assert_eq!(
            t.parse("presence/bob/answer/carol"),
            TopicRef::Answer {
                from: "bob",
                to: "carol"
            }
        );
        assert_eq!(t.parse("presence/bob/answer/carol/x"), TopicRef::Other);
        assert_eq!(t.parse("presence/bob/answer/"), TopicRef::Other);
        assert_eq!(t.parse("presence/bob/alive/answer"), TopicRef::Other);
        assert_eq!(t.parse("chat/"), TopicRef::Other);
        assert_eq!(t.parse("weather/x"), TopicRef::Other);
    }

    #[test]
    fn prefix_stands_in_front_of_every_topic() {
        for p in ["acme", "acme/"] {
            let t = Topics::new(p);
            assert_eq!(t.chat("general"), "acme/chat/general");
            assert_eq!(t.presence_all(), "acme/presence/+");
            assert_eq!(t.parse("acme/chat/x"), TopicRef::Chat("x"));
            assert_eq!(t.parse("chat/x"), TopicRef::Other);
            assert_eq!(t.history_request("general"), "acme/history/get/general");
            assert_eq!(t.history_requests_all(), "acme/history/get/+");
            assert_eq!(t.history_reply("carol"), "acme/history/reply/carol");
            assert_eq!(t.parse("acme/history/get/x"), TopicRef::HistoryRequest("x"));
            assert_eq!(t.parse("acme/history/reply/carol"), TopicRef::HistoryReply("carol"));
            assert_eq!(t.parse("history/get/x"), TopicRef::Other);
            assert_eq!(t.room_topic("general"), "acme/topic/general");
            assert_eq!(t.parse("acme/topic/general"), TopicRef::RoomTopic("general"));
            assert_eq!(t.parse("topic/general"), TopicRef::Other);
        }
    }

    #[test]
    fn history_topics() {
        let t = Topics::new("");
        assert_eq!(t.history_request("łódź"), "history/get/łódź");
        assert_eq!(t.history_requests_all(), "history/get/+");
        assert_eq!(t.history_reply("carol"), "history/reply/carol");
        assert_eq!(t.parse(&t.history_request("łódź")), TopicRef::HistoryRequest("łódź"));
        assert_eq!(t.parse(&t.history_reply("carol")), TopicRef::HistoryReply("carol"));
        for other in [
            "history/get/a/b",
            "history/reply/a/b",
            "history/get/",
            "history/reply/",
            "history/get",
            "history/",
            "history//x",
            "history/put/x",
            "history/get//",
        ] {
            assert_eq!(t.parse(other), TopicRef::Other, "{other}");
        }
    }

    #[test]
    fn room_topics_are_their_own_and_never_a_chat_presence_or_direct_topic() {
        let t = Topics::new("");
        assert_eq!(t.room_topic("łódź"), "topic/łódź");
        assert_eq!(t.parse(&t.room_topic("łódź")), TopicRef::RoomTopic("łódź"));
        for other in ["topic/a/b", "topic/", "topic"] {
            assert_eq!(t.parse(other), TopicRef::Other, "{other}");
        }
        // Not matched by `chat/<room>`, `presence/+` or `dm/<user>` (PROTOCOL.md).
        let room_topic = t.room_topic("general");
        for filter in [t.chat("general"), t.presence_all(), t.direct("general")] {
            let (kind, _) = filter.split_once('/').unwrap();
            assert!(!room_topic.starts_with(&format!("{kind}/")), "{filter}");
        }
    }
}
