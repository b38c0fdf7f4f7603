//! Where others join a broker hosted with `--serve`: this machine's
//! addresses (found by the front end), not the `0.0.0.0` it listens on,
//! which tells nobody what to type.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::{Effect, State};
use crate::settings::Settings;

/// Addresses named in the start notice at most (a machine with many
/// bridges and tunnels would fill a screen).
const NAMED: usize = 4;

/// Where others can join the hosted broker, best first (IPv4 before IPv6);
/// `127.0.0.1` when no other address was found; none when not hosting.
pub fn reachable(settings: &Settings) -> Vec<SocketAddr> {
    let Some(listen) = settings.hosting else {
        return Vec::new();
    };
    if !listen.ip().is_unspecified() {
        return vec![listen];
    }
    let mut ips: Vec<IpAddr> = Vec::new();
    for ip in &settings.reachable {
        // 0.0.0.0 takes IPv4 only; [::] takes both.
        let served = ip.is_ipv4() || listen.is_ipv6();
        if served && !ip.is_loopback() && !ip.is_unspecified() && !ips.contains(ip) {
            ips.push(*ip);
        }
    }
    ips.sort_by_key(IpAddr::is_ipv6);
    if ips.is_empty() {
        ips.push(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    ips.into_iter().map(|ip| SocketAddr::new(ip, listen.port())).collect()
}

/// `hosting a broker on 192.168.1.20:1883 (friends: komunikator -s
/// 192.168.1.20 -p 1883 NAME)`; none when not hosting.
pub fn announcement(settings: &Settings) -> Option<String> {
    let addresses = reachable(settings);
    let first = addresses.first()?;
    let mut named: Vec<String> = addresses.iter().take(NAMED).map(ToString::to_string).collect();
    if addresses.len() > NAMED {
        named.push(format!("{} more", addresses.len() - NAMED));
    }
    Some(format!(
        "hosting a broker on {} (friends: komunikator -s {} -p {} NAME)",
        named.join(", "),
        first.ip(),
        first.port()
    ))
}

/// For the status bar: `192.168.1.20:1883`, with `+2` when there are more.
pub fn status_address(settings: &Settings) -> Option<String> {
    let addresses = reachable(settings);
    let first = addresses.first()?;
    Some(match addresses.len() {
        1 => first.to_string(),
        n => format!("{first} +{}", n - 1),
    })
}

impl State {
    /// The full-screen UI says where to join in the chat (line mode's
    /// front end says it on stderr before the client starts).
    pub(super) fn announce_hosting(&mut self, fx: &mut Vec<Effect>) {
        if self.line_mode() {
            return;
        }
        if let Some(text) = announcement(&self.settings) {
            self.notice(text, fx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Mode;

    fn hosting(listen: &str, found: &[&str]) -> Settings {
        let mut settings = Settings::for_test("alice", &["general"], Mode::Tui);
        settings.hosting = Some(listen.parse().unwrap());
        settings.reachable = found.iter().map(|ip| ip.parse().unwrap()).collect();
        settings
    }

    #[test]
    fn others_are_told_the_machines_addresses_not_the_wildcard() {
        let lan = "hosting a broker on 192.168.1.20:1883 (friends: komunikator -s 192.168.1.20 -p 1883 NAME)";
        let cases = [
            (
                hosting("0.0.0.0:1883", &["127.0.0.1", "192.168.1.20"]),
                Some(lan.to_owned()),
            ),
            (
                hosting("0.0.0.0:1883", &["2001:db8::5", "192.168.1.20", "::1"]),
                Some(lan.to_owned()),
            ),
            (
                hosting("[::]:1883", &["2001:db8::5", "10.0.0.7"]),
                Some(
                    "hosting a broker on 10.0.0.7:1883, [2001:db8::5]:1883 \
                     (friends: komunikator -s 10.0.0.7 -p 1883 NAME)"
                        .to_owned(),
                ),
            ),
            (
                hosting("0.0.0.0:1999", &["127.0.0.1"]),
                Some("hosting a broker on 127.0.0.1:1999 (friends: komunikator -s 127.0.0.1 -p 1999 NAME)".to_owned()),
            ),
            (
                hosting("10.1.2.3:1883", &["192.168.1.20"]),
                Some("hosting a broker on 10.1.2.3:1883 (friends: komunikator -s 10.1.2.3 -p 1883 NAME)".to_owned()),
            ),
            (Settings::for_test("alice", &["general"], Mode::Tui), None),
        ];
        for (settings, want) in cases {
            assert_eq!(
                announcement(&settings),
                want,
                "{:?} {:?}",
                settings.hosting,
                settings.reachable
            );
        }
    }

    #[test]
    fn the_status_bar_names_the_first_address_and_counts_the_rest() {
        let many = hosting("0.0.0.0:1883", &["192.168.1.20", "10.0.0.7", "172.17.0.1"]);
        assert_eq!(status_address(&many).as_deref(), Some("192.168.1.20:1883 +2"));
        let one = hosting("0.0.0.0:1883", &["192.168.1.20"]);
        assert_eq!(status_address(&one).as_deref(), Some("192.168.1.20:1883"));
        let ips: Vec<String> = (1..=6).map(|i| format!("10.0.0.{i}")).collect();
        let ips: Vec<&str> = ips.iter().map(String::as_str).collect();
        let text = announcement(&hosting("0.0.0.0:1883", &ips)).unwrap();
        assert!(text.contains("10.0.0.4:1883, 2 more (friends"), "{text}");
    }
}
