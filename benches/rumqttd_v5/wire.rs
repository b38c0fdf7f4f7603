//! The bare TCP connection ([`Wire`]): writes packets encoded by rumqttc's
//! own codec (`rumqttc::v5::mqttbytes`) or raw bytes, and reports what comes
//! back and when ([`Reply`]). It sends what rumqttc's client refuses to (a
//! PUBLISH to a wildcard topic) and sees what the client would hide (a
//! DISCONNECT its codec cannot read, a connection closed without a word).
//! Also the CONNECT packets the probes send on it.

use std::time::{Duration, Instant};

use bytes::BytesMut;
use rumqttc::v5::mqttbytes::v5::{ConnAck, Connect, DisconnectReasonCode, Packet};
use rumqttc::v5::mqttbytes::Error as CodecError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::peer::WAIT;

/// What a bare connection got back.
#[derive(Debug)]
pub(crate) enum Reply {
    /// A packet, decoded by rumqttc's MQTT 5 codec, and how long after the
    /// request it came.
    Packet(Box<Packet>, Duration),
    /// Bytes the MQTT 5 codec cannot read (e.g. an MQTT 3.1.1 CONNACK), and
    /// why.
    Bytes(Vec<u8>, String, Duration),
    /// The broker closed the connection (FIN).
    Closed(Duration),
    /// The connection failed (e.g. reset).
    Failed(String, Duration),
    /// Nothing within the window.
    Silent(Duration),
}

impl Reply {
    /// One line: what came, and after how long.
    pub(crate) fn describe(&self) -> String {
        match self {
            Reply::Packet(p, t) => format!("{} after {}", packet_name(p), ms(*t)),
            Reply::Bytes(b, why, t) => format!("{} after {}", raw_name(b, why), ms(*t)),
            Reply::Closed(t) => format!("connection closed (FIN, no packet) after {}", ms(*t)),
            Reply::Failed(e, t) => format!("connection failed ({e}) after {}", ms(*t)),
            Reply::Silent(t) => format!("nothing within {}", ms(*t)),
        }
    }

    /// The CONNACK, or what came instead.
    pub(crate) fn connack(self) -> Result<ConnAck, Reply> {
        match self {
            Reply::Packet(p, t) => match *p {
                Packet::ConnAck(ack) => Ok(ack),
                other => Err(Reply::Packet(Box::new(other), t)),
            },
            other => Err(other),
        }
    }

    pub(crate) fn ends(&self) -> bool {
        matches!(self, Reply::Closed(_) | Reply::Failed(..) | Reply::Silent(_))
    }
}

/// A packet's type and its reason code, when it has one.
fn packet_name(p: &Packet) -> String {
    match p {
        Packet::ConnAck(a) => format!("CONNACK {:?}", a.code),
        Packet::PubAck(a) => format!("PUBACK {:?}", a.reason),
        Packet::PubRec(a) => format!("PUBREC {:?}", a.reason),
        Packet::SubAck(a) => format!("SUBACK {:?}", a.return_codes),
        Packet::Disconnect(d) => format!("DISCONNECT {:?}", d.reason_code),
        Packet::PingResp(_) => "PINGRESP".to_owned(),
        Packet::Publish(p) => format!("PUBLISH {}", String::from_utf8_lossy(&p.topic)),
        other => format!("{other:?}"),
    }
}

/// Bytes the codec could not read, named when they are rumqttd's DISCONNECT
/// without properties: remaining length 1, yet a properties length (00)
/// follows the reason code.
fn raw_name(bytes: &[u8], why: &str) -> String {
    if let [0xE0, 1, reason, 0, ..] = bytes {
        let name = DisconnectReasonCode::try_from(*reason)
            .map(|r| format!("{r:?}"))
            .unwrap_or_else(|_| format!("0x{reason:02x}"));
        return format!(
            "DISCONNECT {name} (0x{reason:02x}) in a malformed frame [{}] (remaining length 1, \
             then a stray 00) that rumqttc's codec cannot read",
            hex(bytes)
        );
    }
    format!("bytes [{}] ({why})", hex(bytes))
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn hex(bytes: &[u8]) -> String {
    let shown: Vec<String> = bytes.iter().take(24).map(|b| format!("{b:02x}")).collect();
    let more = if bytes.len() > 24 { " …" } else { "" };
    format!("{}{more}", shown.join(" "))
}

/// A bare TCP connection speaking MQTT 5 through rumqttc's codec.
pub(crate) struct Wire {
    stream: TcpStream,
    read: BytesMut,
    closed: bool,
}

impl Wire {
    pub(crate) async fn open(port: u16) -> std::io::Result<Wire> {
        let stream = TcpStream::connect(("127.0.0.1", port)).await?;
        stream.set_nodelay(true)?;
        Ok(Wire {
            stream,
            read: BytesMut::new(),
            closed: false,
        })
    }

    /// Opens a connection, sends `connect`, and waits up to [`WAIT`] for
    /// the first reply.
    pub(crate) async fn connect(port: u16, connect: Connect) -> Result<(Wire, Reply), String> {
        let mut wire = Wire::open(port).await.map_err(|e| e.to_string())?;
        let sent = wire
            .send(&Packet::Connect(connect, None, None))
            .await
            .map_err(|e| e.to_string())?;
        let reply = wire.reply(sent, WAIT).await;
        Ok((wire, reply))
    }

    /// Opens a connection and completes an MQTT 5 CONNECT.
    pub(crate) async fn connected(port: u16, client_id: &str) -> Result<Wire, String> {
        match Wire::connect(port, connect_v5(client_id)).await? {
            (wire, Reply::Packet(p, _)) if matches!(*p, Packet::ConnAck(_)) => Ok(wire),
            (_, other) => Err(other.describe()),
        }
    }

    /// Writes a packet; returns when it was written.
    pub(crate) async fn send(&mut self, packet: &Packet) -> std::io::Result<Instant> {
        let out = encode(packet).map_err(|e| std::io::Error::other(e.to_string()))?;
        self.send_bytes(&out).await
    }

    pub(crate) async fn send_bytes(&mut self, bytes: &[u8]) -> std::io::Result<Instant> {
        self.stream.write_all(bytes).await?;
        Ok(Instant::now())
    }

    /// The next reply within `window`; times are counted from `since`.
    pub(crate) async fn reply(&mut self, since: Instant, window: Duration) -> Reply {
        let deadline = Instant::now() + window;
        loop {
            if !self.read.is_empty() {
                // On a packet it cannot read, the codec has consumed its
                // frame: decode a copy, to show every byte of a bad one.
                let mut copy = self.read.clone();
                match Packet::read(&mut copy, None) {
                    Ok(p) => {
                        self.read = copy;
                        return Reply::Packet(Box::new(p), since.elapsed());
                    }
                    Err(CodecError::InsufficientBytes(_)) => {}
                    Err(e) => {
                        let bytes = self.read.split().to_vec();
                        let why = format!("MQTT 5 codec: {e}");
                        return Reply::Bytes(bytes, why, since.elapsed());
                    }
                }
            }
            if self.closed {
                return Reply::Closed(since.elapsed());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match timeout(left, self.stream.read_buf(&mut self.read)).await {
                Err(_) => return Reply::Silent(window),
                Ok(Ok(0)) => {
                    self.closed = true;
                    if !self.read.is_empty() {
                        let bytes = self.read.split().to_vec();
                        let why = "then closed, mid-packet".to_owned();
                        return Reply::Bytes(bytes, why, since.elapsed());
                    }
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Reply::Failed(e.to_string(), since.elapsed()),
            }
        }
    }

    /// Every reply within `window`, until the connection ends.
    pub(crate) async fn replies(&mut self, since: Instant, window: Duration) -> Vec<Reply> {
        let deadline = Instant::now() + window;
        let mut all = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let reply = self.reply(since, left).await;
            let ends = reply.ends();
            if !matches!(reply, Reply::Silent(_)) {
                all.push(reply);
            }
            if ends {
                return all;
            }
        }
    }
}

/// A packet as rumqttc's MQTT 5 codec writes it.
pub(crate) fn encode(packet: &Packet) -> Result<BytesMut, CodecError> {
    let mut out = BytesMut::new();
    packet.write(&mut out, None)?;
    Ok(out)
}

/// An MQTT 5 CONNECT: clean start, 30 s keep-alive, no properties.
pub(crate) fn connect_v5(client_id: &str) -> Connect {
    Connect {
        keep_alive: 30,
        client_id: client_id.to_owned(),
        clean_start: true,
        properties: None,
    }
}

/// An MQTT 3.1.1 CONNECT (protocol level 4): clean session, 30 s keep-alive.
pub(crate) fn connect_v4_bytes(client_id: &str) -> Vec<u8> {
    let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', 4, 0b10, 0, 30];
    body.extend((client_id.len() as u16).to_be_bytes());
    body.extend(client_id.as_bytes());
    let mut packet = vec![0x10, body.len() as u8];
    packet.extend(body);
    packet
}
