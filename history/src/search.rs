//! Full-text search over the history: the user's words, never FTS5's syntax.

use crate::fold::fold;
use crate::store::{sql_limit, Store, COLUMNS};
use crate::{Error, Stored};

impl Store {
    /// Messages that have every word of `text`, each as the start of a word
    /// (`zol` finds `żółw`), case and diacritics aside; in `room`, or in all
    /// rooms. Newest first (by the time shown; messages of one millisecond
    /// in the order they were stored), at most `limit`. Text without a word
    /// finds nothing.
    pub fn search(&self, text: &str, room: Option<&str>, limit: usize) -> Result<Vec<Stored>, Error> {
        let Some(query) = fts_query(text) else {
            return Ok(Vec::new());
        };
        // The index goes first (CROSS JOIN), read newest first by rowid (see
        // `rowid_for`), and stops at `limit` matches in the room.
        let columns = COLUMNS
            .split(", ")
            .map(|c| format!("m.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns} FROM messages_fts CROSS JOIN messages m ON m.rowid = messages_fts.rowid \
             WHERE messages_fts MATCH ?1 AND (?2 IS NULL OR m.room = ?2) \
             ORDER BY messages_fts.rowid DESC LIMIT ?3"
        );
        self.query(&sql, (query, room, sql_limit(limit)))
    }
}

/// The FTS5 query for `text`: each whitespace-separated word as a quoted
/// string (so `"`, `*`, `AND`, `(`, `-` are words, not syntax) with a prefix
/// star, all of them required. Words with no letter or digit are left out: to
/// the tokenizer they are no token, and an empty phrase would match nothing.
fn fts_query(text: &str) -> Option<String> {
    let folded = fold(text);
    let terms: Vec<String> = folded
        .split_whitespace()
        .filter(|word| word.chars().any(char::is_alphanumeric))
        .map(|word| format!("\"{}\"*", word.replace('"', "\"\"")))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn query_quotes_words_and_leaves_out_punctuation() {
        assert_eq!(fts_query("  "), None);
        assert_eq!(fts_query("- ( *"), None);
        assert_eq!(fts_query("Łódź AND"), Some("\"lódź\"* \"AND\"*".to_owned()));
        assert_eq!(fts_query("say \"hi\""), Some("\"say\"* \"\"\"hi\"\"\"*".to_owned()));
    }
}
