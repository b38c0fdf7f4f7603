//! Loopback ports for brokers and proxies, and waiting until one listens.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::Child;
use std::time::{Duration, Instant};

/// How many ports a broker gets to try: another process may take the port
/// between our probe and the broker's bind, and then the broker exits.
const BIND_ATTEMPTS: usize = 5;

/// A loopback port nothing listens on right now (the OS picks it; never 1883,
/// where a developer's own broker may run).
pub fn free_port() -> u16 {
    loop {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a free port");
        let port = listener.local_addr().expect("local address").port();
        if port != 1883 {
            return port;
        }
    }
}

/// Runs `start` on free ports until it succeeds: it returns `Err(what the
/// server said)` when the port was taken meanwhile. Panics after a few tries
/// with the last thing said.
pub fn on_a_free_port<T>(what: &str, mut start: impl FnMut(u16) -> Result<T, String>) -> T {
    let mut last = String::new();
    for _ in 0..BIND_ATTEMPTS {
        match start(free_port()) {
            Ok(started) => return started,
            Err(said) => last = said,
        }
    }
    panic!("{what} did not start on a free port in {BIND_ATTEMPTS} tries; it said last:\n{last}");
}

/// True once `port` accepts connections; false if `process` exited first.
/// Panics when neither happens within `timeout`.
pub fn wait_until_listening(process: &mut Child, port: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    while Instant::now() < deadline {
        if let Ok(Some(_)) = process.try_wait() {
            return false;
        }
        if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("nothing accepted connections on port {port} within {timeout:?}");
}
