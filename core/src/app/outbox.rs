//! Messages on their way to the broker, kept until it acknowledges them.
//!
//! rumqttc forgets unacknowledged publishes when it reconnects to a broker that
//! kept no session, so the outbox is the only record: whatever is not acked when
//! the link drops is handed over again, in order, once it is back.

use std::collections::VecDeque;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    pub tag: u64,
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: u8,
    pub retain: bool,
    /// Seconds the broker may keep it (MQTT 5; ignored at 3.1.1).
    pub expiry: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Queued,
    InFlight,
}

#[derive(Debug)]
struct Item {
    publish: Publish,
    slot: Slot,
    /// Connections that ended while this was the oldest message in flight.
    drops: u32,
}

#[derive(Debug)]
pub struct Outbox {
    items: VecDeque<Item>,
    cap: usize,
    window: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full(pub usize);

impl Outbox {
    /// `cap`: messages kept at most; `window`: handed to the network at once.
    pub fn new(cap: usize, window: usize) -> Self {
        Outbox {
            items: VecDeque::new(),
            cap,
            window,
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The tag of the message waiting longest (tests ack in order with it).
    #[cfg(test)]
    pub(crate) fn oldest_tag(&self) -> Option<u64> {
        self.items.front().map(|i| i.publish.tag)
    }

    pub fn push(&mut self, publish: Publish) -> Result<(), Full> {
        if self.items.len() >= self.cap {
            return Err(Full(self.cap));
        }
        self.items.push_back(Item {
            publish,
            slot: Slot::Queued,
            drops: 0,
        });
        Ok(())
    }

    /// Marks the next queued messages in flight and returns them, in order.
    pub fn take_ready(&mut self) -> Vec<Publish> {
        let in_flight = self.items.iter().filter(|i| i.slot == Slot::InFlight).count();
        let room = self.window.saturating_sub(in_flight);
        self.items
            .iter_mut()
            .filter(|i| i.slot == Slot::Queued)
            .take(room)
            .map(|i| {
                i.slot = Slot::InFlight;
                i.publish.clone()
            })
            .collect()
    }

    /// The broker has it: forget it.
    pub fn acked(&mut self, tag: u64) -> Option<Publish> {
        let i = self.items.iter().position(|i| i.publish.tag == tag)?;
        self.items.remove(i).map(|i| i.publish)
    }

    /// The connection dropped: everything in flight is sent again later.
    ///
    /// A message the broker never acknowledges because it drops the
    /// connection instead (larger than it accepts, say) would block the
    /// outbox forever: the oldest message in flight counts such drops, and
    /// after `max_drops` of them it is given up and returned.
    pub fn requeue_in_flight(&mut self, max_drops: u32) -> Option<Publish> {
        let oldest = self.items.iter_mut().find(|i| i.slot == Slot::InFlight);
        let give_up = oldest.is_some_and(|i| {
            i.drops += 1;
            i.drops >= max_drops
        });
        let given_up = if give_up {
            let i = self.items.iter().position(|i| i.slot == Slot::InFlight)?;
            self.items.remove(i).map(|i| i.publish)
        } else {
            None
        };
        for item in &mut self.items {
            item.slot = Slot::Queued;
        }
        given_up
    }

    /// Empties the outbox, returning what it held in order.
    pub fn take_all(&mut self) -> Vec<Publish> {
        self.items.drain(..).map(|i| i.publish).collect()
    }

    /// True while another message fits.
    pub fn has_room(&self) -> bool {
        self.items.len() < self.cap
    }

    /// How many more messages fit.
    pub fn room(&self) -> usize {
        self.cap.saturating_sub(self.items.len())
    }

    pub fn requeue(&mut self, tag: u64) {
        if let Some(item) = self.items.iter_mut().find(|i| i.publish.tag == tag) {
            item.slot = Slot::Queued;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publish(tag: u64) -> Publish {
        Publish {
            tag,
            topic: "chat/r".into(),
            payload: vec![],
            qos: 1,
            retain: false,
            expiry: None,
        }
    }

    fn tags(ps: &[Publish]) -> Vec<u64> {
        ps.iter().map(|p| p.tag).collect()
    }

    #[test]
    fn hands_over_in_order_within_the_window() {
        let mut out = Outbox::new(10, 2);
        for t in 1..=3 {
            out.push(publish(t)).unwrap();
        }
        assert_eq!(tags(&out.take_ready()), [1, 2]);
        assert!(out.take_ready().is_empty());
        out.acked(1);
        assert_eq!(tags(&out.take_ready()), [3]);
    }

    #[test]
    fn unacked_messages_go_again_after_a_drop_in_the_same_order() {
        let mut out = Outbox::new(10, 10);
        for t in 1..=3 {
            out.push(publish(t)).unwrap();
        }
        out.take_ready();
        out.acked(2);
        assert_eq!(out.requeue_in_flight(3), None);
        assert_eq!(tags(&out.take_ready()), [1, 3]);
    }

    #[test]
    fn the_oldest_message_in_flight_is_given_up_after_repeated_drops() {
        let mut out = Outbox::new(10, 10);
        for t in 1..=3 {
            out.push(publish(t)).unwrap();
        }
        out.take_ready();
        out.acked(1);
        for _ in 0..2 {
            assert_eq!(out.requeue_in_flight(3), None);
            // Dropped while not in flight: does not count.
            assert_eq!(out.requeue_in_flight(3), None);
            out.take_ready();
        }
        assert_eq!(out.requeue_in_flight(3).map(|p| p.tag), Some(2));
        assert_eq!(tags(&out.take_ready()), [3], "the others go on");
    }

    #[test]
    fn refuses_beyond_its_cap() {
        let mut out = Outbox::new(1, 1);
        out.push(publish(1)).unwrap();
        assert_eq!(out.push(publish(2)), Err(Full(1)));
    }
}
