//! What a connection is made with: the MQTT options, the transport, the
//! client id and the last will.

use std::time::Duration;

use rumqttc::{LastWill, MqttOptions, QoS, TlsConfiguration, Transport};

use crate::app::{MAX_INCOMING_PACKET, MAX_OUTGOING_PACKET};
use crate::protocol::ids::session_id;
use crate::protocol::payload::PresenceOut;
use crate::protocol::{Reason, Status, Topics};
use crate::settings::Settings;
use crate::tls::TlsSetupError;

/// rumqttc's request queue; larger than the outbox window so it never fills.
pub(super) const REQUEST_QUEUE: usize = 512;

pub fn client_id(username: &str) -> String {
    format!("komunikator-{username}-{}", session_id(fastrand::u64(..)))
}

/// The will that announces `username` offline because the connection was
/// lost, carrying the session id. Its `ts` is the connect time (a will cannot
/// change later): receivers take "last seen" from the session's heartbeats.
pub(super) fn will(topics: &Topics, username: &str, session: &str) -> LastWill {
    let mut will = PresenceOut::new(username, Status::Offline, chrono::Utc::now(), session);
    will.reason = Some(Reason::Lost);
    let payload = will.encode();
    LastWill::new(topics.presence(username), payload, QoS::AtLeastOnce, true)
}

pub(super) fn mqtt_options(settings: &Settings) -> MqttOptions {
    let mut options = MqttOptions::new(client_id(&settings.username), settings.server.clone(), settings.port);
    options
        .set_keep_alive(Duration::from_secs(settings.keep_alive.max(1).into()))
        .set_clean_session(true)
        .set_max_packet_size(MAX_INCOMING_PACKET, MAX_OUTGOING_PACKET)
        .set_request_channel_capacity(REQUEST_QUEUE)
        .set_inflight(100);
    if let Some(login) = &settings.login {
        let password = login.password.as_ref().map(|p| p.expose()).unwrap_or_default();
        options.set_credentials(login.user.clone(), password);
    }
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
