use komunikator_history::Archive;

use crate::temp;

#[test]
fn keeps_payloads_byte_for_byte_per_room() {
    let dir = temp();
    let mut archive = Archive::open(&dir.path().join("keeper").join("archive.db")).unwrap();
    assert!(!archive.keeps("general").unwrap());
    // Not UTF-8, with a NUL: kept as it came.
    let odd = [0xff, 0x00, b'{', 0xfe];
    assert!(archive.keep("general", "a", 1000, &odd).unwrap());
    assert!(archive.keep("general", "b", 3000, b"{\"t\":\"b\"}").unwrap());
    assert!(archive.keep("general", "c", 2000, b"{\"t\":\"c\"}").unwrap());
    assert!(archive.keep("@bob", "a", 500, b"bob's").unwrap());
    // The same room and id again is not kept twice, nor replaced.
    assert!(!archive.keep("general", "a", 9000, b"other").unwrap());

    assert!(archive.keeps("general").unwrap());
    assert!(archive.keeps("@bob").unwrap());
    assert!(!archive.keeps("random").unwrap());
    let all = archive.recent("general", None, 10).unwrap();
    assert_eq!(
        all,
        [odd.to_vec(), b"{\"t\":\"c\"}".to_vec(), b"{\"t\":\"b\"}".to_vec()]
    );
    // The newest two, oldest first.
    assert_eq!(
        archive.recent("general", None, 2).unwrap(),
        [b"{\"t\":\"c\"}".to_vec(), b"{\"t\":\"b\"}".to_vec()]
    );
    // Strictly after a time.
    assert_eq!(
        archive.recent("general", Some(2000), 10).unwrap(),
        [b"{\"t\":\"b\"}".to_vec()]
    );
    assert!(archive.recent("general", Some(3000), 10).unwrap().is_empty());
    assert_eq!(archive.recent("@bob", Some(0), 10).unwrap(), [b"bob's".to_vec()]);
}

#[test]
fn prune_keeps_the_newest_per_room_and_nothing_too_old() {
    let dir = temp();
    let mut archive = Archive::open(&dir.path().join("archive.db")).unwrap();
    for i in 0..100_i64 {
        for room in ["general", "random"] {
            archive
                .keep(room, &i.to_string(), i * 1000, i.to_string().as_bytes())
                .unwrap();
        }
    }
    archive.keep("quiet", "only", 95_000, b"only").unwrap();
    // Ten per room: 90 + 90 go.
    assert_eq!(archive.prune(10, i64::MAX, 100_000).unwrap(), 180);
    let general = archive.recent("general", None, 100).unwrap();
    assert_eq!(general.first().map(Vec::as_slice), Some(&b"90"[..]));
    assert_eq!(general.len(), 10);
    assert_eq!(archive.recent("quiet", None, 100).unwrap().len(), 1);
    // Nothing older than 5 s (before 95 000): 90..94 of both rooms go.
    assert_eq!(archive.prune(10, 5000, 100_000).unwrap(), 10);
    assert_eq!(archive.recent("random", None, 100).unwrap().len(), 5);
    assert!(archive.keeps("quiet").unwrap());
    // Too old everywhere: the room is no longer kept.
    assert_eq!(archive.prune(10, 0, 1_000_000).unwrap(), 11);
    assert!(!archive.keeps("general").unwrap());
}
