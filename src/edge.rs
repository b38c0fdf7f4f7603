//! What both front ends share at the edge: how long a quitting client waits.

use std::time::Duration;

use tokio::time::Instant;

use crate::app::{State, QUIT_GRACE};

/// After DISCONNECT, how long to wait for the broker to close the socket:
/// leaving earlier can make the kernel reset the connection, and the broker
/// then publishes the will although the exit was clean.
const CLOSE_WAIT: Duration = Duration::from_millis(1500);

/// The moment a quitting client stops waiting for acks and the broker.
#[derive(Debug, Default)]
pub struct QuitClock {
    deadline: Option<Instant>,
}

impl QuitClock {
    /// Starts the grace period once the state begins to quit.
    pub fn arm_if_quitting(&mut self, state: &State) {
        if self.deadline.is_none() && state.is_quitting() {
            self.deadline = Some(Instant::now() + QUIT_GRACE);
        }
    }

    /// DISCONNECT is on its way: wait for the close, but not for long.
    pub fn disconnect_sent(&mut self) {
        let close_by = Instant::now() + CLOSE_WAIT;
        self.deadline = Some(self.deadline.map_or(close_by, |d| d.min(close_by)));
    }

    /// Resolves when the deadline passes; never, while there is none.
    pub async fn expired(&self) {
        sleep_until(self.deadline).await;
    }
}

/// Sleeps until `at`, or forever when there is nothing to wait for.
pub async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
