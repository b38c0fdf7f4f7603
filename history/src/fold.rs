//! Folding of the letters that SQLite's `unicode61` tokenizer keeps apart.
//!
//! `remove_diacritics 2` strips what Unicode decomposes (ż → z, ó → o), but
//! letters like `ł`, `ø` or `đ` are letters of their own to Unicode, so
//! `zolw` would not find `żółw`. People type the bare letter on a keyboard
//! without the layout, so both the indexed text and the query go through
//! [`fold`] first; `unicode61` then does case and the decomposable marks.
//!
//! The full-text index holds folded tokens, and deleting a row from it needs
//! the very tokens it was indexed with: changing this table changes what is
//! indexed, so it needs a schema migration that rebuilds the index.

use std::borrow::Cow;

use rusqlite::functions::FunctionFlags;
use rusqlite::Connection;

/// The SQL name of [`fold`], used by the schema's view and triggers: a
/// connection that lacks it (the `sqlite3` shell) fails to write messages
/// instead of putting tokens into the index that a delete could not find.
pub(crate) const SQL_NAME: &str = "komunikator_fold";

/// The letter's replacement, for the letters without a Unicode decomposition.
fn replacement(c: char) -> Option<&'static str> {
    Some(match c {
        'ł' | 'Ł' | 'ŀ' | 'Ŀ' => "l",
        'đ' | 'Đ' | 'ð' | 'Ð' => "d",
        'ø' | 'Ø' => "o",
        'ħ' | 'Ħ' => "h",
        'ı' => "i",
        'ŧ' | 'Ŧ' => "t",
        'ß' | 'ẞ' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'þ' | 'Þ' => "th",
        _ => return None,
    })
}

/// `text` with the letters above replaced; borrowed when there are none (most text).
pub(crate) fn fold(text: &str) -> Cow<'_, str> {
    let Some(first) = text.find(|c| replacement(c).is_some()) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 4);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        match replacement(c) {
            Some(r) => out.push_str(r),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Makes [`fold`] callable from SQL on `conn`, before anything touches the schema.
pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC | FunctionFlags::SQLITE_INNOCUOUS;
    conn.create_scalar_function(SQL_NAME, 1, flags, |ctx| {
        let text = ctx
            .get_raw(0)
            .as_str()
            .map_err(|e| rusqlite::Error::UserFunctionError(e.into()))?;
        Ok(fold(text).into_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folds_only_what_unicode_does_not_decompose() {
        assert_eq!(fold("Żółw, Łódź"), "Żólw, lódź");
        assert_eq!(fold("Straße, Ærø"), "Strasse, aero");
        assert!(matches!(fold("plain ascii"), std::borrow::Cow::Borrowed(_)));
    }
}
