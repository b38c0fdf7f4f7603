//! The effective settings of one run, after the command line was validated.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub server: String,
    pub port: u16,
    pub username: String,
    /// Joined at start; the first is active.
    pub rooms: Vec<String>,
    pub qos: u8,
    pub keep_alive: u16,
    pub topic_prefix: String,
    pub bell: bool,
    /// Messages kept per room.
    pub scrollback: usize,
    pub mode: Mode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Tui,
    Line { json: bool },
}

impl Settings {
    pub fn for_test(username: &str, rooms: &[&str], mode: Mode) -> Settings {
        Settings {
            server: "localhost".into(),
            port: 1883,
            username: username.into(),
            rooms: rooms.iter().map(|r| r.to_string()).collect(),
            qos: 1,
            keep_alive: 30,
            topic_prefix: String::new(),
            bell: false,
            scrollback: 10_000,
            mode,
        }
    }

    pub fn address(&self) -> String {
        if self.server.contains(':') {
            format!("[{}]:{}", self.server, self.port)
        } else {
            format!("{}:{}", self.server, self.port)
        }
    }
}
