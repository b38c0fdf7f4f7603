//! Timers for the state's deadlines (the quit timeout): both front ends
//! wait on them in their `select!`.

use chrono::{DateTime, Utc};
use tokio::time::Instant;

/// The monotonic moment of a wall-clock `deadline` (reading the clock now).
pub fn instant_of(deadline: Option<DateTime<Utc>>) -> Option<Instant> {
    let deadline = deadline?;
    let wait = (deadline - Utc::now()).to_std().unwrap_or_default();
    Some(Instant::now() + wait)
}

/// Sleeps until `at`, or forever when there is nothing to wait for.
pub async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
