//! What a connection is made with: the MQTT options at either version, the
//! transport, the client id and the last will.

use std::time::Duration;

use rumqttc::{v5, AsyncClient, LastWill, MqttOptions, NetworkOptions, QoS, TlsConfiguration, Transport};

use super::link::{Client, Link};

use crate::app::{MAX_INCOMING_PACKET, MAX_OUTGOING_PACKET, OFFLINE_EXPIRY_SECS};
use crate::identity::Identity;
use crate::protocol::ids::session_id;
use crate::protocol::payload::PresenceOut;
use crate::protocol::signature::{key_to_base64, SecretKeys};
use crate::protocol::{Reason, Status, Topics};
use crate::settings::{Server, Settings, Spoken};
use crate::tls::TlsSetupError;

/// rumqttc's MQTT 5 client takes no shorter keep-alive (it panics on one).
pub(super) const MIN_KEEP_ALIVE_5: Duration = Duration::from_secs(5);

/// rumqttc's request queue; larger than the outbox window so it never fills.
pub(super) const REQUEST_QUEUE: usize = 512;

pub fn client_id(username: &str) -> String {
    format!("komunikator-{username}-{}", session_id(fastrand::u64(..)))
}

/// The will that announces `username` offline because the connection was
/// lost, carrying the session id. Its `ts` is the connect time (a will cannot
/// change later): receivers take "last seen" from the session's heartbeats.
fn will_payload(topics: &Topics, username: &str, session: &str, keys: Option<&SecretKeys>) -> (String, Vec<u8>) {
    let mut will = PresenceOut::new(username, Status::Offline, chrono::Utc::now(), session);
    will.reason = Some(Reason::Lost);
    let public = keys.map(SecretKeys::public);
    will.key = public.map(|p| key_to_base64(&p.sign));
    will.boxing = public.map(|p| key_to_base64(&p.boxing));
    let topic = topics.presence(username);
    let payload = match keys {
        Some(keys) => keys.sign(&topic, will.encode()),
        None => will.encode(),
    };
    (topic, payload)
}

/// What every connection of this run is made with, at either version.
pub(super) struct Connecting {
    pub client_id: String,
    /// The client id is the user's stable one: the broker keeps the session
    /// from one run to the next (clean start off from the first connection).
    pub persistent: bool,
    pub keep_alive: Duration,
    pub login: Option<(String, String)>,
    pub transport: Transport,
    pub will_delay: u32,
    pub session_expiry: u32,
    /// The user's keys: the will is signed like any presence.
    pub keys: Option<SecretKeys>,
}

/// Who the will speaks for: the topics, the username and the session id.
pub(super) struct WillOf<'a> {
    pub topics: &'a Topics,
    pub username: &'a str,
    pub session: &'a str,
}

impl Connecting {
    pub(super) fn new(settings: &Settings, identity: &Identity, transport: Transport) -> Self {
        let login = settings.login.as_ref().map(|login| {
            let password = login.password.as_ref().map(|p| p.expose()).unwrap_or_default();
            (login.user.clone(), password.to_owned())
        });
        Connecting {
            client_id: identity.client_id.clone(),
            persistent: identity.without_catch_up.is_none(),
            keep_alive: Duration::from_secs(settings.keep_alive.max(1).into()),
            login,
            transport,
            will_delay: settings.will_delay.as_secs().try_into().unwrap_or(u32::MAX),
            session_expiry: settings.session_expiry.as_secs().try_into().unwrap_or(u32::MAX),
            keys: identity.seed.as_ref().map(SecretKeys::from_seed),
        }
    }

    /// A fresh link to `server` at `version`, with `will` as its last will.
    pub(super) fn link(&self, server: &Server, version: Spoken, will: WillOf<'_>) -> (Link, Client) {
        match version {
            Spoken::V311 => {
                let mut o = MqttOptions::new(self.client_id.clone(), server.host.clone(), server.port);
                // 3.1.1 sessions never expire: only a stable client id
                // (one per user and machine) may leave one behind.
                o.set_keep_alive(self.keep_alive)
                    .set_clean_session(!self.persistent)
                    .set_max_packet_size(MAX_INCOMING_PACKET, MAX_OUTGOING_PACKET)
                    .set_request_channel_capacity(REQUEST_QUEUE)
                    .set_inflight(100)
                    .set_transport(self.transport.clone())
                    .set_last_will(self.will_311(will));
                if let Some((user, password)) = &self.login {
                    o.set_credentials(user.clone(), password.clone());
                }
                let (client, mut eventloop) = AsyncClient::new(o, REQUEST_QUEUE);
                eventloop.set_network_options(no_delay());
                (Link::V311(eventloop), Client::V311(client))
            }
            Spoken::V5 => {
                let mut o = v5::MqttOptions::new(self.client_id.clone(), server.host.clone(), server.port);
                // With our maximum packet size announced, the broker drops
                // what is larger for us instead of sending it (which would
                // end the connection).
                o.set_keep_alive(self.keep_alive.max(MIN_KEEP_ALIVE_5))
                    .set_clean_start(!self.persistent)
                    .set_max_packet_size(Some(MAX_INCOMING_PACKET as u32))
                    .set_session_expiry_interval(Some(self.session_expiry))
                    .set_request_channel_capacity(REQUEST_QUEUE)
                    .set_outgoing_inflight_upper_limit(100)
                    .set_network_options(no_delay())
                    .set_transport(self.transport.clone())
                    .set_last_will(self.will_5(will));
                if let Some((user, password)) = &self.login {
                    o.set_credentials(user.clone(), password.clone());
                }
                let (client, eventloop) = v5::AsyncClient::new(o, REQUEST_QUEUE);
                (Link::V5(eventloop), Client::V5(client))
            }
        }
    }

    /// The next attempt on the same link announces this will (a new session id).
    pub(super) fn renew_will(&self, link: &mut Link, will: WillOf<'_>) {
        match link {
            Link::V311(l) => {
                l.mqtt_options.set_last_will(self.will_311(will));
            }
            Link::V5(l) => {
                l.options.set_last_will(self.will_5(will));
            }
        }
    }

    fn will_311(&self, will: WillOf<'_>) -> LastWill {
        let (topic, payload) = will_payload(will.topics, will.username, will.session, self.keys.as_ref());
        LastWill::new(topic, payload, QoS::AtLeastOnce, true)
    }

    /// The will is held back `--will-delay` (a reconnect within it cancels
    /// it), and a broker forgets it after a week.
    fn will_5(&self, will: WillOf<'_>) -> v5::mqttbytes::v5::LastWill {
        use rumqttc::v5::mqttbytes::v5::{LastWill as LastWill5, LastWillProperties};
        use rumqttc::v5::mqttbytes::QoS as QoS5;
        let (topic, payload) = will_payload(will.topics, will.username, will.session, self.keys.as_ref());
        let properties = LastWillProperties {
            delay_interval: Some(self.will_delay),
            payload_format_indicator: None,
            message_expiry_interval: Some(OFFLINE_EXPIRY_SECS),
            content_type: None,
            response_topic: None,
            correlation_data: None,
            user_properties: Vec::new(),
        };
        LastWill5::new(topic, payload, QoS5::AtLeastOnce, true, Some(properties))
    }
}

/// Packets go out as soon as they are written (TCP_NODELAY). A chat line is
/// one small packet; held back by Nagle's algorithm until the broker's
/// delayed ACK, a burst (a pasted text, a pipe) goes at one window of
/// in-flight messages per 40 ms, and at MQTT 5 mosquitto's window is 20.
fn no_delay() -> NetworkOptions {
    let mut options = NetworkOptions::new();
    options.set_tcp_nodelay(true);
    options
}

/// Plain TCP, or TLS with the configured certificates.
pub(super) fn transport(settings: &Settings) -> Result<Transport, TlsSetupError> {
    match &settings.tls {
        Some(tls) => {
            crate::tls::client_config(tls).map(|config| Transport::tls_with_config(TlsConfiguration::Rustls(config)))
        }
        None => Ok(Transport::Tcp),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_differ_for_the_same_username() {
        assert_ne!(client_id("alice"), client_id("alice"));
    }
}
