//! The keeper's MQTT connection: an MQTT 3.1.1 client (every broker speaks
//! it) that subscribes on every connect, hands each message to the logic,
//! publishes its replies, and keeps trying while the broker is away.

use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, MqttOptions, NetworkOptions, Packet, QoS, SubscribeFilter};

use super::logic::{Keeper, PRUNE_EVERY};
use super::KeeperConfig;
use crate::app::{MAX_INCOMING_PACKET, MAX_OUTGOING_PACKET};
use crate::protocol::ids::session_id;

/// The first wait after a failed connection; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Also bounds how late a prune may come: a ping goes out (and is an
/// event) at least this often while connected.
const KEEP_ALIVE: Duration = Duration::from_secs(30);
/// rumqttc's request queue. Replies are queued without waiting (the loop
/// that would empty the queue is this one); one that finds it full is dropped.
const REQUEST_QUEUE: usize = 256;

fn options(config: &KeeperConfig) -> MqttOptions {
    let client_id = format!("komunikator-keeper-{}", session_id(fastrand::u64(..)));
    let mut o = MqttOptions::new(client_id, config.server.host.clone(), config.server.port);
    // Clean session: nothing is owed to a keeper that was away; what was
    // said meanwhile is lost to it (and kept by any other keeper).
    o.set_keep_alive(KEEP_ALIVE)
        .set_clean_session(true)
        .set_max_packet_size(MAX_INCOMING_PACKET, MAX_OUTGOING_PACKET)
        .set_request_channel_capacity(REQUEST_QUEUE)
        .set_inflight(100);
    if let Some((user, password)) = &config.login {
        o.set_credentials(user.clone(), password.clone());
    }
    o
}

/// Serves until the process ends; never returns, never panics.
pub(super) async fn serve(mut keeper: Keeper, config: &KeeperConfig) {
    let (client, mut eventloop) = AsyncClient::new(options(config), REQUEST_QUEUE);
    // Each reply goes out at once rather than behind Nagle's algorithm.
    let mut network = NetworkOptions::new();
    network.set_tcp_nodelay(true);
    eventloop.set_network_options(network);

    let mut backoff = FIRST_BACKOFF;
    let mut next_prune = Instant::now() + PRUNE_EVERY;
    let mut connected_once = false;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                backoff = FIRST_BACKOFF;
                if !connected_once {
                    tracing::info!("keeper: connected to {}", config.server);
                    connected_once = true;
                }
                // rumqttc does not restore subscriptions, and a clean
                // session has none: asked for on every connect.
                let filters = keeper
                    .subscriptions()
                    .into_iter()
                    .map(|topic| SubscribeFilter::new(topic, QoS::AtLeastOnce));
                if let Err(e) = client.try_subscribe_many(filters) {
                    tracing::warn!("keeper: cannot subscribe: {e}");
                }
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                let reply = keeper.on_message(&p.topic, &p.payload, p.retain, chrono::Utc::now());
                if let Some((topic, payload)) = reply {
                    if let Err(e) = client.try_publish(topic, QoS::AtLeastOnce, false, payload) {
                        tracing::debug!("keeper: a reply is dropped: {e}");
                    }
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(
                    "keeper: connection to {} failed ({e}); trying again in {:.1}s",
                    config.server,
                    backoff.as_secs_f32()
                );
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
        if Instant::now() >= next_prune {
            let forgotten = keeper.prune(chrono::Utc::now());
            tracing::debug!("keeper: {forgotten} old messages forgotten");
            next_prune = Instant::now() + PRUNE_EVERY;
        }
    }
}
