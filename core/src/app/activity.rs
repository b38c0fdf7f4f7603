//! Alt-A: to the next room that calls the user, then to any with activity;
//! a click on a room in the side panel.

use super::keys::switch_to;
use super::{layout, Effect, State};

impl State {
    /// The next room after the active one (wrapping) with a mention or a
    /// direct message unread, else the next with anything unread.
    pub fn next_activity(&self) -> Option<usize> {
        let count = self.rooms.len();
        let after = || (1..count).map(|step| (self.active + step) % count);
        after()
            .find(|&i| self.rooms[i].mentioned)
            .or_else(|| after().find(|&i| self.rooms[i].unread > 0))
    }

    pub(super) fn go_to_activity(&mut self, fx: &mut Vec<Effect>) {
        match self.next_activity() {
            Some(index) => switch_to(self, index),
            None => self.notice("no activity", fx),
        }
    }

    /// A left click at this screen cell: a room in the side panel goes on screen.
    pub(super) fn clicked(&mut self, column: u16, row: u16) {
        if self.show_help {
            return;
        }
        if let Some(index) = layout::room_at(self, column, row) {
            self.close_overlay();
            switch_to(self, index);
        }
    }
}
