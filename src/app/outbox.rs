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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Queued,
    InFlight,
}

#[derive(Debug)]
pub struct Outbox {
    items: VecDeque<(Publish, Slot)>,
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

    pub fn push(&mut self, publish: Publish) -> Result<(), Full> {
        if self.items.len() >= self.cap {
            return Err(Full(self.cap));
        }
        self.items.push_back((publish, Slot::Queued));
        Ok(())
    }

    /// Marks the next queued messages in flight and returns them, in order.
    pub fn take_ready(&mut self) -> Vec<Publish> {
        let in_flight = self.items.iter().filter(|(_, s)| *s == Slot::InFlight).count();
        let room = self.window.saturating_sub(in_flight);
        self.items
            .iter_mut()
            .filter(|(_, s)| *s == Slot::Queued)
            .take(room)
            .map(|(p, s)| {
                *s = Slot::InFlight;
                p.clone()
            })
            .collect()
    }

    /// The broker has it: forget it.
    pub fn acked(&mut self, tag: u64) -> Option<Publish> {
        let i = self.items.iter().position(|(p, _)| p.tag == tag)?;
        self.items.remove(i).map(|(p, _)| p)
    }

    /// The connection dropped: everything in flight is sent again later.
    pub fn requeue_in_flight(&mut self) {
        for (_, slot) in &mut self.items {
            *slot = Slot::Queued;
        }
    }

    pub fn requeue(&mut self, tag: u64) {
        if let Some((_, slot)) = self.items.iter_mut().find(|(p, _)| p.tag == tag) {
            *slot = Slot::Queued;
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
        out.requeue_in_flight();
        assert_eq!(tags(&out.take_ready()), [1, 3]);
    }

    #[test]
    fn refuses_beyond_its_cap() {
        let mut out = Outbox::new(1, 1);
        out.push(publish(1)).unwrap();
        assert_eq!(out.push(publish(2)), Err(Full(1)));
    }
}
