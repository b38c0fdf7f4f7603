//! The publisher every subscriber is measured against.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use komunikator::protocol::signature::{key_to_base64, SecretKeys};
use komunikator_testkit::mqtt;

use crate::{now_us, QOS1_WINDOW, TOPIC};

/// A minimal MQTT 3.1.1 publisher over a plain socket: no library in the way.
pub(crate) struct Publisher {
    stream: TcpStream,
    acked: Option<mpsc::Receiver<u64>>,
    ts: String,
    run: String,
    /// Signs every payload, as a komunikator sender does.
    signer: Option<SecretKeys>,
}

/// The signing publisher's seed: fixed, so the subscriber can be told its key.
const SIGNER_SEED: [u8; 32] = [7; 32];

/// The signing publisher's public key, as the known-keys file holds it.
pub(crate) fn signer_key() -> String {
    key_to_base64(&SecretKeys::from_seed(&SIGNER_SEED).public().sign)
}

impl Publisher {
    pub(crate) fn connect(port: u16, run: &str, signed: bool) -> Publisher {
        let stream = mqtt::connect(port, &format!("e2e-pub-{run}"), 0);
        stream.set_nodelay(true).expect("nodelay");
        Publisher {
            stream,
            acked: None,
            ts: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            run: run.to_owned(),
            signer: signed.then(|| SecretKeys::from_seed(&SIGNER_SEED)),
        }
    }

    /// Counts PUBACKs on a thread of its own; the sender keeps a window.
    pub(crate) fn start_acks(&mut self) {
        let mut stream = self.stream.try_clone().expect("clone socket");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            let mut pending = 0usize; // bytes of a PUBACK cut by a read boundary
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 {
                    return;
                }
                // Only PUBACKs (4 bytes each) come back on this connection.
                let total = pending + n;
                let acks = total / 4;
                pending = total % 4;
                if acks > 0 && tx.send(acks as u64).is_err() {
                    return;
                }
            }
        });
        self.acked = Some(rx);
    }

    pub(crate) fn packet(&self, out: &mut Vec<u8>, qos: u8, seq: u64, label: &str, pkid: u16) {
        let payload = format!(
            r#"{{"v":1,"id":"{}-{label}-{seq}","user":"pub","text":"{label} {seq} {}","ts":"{}"}}"#,
            self.run,
            now_us(),
            self.ts
        );
        let payload = match &self.signer {
            Some(keys) => keys.sign(TOPIC, payload.into_bytes()),
            None => payload.into_bytes(),
        };
        mqtt::publish_header(out, TOPIC, qos, false, pkid, payload.len());
        out.extend_from_slice(&payload);
    }

    /// Publishes `count` messages, `label seq time`, each at `pace` apart or
    /// as fast as possible (written in 32 KiB blocks).
    pub(crate) fn publish(&mut self, qos: u8, label: &str, count: u64, pace: Option<Duration>) {
        if qos > 0 && self.acked.is_none() {
            self.start_acks();
        }
        let mut sent = 0u64;
        let mut acked = 0u64;
        let mut buf = Vec::with_capacity(64 * 1024);
        let start = Instant::now();
        for seq in 0..count {
            if qos > 0 {
                let rx = self.acked.as_ref().expect("ack counter");
                while let Ok(n) = rx.try_recv() {
                    acked += n;
                }
                while sent - acked >= QOS1_WINDOW {
                    if !buf.is_empty() {
                        self.stream.write_all(&buf).expect("publish");
                        buf.clear();
                    }
                    acked += rx.recv_timeout(Duration::from_secs(30)).expect("PUBACKs stopped");
                }
            }
            if let Some(pace) = pace {
                let at = start + pace * seq as u32;
                let now = Instant::now();
                if at > now {
                    thread::sleep(at - now);
                }
            }
            let pkid = (seq % 65_000) as u16 + 1;
            self.packet(&mut buf, qos, seq, label, pkid);
            sent += 1;
            if pace.is_some() || buf.len() >= 32 * 1024 {
                self.stream.write_all(&buf).expect("publish");
                buf.clear();
            }
        }
        self.stream.write_all(&buf).expect("publish");
        if qos > 0 {
            let rx = self.acked.as_ref().expect("ack counter");
            while acked < sent {
                acked += rx.recv_timeout(Duration::from_secs(30)).expect("PUBACKs stopped");
            }
        }
    }
}
