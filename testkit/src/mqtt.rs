//! A bare MQTT 3.1.1 encoder: CONNECT and PUBLISH bytes written by hand, for
//! floods as fast as the socket takes them and for payloads larger than a
//! client library allows.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::time::Duration;

use crate::{Broker, WAIT};

/// Appends MQTT's variable-length "remaining length".
pub fn remaining_length(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let mut byte = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if n == 0 {
            return;
        }
    }
}

/// Appends a length-prefixed MQTT string.
pub fn string(s: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s);
}

/// Appends a PUBLISH's fixed header, topic and packet id (QoS above 0): all
/// but the `payload_len` bytes of payload that must follow.
pub fn publish_header(out: &mut Vec<u8>, topic: &str, qos: u8, retain: bool, pkid: u16, payload_len: usize) {
    let id_len = if qos > 0 { 2 } else { 0 };
    out.push(0x30 | (qos << 1) | u8::from(retain));
    remaining_length(2 + topic.len() + id_len + payload_len, out);
    string(topic.as_bytes(), out);
    if qos > 0 {
        out.extend_from_slice(&pkid.to_be_bytes());
    }
}

/// Opens a clean MQTT 3.1.1 session on 127.0.0.1:`port` and waits for the
/// broker to accept it. `keep_alive` 0: the broker never expects a ping.
pub fn connect(port: u16, client_id: &str, keep_alive: u16) -> TcpStream {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("connect a raw MQTT client");
    let mut body = Vec::new();
    string(b"MQTT", &mut body);
    body.extend_from_slice(&[4, 0x02]); // 3.1.1, clean session
    body.extend_from_slice(&keep_alive.to_be_bytes());
    string(client_id.as_bytes(), &mut body);
    let mut packet = vec![0x10];
    remaining_length(body.len(), &mut packet);
    packet.extend_from_slice(&body);
    stream.write_all(&packet).expect("send CONNECT");
    let mut connack = [0u8; 4];
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("read timeout");
    stream.read_exact(&mut connack).expect("read CONNACK");
    assert_eq!(
        connack,
        [0x20, 2, 0, 0],
        "the broker refused the raw client {client_id}"
    );
    stream.set_read_timeout(None).expect("read timeout");
    stream
}

/// A bare MQTT 3.1.1 connection writing QoS 0 publishes as fast as the
/// socket takes them; for floods and payloads larger than a client allows.
pub struct RawPublisher {
    stream: TcpStream,
}

impl RawPublisher {
    pub fn connect(broker: &Broker, client_id: &str) -> RawPublisher {
        Self::connect_port(broker.port, client_id)
    }

    /// [`RawPublisher::connect`] by port (from a thread of its own, say).
    pub fn connect_port(port: u16, client_id: &str) -> RawPublisher {
        let stream = connect(port, client_id, 60);
        stream.set_read_timeout(Some(WAIT)).expect("read timeout");
        RawPublisher { stream }
    }

    /// The bytes of one QoS 0 PUBLISH.
    pub fn packet(topic: &str, payload: &[u8], retain: bool) -> Vec<u8> {
        let mut packet = Vec::with_capacity(payload.len() + topic.len() + 8);
        publish_header(&mut packet, topic, 0, retain, 0, payload.len());
        packet.extend_from_slice(payload);
        packet
    }

    pub fn publish(&mut self, topic: &str, payload: &[u8], retain: bool) {
        let mut header = Vec::new();
        publish_header(&mut header, topic, 0, retain, 0, payload.len());
        self.stream.write_all(&header).expect("write PUBLISH header");
        self.stream.write_all(payload).expect("write PUBLISH payload");
    }

    /// Many publishes, written in large blocks.
    pub fn publish_all(&mut self, packets: impl IntoIterator<Item = Vec<u8>>) {
        let mut block = Vec::with_capacity(1 << 20);
        for packet in packets {
            block.extend_from_slice(&packet);
            if block.len() >= 1 << 20 {
                self.stream.write_all(&block).expect("write publishes");
                block.clear();
            }
        }
        self.stream.write_all(&block).expect("write publishes");
    }

    /// DISCONNECT, then waits for the broker to close: everything sent before
    /// has been taken in by the broker.
    pub fn finish(mut self) {
        self.stream.write_all(&[0xe0, 0]).expect("send DISCONNECT");
        let mut rest = Vec::new();
        let _ = self.stream.read_to_end(&mut rest);
    }
}
