//! Encoding thresholds are process-wide statics, so the tests that change them live in
//! their own test binary (a separate process) and run one at a time under a lock,
//! restoring the Redis defaults afterwards.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use pilgrim::types::hash::{HASH_MAX_LISTPACK_ENTRIES, HASH_MAX_LISTPACK_VALUE, Hash};
use pilgrim::types::set::{
    SET_MAX_INTSET_ENTRIES, SET_MAX_LISTPACK_ENTRIES, SET_MAX_LISTPACK_VALUE, Set,
};

static LOCK: Mutex<()> = Mutex::new(());

/// Runs `f` with the given thresholds, then restores the previous values.
fn with(settings: &[(&AtomicUsize, usize)], f: impl FnOnce()) {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let saved: Vec<usize> = settings.iter().map(|(s, _)| s.load(Relaxed)).collect();
    for (setting, value) in settings {
        setting.store(*value, Relaxed);
    }
    f();
    for ((setting, _), old) in settings.iter().zip(saved) {
        setting.store(old, Relaxed);
    }
}

fn set_of(items: &[&str]) -> Set {
    let mut set = Set::new();
    for item in items {
        set.insert(item.as_bytes());
    }
    set
}

#[test]
fn defaults_match_redis() {
    with(&[], || {
        assert_eq!(HASH_MAX_LISTPACK_ENTRIES.load(Relaxed), 512);
        assert_eq!(HASH_MAX_LISTPACK_VALUE.load(Relaxed), 64);
        assert_eq!(SET_MAX_INTSET_ENTRIES.load(Relaxed), 512);
        assert_eq!(SET_MAX_LISTPACK_ENTRIES.load(Relaxed), 128);
        assert_eq!(SET_MAX_LISTPACK_VALUE.load(Relaxed), 64);
    });
}

#[test]
fn intset_conversion_checks_the_longest_integer() {
    with(&[(&SET_MAX_LISTPACK_VALUE, 5)], || {
        // "123456" has 6 characters: the intset cannot become a listpack.
        let mut set = set_of(&["1", "123456"]);
        set.insert(b"a");
        assert_eq!(set.encoding(), "hashtable");
        let mut negative = set_of(&["1", "-1234"]);
        negative.insert(b"a");
        assert_eq!(negative.encoding(), "listpack");
        let mut wide = set_of(&["1", "-12345"]);
        wide.insert(b"a");
        assert_eq!(wide.encoding(), "hashtable");
        let mut long_member = set_of(&["1"]);
        long_member.insert(b"abcdef");
        assert_eq!(long_member.encoding(), "hashtable");
        let mut listpack = set_of(&["ab"]);
        listpack.insert(b"abcdef");
        assert_eq!(listpack.encoding(), "hashtable");
    });
}

#[test]
fn intset_past_its_limit_is_a_hashtable_even_if_a_listpack_would_fit() {
    with(
        &[
            (&SET_MAX_INTSET_ENTRIES, 1000),
            (&SET_MAX_LISTPACK_ENTRIES, 2000),
        ],
        || {
            let mut set = Set::new();
            for i in 0..1000 {
                set.insert(i.to_string().as_bytes());
            }
            assert_eq!(set.encoding(), "intset");
            set.insert(b"1000");
            assert_eq!(set.encoding(), "hashtable");
            // But a string added to a big intset still goes to a listpack when it fits.
            let mut set = Set::new();
            for i in 0..1000 {
                set.insert(i.to_string().as_bytes());
            }
            set.insert(b"x");
            assert_eq!((set.encoding(), set.len()), ("listpack", 1001));
        },
    );
}

#[test]
fn small_intset_limit() {
    with(&[(&SET_MAX_INTSET_ENTRIES, 10)], || {
        assert_eq!(Set::with_expected(11, true).encoding(), "listpack");
        let mut set = Set::new();
        for i in 0..11 {
            set.insert(i.to_string().as_bytes());
        }
        assert_eq!(set.encoding(), "hashtable");
    });
}

#[test]
fn zero_listpack_entries() {
    with(
        &[
            (&SET_MAX_LISTPACK_ENTRIES, 0),
            (&HASH_MAX_LISTPACK_ENTRIES, 0),
        ],
        || {
            let mut set = Set::new();
            set.insert(b"a");
            assert_eq!((set.encoding(), set.len()), ("hashtable", 1));
            let mut hash = Hash::new();
            assert!(hash.insert(b"f", b"v"));
            assert_eq!((hash.encoding(), hash.len()), ("hashtable", 1));
        },
    );
}

#[test]
fn small_hash_limits() {
    with(
        &[
            (&HASH_MAX_LISTPACK_ENTRIES, 2),
            (&HASH_MAX_LISTPACK_VALUE, 3),
        ],
        || {
            let mut hash = Hash::new();
            hash.insert(b"a", b"1");
            hash.insert(b"b", b"123");
            assert_eq!(hash.encoding(), "listpack");
            hash.insert(b"c", b"1");
            assert_eq!(hash.encoding(), "hashtable");
            let mut long = Hash::new();
            long.insert(b"abcd", b"1");
            assert_eq!(long.encoding(), "hashtable");
            let mut bulk = Hash::new();
            bulk.prepare_bulk_insert(3, 1);
            assert_eq!(bulk.encoding(), "hashtable");
            let mut ttl = Hash::new();
            ttl.insert(b"a", b"1");
            ttl.set_field_expire(b"a", 10);
            ttl.insert(b"b", b"2");
            ttl.insert(b"c", b"3");
            assert_eq!(ttl.encoding(), "hashtable");
            assert_eq!(ttl.field_expire(b"a"), Some(10));
            assert_eq!(ttl.next_expire_ms(), Some(10));
        },
    );
}
