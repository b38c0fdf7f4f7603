//! The chat object as the protocol defines it: every field present and of
//! its type. serde reads it (the reference); `fast_strict` reads the same
//! without serde, and gives up where it could differ.

use std::borrow::Cow;

use serde::Deserialize;

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct StrictChat<'a> {
    pub(super) v: u64,
    #[serde(borrow)]
    pub(super) id: Cow<'a, str>,
    #[serde(borrow)]
    pub(super) user: Cow<'a, str>,
    #[serde(borrow)]
    pub(super) text: Cow<'a, str>,
    #[serde(borrow)]
    pub(super) ts: Cow<'a, str>,
    #[serde(default, borrow)]
    pub(super) kind: Option<Cow<'a, str>>,
    /// A sealed direct message's boxes (protocol::sealed), read when opened.
    #[serde(default, borrow)]
    pub(super) enc: Option<RawMember<'a>>,
}

/// A member kept as its raw JSON text.
#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug))]
#[serde(transparent)]
pub(super) struct RawMember<'a>(#[serde(borrow)] pub(super) &'a serde_json::value::RawValue);

#[cfg(test)]
impl PartialEq for RawMember<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}
