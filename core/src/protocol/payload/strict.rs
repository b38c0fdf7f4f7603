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
}
