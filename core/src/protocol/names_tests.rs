use super::*;

#[test]
fn accepts_letters_digits_and_punctuation_allowed_by_the_rule() {
    for ok in ["alice", "Bob_2", "a-b.c", "łódź", "日本", "x", &"a".repeat(32)] {
        assert_eq!(validate_username(ok), Ok(()), "{ok}");
    }
    assert_eq!(validate_room(&"r".repeat(64)), Ok(()));
}

#[test]
fn refuses_every_broken_rule_with_a_message_naming_it() {
    let cases = [
        ("", "empty"),
        ("a/b", "'/'"),
        ("a+b", "'+'"),
        ("a#b", "'#'"),
        ("a b", "a space"),
        ("$SYS", "'$'"),
        ("a\u{1b}b", "control character (U+001B)"),
        ("a\u{9b}b", "control character (U+009B)"),
        ("a\u{202e}b", "U+202E"),
        ("a\u{200b}b", "U+200B"),
        ("a\tb", "control character"),
    ];
    for (name, needle) in cases {
        let err = validate_username(name).unwrap_err().to_string();
        assert!(err.contains(needle), "{name:?}: {err}");
        assert!(err.contains("1 to 32 characters"), "{err}");
    }
    let long = validate_username(&"a".repeat(33)).unwrap_err().to_string();
    assert!(long.contains("33 characters long"), "{long}");
    let room = validate_room(&"r".repeat(65)).unwrap_err().to_string();
    assert!(room.starts_with("invalid room name"), "{room}");
}

#[test]
fn accepts_single_script_names_and_the_mixes_uts_39_allows() {
    let valid = [
        "łódź",
        "алиса",
        "日本",
        "ひらがな",
        "Ελένη",
        "José",
        "Bob_2",
        "a-b.c",
        "x1",
        "alice日本",
        "aliceひらがな",
        "日本ー",
        "alice한국",
        "Ωμέγα-2",
        "алиса_99",
        "aIice",
    ];
    for ok in valid {
        assert_eq!(validate_username(ok), Ok(()), "{ok}");
        assert_eq!(validate_room(ok), Ok(()), "{ok}");
    }
}

#[test]
fn refuses_look_alikes_naming_the_rule_broken() {
    use NameRule::{Characters, Identifier, OneScript, Visible};
    let rule_text = |rule| match rule {
        Characters => "(the rule: 1 to 32 characters; letters, digits, '_', '-', '.')",
        Visible => "(the rule: no invisible, blank-looking or formatting characters)",
        Identifier => "(the rule: only characters that Unicode's UTS #39 allows in identifiers)",
        OneScript => "(the rule: one script per name, or Latin with one other script",
    };
    let cases = [
        (
            "alice\u{3164}",
            Visible,
            "U+3164 (an invisible or blank-looking character)",
        ),
        ("\u{3164}", Visible, "U+3164"),
        ("\u{115F}bob", Visible, "U+115F"),
        ("bob\u{1160}", Visible, "U+1160"),
        ("\u{FFA0}\u{FFA0}", Visible, "U+FFA0"),
        (
            "a\u{2800}b",
            Characters,
            "U+2800 (an invisible or blank-looking character)",
        ),
        ("a\u{feff}", Characters, "U+FEFF (an invisible"),
        ("\u{430}lice", OneScript, "mixes Cyrillic and Latin letters"),
        ("p\u{430}ypal", OneScript, "mixes Latin and Cyrillic letters"),
        ("b\u{3bf}b", OneScript, "mixes Latin and Greek letters"),
        ("a\u{3bf}\u{43e}", OneScript, "mixes Latin, Greek and Cyrillic letters"),
        ("\u{ff41}lice", Identifier, "U+FF41 (a compatibility form"),
        ("\u{1d41a}lice", Identifier, "U+1D41A"),
        ("\u{13a0}\u{13a1}", Identifier, "U+13A0 (from a script of limited use"),
    ];
    for (name, rule, needle) in cases {
        let err = validate_username(name).unwrap_err();
        assert_eq!(err.rule, rule, "{name:?}: {err}");
        let text = err.to_string();
        assert!(text.starts_with("invalid username: "), "{text}");
        assert!(text.contains(needle), "{name:?}: {text:?} lacks {needle:?}");
        assert!(text.contains(rule_text(rule)), "{text:?}: no rule");
        assert!(!text.contains(name), "{name:?} echoed raw: {text:?}");
    }
    let room = validate_room("r\u{43e}om").unwrap_err().to_string();
    assert!(
        room.starts_with("invalid room name: it mixes Latin and Cyrillic"),
        "{room}"
    );
}

#[test]
fn refuses_every_listed_invisible_character_alone_and_inside_a_name() {
    let listed = [
        0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x180E, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0x200B, 0x200C, 0x200D,
        0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0xFEFF, 0x00AD, 0x034F,
        0xFE00, 0xFE0F, 0xE0100, 0xE01EF, 0x17B4, 0x17B5, 0x1BCA0, 0xE0001,
    ];
    for code in listed {
        let c = char::from_u32(code).unwrap();
        assert!(invisible(c), "U+{code:04X}");
        for name in [
            c.to_string(),
            format!("alice{c}"),
            format!("{c}日本"),
            format!("ł{c}ódź"),
        ] {
            let err = validate_username(&name).unwrap_err().to_string();
            assert!(err.contains(&format!("U+{code:04X}")), "{err}");
            assert!(err.contains("invisible"), "{err}");
        }
    }
}

#[test]
fn no_valid_name_shows_as_nothing() {
    // Every character a name may hold leaves something in its skeleton.
    for c in (0..=0x10FFFF).filter_map(char::from_u32) {
        if validate_username(&c.to_string()).is_ok() {
            assert!(!skeleton(&c.to_string()).is_empty(), "U+{:04X}", c as u32);
        }
    }
}

#[test]
fn skeletons_match_exactly_for_look_alike_names() {
    let same = [
        ("\u{430}lice", "alice"),
        ("aIice", "alice"),
        ("p\u{430}ypal", "paypal"),
        ("b\u{3bf}b", "bob"),
        ("x1", "xl"),
        ("rn", "m"),
        ("\u{441}\u{43e}\u{440}\u{435}", "cope"),
    ];
    for (a, b) in same {
        assert_eq!(skeleton(a), skeleton(b), "{a:?} {b:?}");
        assert!(confusable(a, b), "{a:?} {b:?}");
    }
    let different = [
        ("bob", "rob"),
        ("alice", "alicia"),
        ("日本", "本日"),
        ("Alice", "alice"),
    ];
    for (a, b) in different {
        assert_ne!(skeleton(a), skeleton(b), "{a:?} {b:?}");
        assert!(!confusable(a, b), "{a:?} {b:?}");
    }
    assert!(!confusable("alice", "alice"), "a name is not confusable with itself");
    assert_eq!(skeleton("alice\u{200b}"), "alice", "invisible characters drop out");
}
