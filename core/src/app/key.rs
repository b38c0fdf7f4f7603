//! The keys the state machine understands, independent of any terminal
//! library: the terminal edge converts its own key events into these.

/// A key the user pressed (or that repeats while held; releases never come).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: Mods,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyCode {
    Char(char),
    Enter,
    Tab,
    Backspace,
    Delete,
    Left,
    Right,
    Up,
    Down,
    Home,
    End,
    PageUp,
    PageDown,
    Esc,
    /// A function key, F1 is `F(1)`.
    F(u8),
    /// Any other key: bound to nothing, but it still closes the help overlay.
    Other,
}

/// Modifiers held with a key. Shift is not tracked: the terminal already
/// reports it in the character (`A` rather than `a`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Mods {
    pub ctrl: bool,
    pub alt: bool,
}

impl Mods {
    pub const NONE: Mods = Mods {
        ctrl: false,
        alt: false,
    };
    pub const CTRL: Mods = Mods { ctrl: true, alt: false };
    pub const ALT: Mods = Mods { ctrl: false, alt: true };

    /// True when every modifier in `required` is held (others may be too).
    pub fn includes(self, required: Mods) -> bool {
        (self.ctrl || !required.ctrl) && (self.alt || !required.alt)
    }

    /// How many modifiers this holds: a binding asking for more is the
    /// more specific one.
    pub fn count(self) -> u8 {
        u8::from(self.ctrl) + u8::from(self.alt)
    }
}

impl Key {
    pub const fn new(code: KeyCode, mods: Mods) -> Key {
        Key { code, mods }
    }

    /// The key alone, without modifiers.
    pub const fn plain(code: KeyCode) -> Key {
        Key::new(code, Mods::NONE)
    }

    pub const fn ctrl(c: char) -> Key {
        Key::new(KeyCode::Char(c), Mods::CTRL)
    }

    pub const fn alt(c: char) -> Key {
        Key::new(KeyCode::Char(c), Mods::ALT)
    }
}
