//! One connection's rumqttc at either MQTT version, behind one face: the
//! session polls a [`Link`] and gets [`Wire`] events, and the handle sends
//! through a [`Client`], whichever version the broker speaks. Everything
//! that differs between rumqttc's 3.1.1 client and its MQTT 5 one
//! (`rumqttc::v5`) is translated here, and only here.

use bytes::Bytes;
use rumqttc::v5::mqttbytes::v5 as v5p;
use rumqttc::v5::mqttbytes::QoS as QoS5;
use rumqttc::{v5, QoS, SubscribeFilter};

use crate::settings::{Server, Spoken};

/// What the session needs to know of a packet that came or went.
#[derive(Debug)]
pub(super) enum Wire {
    /// The broker accepted the connection. `max_packet`: the largest packet
    /// it takes from us (MQTT 5 says; 3.1.1 cannot).
    ConnAck {
        session_present: bool,
        max_packet: Option<u32>,
    },
    Publish {
        topic: String,
        payload: Bytes,
        retain: bool,
    },
    /// The publish with this packet id is done: stored by the broker
    /// (`refused: None`), or refused with this reason (MQTT 5 only).
    Done { pkid: u16, refused: Option<&'static str> },
    /// A SUBACK; `refused` counts refused filters.
    SubAck { refused: usize },
    /// A publish left with this packet id (0: QoS 0).
    Sent(u16),
    /// Our DISCONNECT left.
    Disconnecting,
    /// rumqttc's own bookkeeping: pings, PUBREL, UNSUBACK, ...
    Other,
}

/// Why a connection attempt failed or a connection ended, at either version.
#[derive(Debug)]
pub(super) enum LinkError {
    V311(rumqttc::ConnectionError),
    V5(v5::ConnectionError),
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkError::V311(e) => e.fmt(f),
            LinkError::V5(e) => e.fmt(f),
        }
    }
}

impl LinkError {
    /// The client was dropped or our DISCONNECT went out: the end, not a failure.
    pub(super) fn requests_done(&self) -> bool {
        matches!(
            self,
            LinkError::V311(rumqttc::ConnectionError::RequestsDone) | LinkError::V5(v5::ConnectionError::RequestsDone)
        )
    }

    /// The broker may not speak MQTT 5: it refused the version, hung up on
    /// the CONNECT, or answered in a form the MQTT 5 parser cannot read (a
    /// 3.1.1 CONNACK). Only meaningful for an attempt that got no CONNACK.
    pub(super) fn may_refuse_v5(&self) -> bool {
        use v5::{ConnectionError as E, StateError as S};
        let LinkError::V5(err) = self else {
            return false;
        };
        match err {
            E::ConnectionRefused(
                v5p::ConnectReturnCode::UnsupportedProtocolVersion
                | v5p::ConnectReturnCode::RefusedProtocolVersion
                | v5p::ConnectReturnCode::ProtocolError
                | v5p::ConnectReturnCode::MalformedPacket,
            )
            | E::NotConnAck(_)
            | E::MqttState(S::Deserialization(_) | S::ConnectionAborted) => true,
            E::MqttState(S::Io(io)) | E::Io(io) => matches!(
                io.kind(),
                std::io::ErrorKind::UnexpectedEof
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
            ),
            _ => false,
        }
    }
}

/// rumqttc's event loop at the version in use. (Not boxed: there is one,
/// made once per connection attempt at most.)
#[allow(clippy::large_enum_variant)]
pub(super) enum Link {
    V311(rumqttc::EventLoop),
    V5(v5::EventLoop),
}

/// The sending half that goes with a [`Link`].
#[derive(Clone)]
pub(super) enum Client {
    V311(rumqttc::AsyncClient),
    V5(v5::AsyncClient),
}

/// Refused by rumqttc's request queue (full, or the session is gone).
#[derive(Debug, thiserror::Error)]
#[error("rumqttc did not take the request")]
pub struct QueueRefused;

fn qos(level: u8) -> QoS {
    match level {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

fn qos5(level: u8) -> QoS5 {
    match level {
        0 => QoS5::AtMostOnce,
        1 => QoS5::AtLeastOnce,
        _ => QoS5::ExactlyOnce,
    }
}

impl Client {
    /// `expiry`: seconds the broker may keep the message (MQTT 5 only).
    pub(super) fn publish(
        &self,
        topic: String,
        level: u8,
        retain: bool,
        payload: Vec<u8>,
        expiry: Option<u32>,
    ) -> Result<(), QueueRefused> {
        match self {
            Client::V311(c) => c
                .try_publish(topic, qos(level), retain, payload)
                .map_err(|_| QueueRefused),
            Client::V5(c) => {
                let result = match expiry {
                    Some(seconds) => {
                        let properties = v5p::PublishProperties {
                            message_expiry_interval: Some(seconds),
                            ..Default::default()
                        };
                        c.try_publish_with_properties(topic, qos5(level), retain, payload, properties)
                    }
                    None => c.try_publish(topic, qos5(level), retain, payload),
                };
                result.map_err(|_| QueueRefused)
            }
        }
    }

    pub(super) fn subscribe(&self, topics: Vec<(String, u8)>) -> Result<(), QueueRefused> {
        match self {
            Client::V311(c) => c
                .try_subscribe_many(topics.into_iter().map(|(t, q)| SubscribeFilter::new(t, qos(q))))
                .map_err(|_| QueueRefused),
            Client::V5(c) => c
                .try_subscribe_many(topics.into_iter().map(|(t, q)| v5p::Filter::new(t, qos5(q))))
                .map_err(|_| QueueRefused),
        }
    }

    pub(super) fn unsubscribe(&self, topic: String) -> Result<(), QueueRefused> {
        match self {
            Client::V311(c) => c.try_unsubscribe(topic).map_err(|_| QueueRefused),
            Client::V5(c) => c.try_unsubscribe(topic).map_err(|_| QueueRefused),
        }
    }

    pub(super) fn disconnect(&self) -> Result<(), QueueRefused> {
        match self {
            Client::V311(c) => c.try_disconnect().map_err(|_| QueueRefused),
            Client::V5(c) => c.try_disconnect().map_err(|_| QueueRefused),
        }
    }
}

impl Link {
    pub(super) fn spoken(&self) -> Spoken {
        match self {
            Link::V311(_) => Spoken::V311,
            Link::V5(_) => Spoken::V5,
        }
    }

    /// This link connects to `server` at `version`.
    pub(super) fn is_for(&self, server: &Server, version: Spoken) -> bool {
        let (host, port) = match self {
            Link::V311(l) => l.mqtt_options.broker_address(),
            Link::V5(l) => l.options.broker_address(),
        };
        self.spoken() == version && host == server.host && port == server.port
    }

    pub(super) async fn poll(&mut self) -> Result<Wire, LinkError> {
        match self {
            Link::V311(l) => l.poll().await.map(wire_311).map_err(LinkError::V311),
            Link::V5(l) => l.poll().await.map(wire_5).map_err(LinkError::V5),
        }
    }

    /// An event rumqttc read before the connection failed and still holds.
    pub(super) fn take_queued(&mut self) -> Option<Wire> {
        match self {
            Link::V311(l) => l.state.events.pop_front().map(wire_311),
            Link::V5(l) => l.state.events.pop_front().map(wire_5),
        }
    }

    /// After a failure: rumqttc would send again the publishes it still
    /// holds (and, at MQTT 5, those of a resumed session); the app's outbox
    /// sends them again instead, with the acks tracked. Only the releases
    /// of QoS 2 exchanges the broker may be waiting for are kept: a packet
    /// id the broker still holds would make it drop a new message as a
    /// duplicate.
    pub(super) fn drop_pending_publishes(&mut self) {
        match self {
            Link::V311(l) => l.pending.retain(|r| matches!(r, rumqttc::Request::PubRel(_))),
            Link::V5(l) => l.pending.retain(|r| matches!(r, v5::Request::PubRel(_))),
        }
    }

    /// MQTT 5: the next CONNECT resumes the session (clean start off).
    /// After a CONNACK: the next connection resumes this session (at 3.1.1
    /// only with the user's stable client id, as such a session never expires).
    pub(super) fn resume_next_time(&mut self, persistent: bool) {
        match self {
            Link::V5(l) => {
                l.options.set_clean_start(false);
            }
            Link::V311(l) => {
                l.mqtt_options.set_clean_session(!persistent);
            }
        }
    }

    /// The next connection starts a new session: the old one holds a
    /// message too large for us, which the broker would send again at once.
    pub(super) fn fresh_session_next_time(&mut self) {
        match self {
            Link::V5(l) => {
                l.options.set_clean_start(true);
            }
            Link::V311(l) => {
                l.mqtt_options.set_clean_session(true);
            }
        }
    }
}

/// What left, at either version (rumqttc shares this type between them).
fn outgoing(out: rumqttc::Outgoing) -> Wire {
    match out {
        rumqttc::Outgoing::Publish(pkid) => Wire::Sent(pkid),
        rumqttc::Outgoing::Disconnect => Wire::Disconnecting,
        _ => Wire::Other,
    }
}

fn wire_311(event: rumqttc::Event) -> Wire {
    use rumqttc::{Event, Incoming, SubscribeReasonCode};
    match event {
        Event::Incoming(Incoming::ConnAck(ack)) => Wire::ConnAck {
            session_present: ack.session_present,
            max_packet: None,
        },
        Event::Incoming(Incoming::Publish(p)) => Wire::Publish {
            topic: p.topic,
            payload: p.payload,
            retain: p.retain,
        },
        Event::Incoming(Incoming::PubAck(ack)) => Wire::Done {
            pkid: ack.pkid,
            refused: None,
        },
        Event::Incoming(Incoming::PubComp(comp)) => Wire::Done {
            pkid: comp.pkid,
            refused: None,
        },
        Event::Incoming(Incoming::SubAck(ack)) => Wire::SubAck {
            refused: ack
                .return_codes
                .iter()
                .filter(|c| **c == SubscribeReasonCode::Failure)
                .count(),
        },
        Event::Outgoing(out) => outgoing(out),
        _ => Wire::Other,
    }
}

fn wire_5(event: v5::Event) -> Wire {
    use v5::{Event, Incoming};
    match event {
        Event::Incoming(Incoming::ConnAck(ack)) => Wire::ConnAck {
            session_present: ack.session_present,
            max_packet: ack.properties.and_then(|p| p.max_packet_size),
        },
        Event::Incoming(Incoming::Publish(p)) => Wire::Publish {
            // rumqttc checked the topic is UTF-8 when it read the packet.
            topic: String::from_utf8_lossy(&p.topic).into_owned(),
            payload: p.payload,
            retain: p.retain,
        },
        Event::Incoming(Incoming::PubAck(ack)) => Wire::Done {
            pkid: ack.pkid,
            refused: puback_refusal(&ack.reason),
        },
        // A refused QoS 2 publish ends at PUBREC; an accepted one at PUBCOMP.
        Event::Incoming(Incoming::PubRec(rec)) => match pubrec_refusal(&rec.reason) {
            Some(why) => Wire::Done {
                pkid: rec.pkid,
                refused: Some(why),
            },
            None => Wire::Other,
        },
        Event::Incoming(Incoming::PubComp(comp)) => Wire::Done {
            pkid: comp.pkid,
            refused: None,
        },
        Event::Incoming(Incoming::SubAck(ack)) => Wire::SubAck {
            refused: ack
                .return_codes
                .iter()
                .filter(|c| !matches!(c, v5p::SubscribeReasonCode::Success(_)))
                .count(),
        },
        Event::Outgoing(out) => outgoing(out),
        _ => Wire::Other,
    }
}

/// A PUBACK's or PUBREC's failure reason, in words; `None`: accepted.
/// (Two enums with the same variants.)
macro_rules! refusal_in_words {
    ($reason:expr, $R:ident) => {
        Some(match $reason {
            $R::Success | $R::NoMatchingSubscribers => return None,
            $R::NotAuthorized => "not authorised",
            $R::TopicNameInvalid => "topic name invalid",
            $R::QuotaExceeded => "quota exceeded",
            $R::PayloadFormatInvalid => "payload format invalid",
            $R::PacketIdentifierInUse => "packet id in use",
            $R::ImplementationSpecificError => "implementation-specific error",
            $R::UnspecifiedError => "unspecified error",
        })
    };
}

fn puback_refusal(reason: &v5p::PubAckReason) -> Option<&'static str> {
    use v5p::PubAckReason;
    refusal_in_words!(reason, PubAckReason)
}

fn pubrec_refusal(reason: &v5p::PubRecReason) -> Option<&'static str> {
    use v5p::PubRecReason;
    refusal_in_words!(reason, PubRecReason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_named_and_successes_are_not() {
        assert_eq!(puback_refusal(&v5p::PubAckReason::Success), None);
        assert_eq!(puback_refusal(&v5p::PubAckReason::NoMatchingSubscribers), None);
        assert_eq!(
            puback_refusal(&v5p::PubAckReason::NotAuthorized),
            Some("not authorised")
        );
        assert_eq!(
            pubrec_refusal(&v5p::PubRecReason::QuotaExceeded),
            Some("quota exceeded")
        );
    }

    #[test]
    fn only_a_refusal_before_connack_hints_at_an_older_broker() {
        let eof = || std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
        let unsupported = v5::ConnectionError::ConnectionRefused(v5p::ConnectReturnCode::UnsupportedProtocolVersion);
        assert!(LinkError::V5(unsupported).may_refuse_v5());
        assert!(LinkError::V5(v5::ConnectionError::MqttState(v5::StateError::Io(eof()))).may_refuse_v5());
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(!LinkError::V5(v5::ConnectionError::Io(refused)).may_refuse_v5());
        let login = v5::ConnectionError::ConnectionRefused(v5p::ConnectReturnCode::NotAuthorized);
        assert!(!LinkError::V5(login).may_refuse_v5());
        assert!(!LinkError::V311(rumqttc::ConnectionError::Io(eof())).may_refuse_v5());
    }
}
