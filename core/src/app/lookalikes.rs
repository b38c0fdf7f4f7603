//! Names that look like others': `аlice` (Cyrillic а) next to `alice`,
//! `aIice` (capital i). The first name seen with a given confusable
//! skeleton (Unicode UTS #39) keeps it; a later, different name with the
//! same skeleton is flagged wherever it speaks. Names breaking the rules
//! (invisible characters, mixed scripts) are flagged too.

use std::collections::BTreeMap;

use super::room::Lookalike;
use crate::protocol::{skeleton, validate_username};

/// Names remembered at most; past it, new names are still checked, not kept.
const MAX_NAMES: usize = 20_000;

#[derive(Debug, Default)]
pub struct Lookalikes {
    /// Skeleton → the first name seen with it.
    first: BTreeMap<String, String>,
    /// Name → what was found about it (checked once per name).
    checked: BTreeMap<String, Option<Lookalike>>,
}

impl Lookalikes {
    /// What [`Lookalikes::see`] found for `name`, if it was seen.
    pub fn found(&self, name: &str) -> Option<&Lookalike> {
        self.checked.get(name).and_then(Option::as_ref)
    }

    /// Notes `name` as seen, and says whether it looks like a name seen
    /// before it (or is no valid name at all).
    pub fn see(&mut self, name: &str) -> Option<Lookalike> {
        if let Some(found) = self.checked.get(name) {
            return found.clone();
        }
        let found = match validate_username(name) {
            Err(err) => Some(Lookalike::Invalid(err.reason)),
            Ok(()) => {
                let skeleton = skeleton(name);
                match self.first.get(&skeleton) {
                    Some(first) if first != name => Some(Lookalike::Of(first.clone())),
                    Some(_) => None,
                    None => {
                        if self.first.len() < MAX_NAMES {
                            self.first.insert(skeleton, name.to_owned());
                        }
                        None
                    }
                }
            }
        };
        if self.checked.len() < MAX_NAMES {
            self.checked.insert(name.to_owned(), found.clone());
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_later_name_that_looks_like_an_earlier_one_is_flagged() {
        let mut names = Lookalikes::default();
        assert_eq!(names.see("alice"), None);
        assert_eq!(names.see("bob"), None);
        assert_eq!(names.see("alice"), None, "the same name again");
        assert_eq!(
            names.see("\u{430}lice"),
            Some(Lookalike::Invalid(
                crate::protocol::validate_username("\u{430}lice").unwrap_err().reason
            )),
            "mixed scripts break the name rules"
        );
        assert_eq!(names.see("aIice"), Some(Lookalike::Of("alice".into())));
        // Whole-script Cyrillic that reads as "alice".
        assert_eq!(
            names.see("\u{430}\u{4cf}\u{456}\u{441}\u{435}"),
            Some(Lookalike::Of("alice".into()))
        );
        assert_eq!(names.see("алиса"), None, "a Cyrillic name of its own");
        assert!(matches!(names.see("alice\u{3164}"), Some(Lookalike::Invalid(_))));
        assert!(matches!(names.see("\u{3164}"), Some(Lookalike::Invalid(_))));
        assert_eq!(names.see("łódź"), None);
    }
}
