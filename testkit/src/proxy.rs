//! A TCP proxy in front of a broker that forwards, refuses or swallows
//! traffic: how tests make a link fail in ways a broker crash cannot.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::Duration;

/// What a [`Proxy`] does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyMode {
    /// Passes bytes both ways.
    Forward,
    /// Closes new and existing connections at once (the client sees a refusal).
    Refuse,
    /// Keeps sockets open but delivers nothing either way: a half-open link.
    /// A connection that saw this never forwards again (its stream is torn).
    Blackhole,
}

/// A TCP proxy on a free loopback port in front of a broker; stopped on drop.
pub struct Proxy {
    pub port: u16,
    mode: std::sync::Arc<std::sync::Mutex<ProxyMode>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    listener: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    pub fn start(upstream_port: u16, mode: ProxyMode) -> Proxy {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind the proxy");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let port = listener.local_addr().expect("proxy address").port();
        let mode = Arc::new(Mutex::new(mode));
        let stop = Arc::new(AtomicBool::new(false));
        let (mode2, stop2) = (mode.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                let client = match listener.accept() {
                    Ok((client, _)) => client,
                    Err(_) => {
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    }
                };
                let now = *mode2.lock().unwrap();
                let upstream = match now {
                    ProxyMode::Refuse => continue,
                    ProxyMode::Blackhole => None,
                    ProxyMode::Forward => match TcpStream::connect((Ipv4Addr::LOCALHOST, upstream_port)) {
                        Ok(s) => Some(s),
                        Err(_) => continue,
                    },
                };
                let _ = client.set_nonblocking(false);
                let dead = Arc::new(AtomicBool::new(now == ProxyMode::Blackhole));
                let up_write = upstream.as_ref().and_then(|u| u.try_clone().ok());
                let client_write = client.try_clone().ok();
                let (m, s, d) = (mode2.clone(), stop2.clone(), dead.clone());
                std::thread::spawn(move || pump(client, up_write, m, s, d));
                if let Some(upstream) = upstream {
                    let (m, s) = (mode2.clone(), stop2.clone());
                    std::thread::spawn(move || pump(upstream, client_write, m, s, dead));
                }
            }
        });
        Proxy {
            port,
            mode,
            stop,
            listener: Some(thread),
        }
    }

    pub fn set_mode(&self, mode: ProxyMode) {
        *self.mode.lock().unwrap() = mode;
    }
}

/// Copies `from` to `to` until either closes, following the proxy's mode.
fn pump(
    mut from: TcpStream,
    mut to: Option<TcpStream>,
    mode: std::sync::Arc<std::sync::Mutex<ProxyMode>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    dead: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    use std::sync::atomic::Ordering;
    let _ = from.set_read_timeout(Some(Duration::from_millis(50)));
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let now = *mode.lock().unwrap();
        if stop.load(Ordering::SeqCst) || now == ProxyMode::Refuse {
            break;
        }
        if now == ProxyMode::Blackhole {
            dead.store(true, Ordering::SeqCst);
        }
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                // The mode may have changed while waiting for these bytes.
                if *mode.lock().unwrap() == ProxyMode::Blackhole {
                    dead.store(true, Ordering::SeqCst);
                }
                if dead.load(Ordering::SeqCst) {
                    continue;
                }
                if let Some(to) = to.as_mut() {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    // A dead link tells neither side that the other closed: only our own
    // handles go away, and the socket stays open while the other side's pump
    // still holds it.
    if dead.load(Ordering::SeqCst) && !stop.load(Ordering::SeqCst) && *mode.lock().unwrap() != ProxyMode::Refuse {
        return;
    }
    let _ = from.shutdown(std::net::Shutdown::Both);
    if let Some(to) = to {
        let _ = to.shutdown(std::net::Shutdown::Both);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(thread) = self.listener.take() {
            let _ = thread.join();
        }
    }
}
