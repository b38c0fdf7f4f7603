use komunikator_history::{Store, Stored};

use crate::{ids, message, temp};

/// Common words, so that the ones searched for are needles in a haystack.
const FILLER: [&str; 12] = [
    "hello", "world", "lunch", "today", "meeting", "later", "okay", "thanks", "see", "you", "maybe", "tomorrow",
];

#[test]
fn finds_a_word_among_100_000_messages() {
    let dir = temp();
    let mut store = Store::open(&dir.path().join("h.db")).unwrap();
    let batch: Vec<Stored> = (0..100_000_i64)
        .map(|i| {
            let room = if i % 2 == 0 { "general" } else { "random" };
            let words: Vec<&str> = (0..6)
                .map(|k| FILLER[usize::try_from((i * 7 + k * 5) % 12).unwrap()])
                .collect();
            let mut text = words.join(" ");
            if i == 31_337 {
                text.push_str(" the żółw is here");
            }
            message(room, &format!("{i:06}"), i, &text)
        })
        .collect();
    store.insert(&batch).unwrap();

    let found = store.search("żółw", None, 50).unwrap();
    assert_eq!(ids(&found), ["031337"]);
    assert_eq!(found[0].room, "random");
    // Prefix, case, diacritics (ż, ó) and the letters Unicode does not decompose (ł).
    for query in ["zolw", "ŻÓŁW", "Zol", "żół", "zołw", "the zolw", "ZOLW here"] {
        assert_eq!(ids(&store.search(query, None, 50).unwrap()), ["031337"], "{query}");
    }
    assert!(store.search("zolwie", None, 50).unwrap().is_empty());
    // Every word must match.
    assert!(store.search("zolw lunchbox", None, 50).unwrap().is_empty());
    // Room filter.
    assert_eq!(store.search("zolw", Some("random"), 50).unwrap().len(), 1);
    assert!(store.search("zolw", Some("general"), 50).unwrap().is_empty());
    // A common word: newest first, `limit` of them, from the right room.
    let common = store.search("lunch", Some("general"), 20).unwrap();
    assert_eq!(common.len(), 20);
    assert!(common.iter().all(|m| m.room == "general" && m.text.contains("lunch")));
    assert!(common.windows(2).all(|w| w[0].ts_ms > w[1].ts_ms));
    assert!(common[0].ts_ms >= 99_980);
}

#[test]
fn newest_first_by_the_time_shown_not_by_arrival() {
    let dir = temp();
    let mut store = Store::open(&dir.path().join("h.db")).unwrap();
    store.insert(&[message("general", "late", 5000, "apple pie")]).unwrap();
    // Older history fetched after the newer message arrived.
    store
        .insert(&[message("general", "early", 1000, "apple tart")])
        .unwrap();
    store
        .insert(&[message("general", "middle", 3000, "apple juice")])
        .unwrap();
    assert_eq!(
        ids(&store.search("apple", None, 10).unwrap()),
        ["late", "middle", "early"]
    );
    assert_eq!(ids(&store.search("apple", None, 2).unwrap()), ["late", "middle"]);
}

#[test]
fn query_syntax_in_the_text_is_words_not_errors() {
    let dir = temp();
    let mut store = Store::open(&dir.path().join("h.db")).unwrap();
    store
        .insert(&[
            message(
                "general",
                "1",
                1,
                "say \"hello\" AND (goodbye) -- not* NEAR me: col:umn",
            ),
            message("general", "2", 2, "something else entirely"),
        ])
        .unwrap();
    for query in [
        "\"",
        "*",
        "AND",
        "(",
        "-",
        ")",
        "\"hello",
        "hello\"",
        "hello AND",
        "NOT",
        "OR",
        "NEAR(",
        "col:",
        "^x",
        "a*b",
        "{x}",
        "'",
        "\"\"\"",
        "+",
        "---",
    ] {
        let result = store.search(query, None, 10);
        assert!(result.is_ok(), "{query:?}: {result:?}");
    }
    // The quoted operators are words like any other.
    assert_eq!(ids(&store.search("AND", None, 10).unwrap()), ["1"]);
    assert_eq!(ids(&store.search("\"hello\" (goodbye)", None, 10).unwrap()), ["1"]);
    assert_eq!(ids(&store.search("not*", None, 10).unwrap()), ["1"]);
    assert_eq!(ids(&store.search("col:umn", None, 10).unwrap()), ["1"]);
    // Nothing to look for: nothing found, no error.
    for blank in ["", "   ", "\t\n", "-", "( * )"] {
        assert!(store.search(blank, None, 10).unwrap().is_empty(), "{blank:?}");
    }
}

#[test]
fn many_messages_of_one_millisecond_are_all_stored_and_found() {
    let dir = temp();
    let mut store = Store::open(&dir.path().join("h.db")).unwrap();
    store.insert(&[message("general", "later", 2, "burst after")]).unwrap();
    // More than one millisecond's share of rowids, all at the same time.
    let burst: Vec<Stored> = (0..200)
        .map(|i| message("general", &format!("{i:03}"), 1, "burst"))
        .collect();
    assert_eq!(store.insert(&burst).unwrap(), 200);
    assert_eq!(store.count(None).unwrap(), 201);
    assert_eq!(store.search("burst", None, 1000).unwrap().len(), 201);
    // Paging keeps to the time shown, whatever the rowids.
    assert_eq!(store.recent("general", 1).unwrap()[0].id, "later");
    assert_eq!(store.before("general", 2, "later", 1000).unwrap().len(), 200);
}
