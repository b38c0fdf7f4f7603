//! The read marker (as weechat draws it): where the user stopped reading a
//! room. Set when they leave it, after its last entry; on coming back, what
//! came after it is drawn below a `new since HH:MM` rule, until they leave
//! the room again.

use chrono::{DateTime, Utc};

use super::room::Room;

/// Where reading stopped in a room, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadMark {
    /// The index in the room's entries of the first one not read yet.
    pub index: usize,
    /// When the user left the room.
    pub time: DateTime<Utc>,
}

impl Room {
    /// The user leaves the room at `now`: everything in it so far was read.
    pub fn leave(&mut self, now: DateTime<Utc>) {
        self.read_mark = Some(ReadMark {
            index: self.entries.len(),
            time: now,
        });
    }

    /// Where the rule goes, when entries came after the user left.
    pub fn unread_mark(&self) -> Option<ReadMark> {
        self.read_mark.filter(|mark| mark.index < self.entries.len())
    }

    /// The oldest entry went: the mark moves with the entries it stands between.
    pub(super) fn read_mark_popped(&mut self) {
        if let Some(mark) = &mut self.read_mark {
            mark.index = mark.index.saturating_sub(1);
        }
    }

    /// An entry went in at `index`: above the mark it was read, at or
    /// below it it is new.
    pub(super) fn read_mark_inserted(&mut self, index: usize) {
        if let Some(mark) = &mut self.read_mark {
            if index < mark.index {
                mark.index += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::app::room::Entry;

    fn notice(n: usize) -> Entry {
        Entry::Notice {
            time: DateTime::<Utc>::UNIX_EPOCH + TimeDelta::minutes(n as i64),
            text: n.to_string(),
        }
    }

    fn room_with(cap: usize, entries: usize) -> Room {
        let mut room = Room::new("r", cap, (1, 2));
        (0..entries).for_each(|n| room.push(notice(n)));
        room
    }

    #[test]
    fn the_mark_stands_where_the_user_left_and_shows_only_with_something_after_it() {
        let left = DateTime::<Utc>::UNIX_EPOCH + TimeDelta::hours(14);
        // (entries when left, entries pushed after, cap, the mark's index shown)
        let table = [
            (3, 0, 100, None),
            (3, 2, 100, Some(3)),
            (0, 1, 100, Some(0)),
            (3, 2, 4, Some(2)),
            (3, 5, 4, Some(0)),
        ];
        for (before, after, cap, want) in table {
            let mut room = room_with(cap, before);
            room.leave(left);
            (0..after).for_each(|n| room.push(notice(before + n)));
            let shown = room.unread_mark();
            assert_eq!(shown.map(|m| m.index), want, "{before} then {after}, cap {cap}");
            assert!(shown.is_none_or(|m| m.time == left));
        }
    }

    #[test]
    fn never_left_clears_and_leaving_again_moves_it() {
        let mut room = room_with(100, 3);
        assert_eq!(room.unread_mark(), None, "never left");
        room.leave(DateTime::<Utc>::UNIX_EPOCH);
        room.push(notice(9));
        assert_eq!(room.unread_mark().map(|m| m.index), Some(3));
        room.leave(DateTime::<Utc>::UNIX_EPOCH);
        assert_eq!(room.unread_mark(), None, "all read now");
        room.push(notice(10));
        room.clear();
        room.push(notice(11));
        assert_eq!(room.unread_mark(), None, "cleared");
    }
}
