//! The probes, one module per group, and the order they run in
//! ([`run_all`]). Each probe adds its rows to the [`Report`].
//!
//! - `limits`: what the v5 listener's CONNACK announces, and the limits a
//!   client sets (assigned id, keep alive 0, receive maximum, maximum packet
//!   size).
//! - `wills`, `expiry`, `sessions`: what outlives a connection (delayed
//!   wills, expiring messages, session expiry).
//! - `reason_codes`: how bad publishes are answered.
//! - `subscription`: subscription options (no local, retain handling, retain
//!   as published).
//! - `properties`: what becomes of a publish's properties on the way
//!   through, topic aliases, shared subscriptions.
//! - `listeners`: what each listener does with the other protocol.

mod expiry;
mod limits;
mod listeners;
mod properties;
mod reason_codes;
mod sessions;
mod subscription;
mod wills;

use crate::report::Report;
use crate::Ports;

pub(crate) async fn run_all(ports: Ports, report: &mut Report) {
    eprintln!("probing (rows are printed as they are found; the table follows)");
    limits::connack(ports, report).await;
    limits::assigned_client_id(ports, report).await;
    limits::zero_keep_alive(ports, report).await;
    limits::client_receive_maximum(ports, report).await;
    limits::client_maximum_packet_size(ports, report).await;
    wills::wills(ports, report).await;
    expiry::message_expiry(ports, report).await;
    sessions::sessions(ports, report).await;
    reason_codes::reason_codes(ports, report).await;
    subscription::no_local(ports, report).await;
    subscription::retain_handling(ports, report).await;
    subscription::retain_as_published(ports, report).await;
    properties::properties(ports, report).await;
    properties::topic_alias_from_client(ports, report).await;
    properties::shared_subscription(ports, report).await;
    listeners::listeners(ports, report).await;
}
