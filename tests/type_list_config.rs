//! `LIST_MAX_LISTPACK_SIZE` is process-global, so the test that changes it runs here, in its own
//! test binary (its own process), where no other test can observe the temporary value. The unit
//! tests in `src/list.rs` use a thread-local override instead.

use pilgrim::types::list::{LIST_MAX_LISTPACK_SIZE, List};
use std::sync::atomic::Ordering;

fn numbered(n: usize) -> List {
    (0..n).map(|i| i.to_string().into_bytes()).collect()
}

#[test]
fn mutating_methods_read_the_global_limit() {
    assert_eq!(LIST_MAX_LISTPACK_SIZE.load(Ordering::Relaxed), -2);
    let default_sized = numbered(10);
    assert_eq!(
        (default_sized.encoding(), default_sized.chunk_count()),
        ("listpack", 1)
    );

    LIST_MAX_LISTPACK_SIZE.store(2, Ordering::Relaxed);
    let mut small_chunks = numbered(5);
    assert_eq!(
        (small_chunks.encoding(), small_chunks.chunk_count()),
        ("quicklist", 3)
    );

    // Existing lists keep their chunks; later operations use the new limit.
    LIST_MAX_LISTPACK_SIZE.store(-1, Ordering::Relaxed);
    small_chunks.push_back(b"5");
    assert_eq!(small_chunks.chunk_count(), 3);
    let large = vec![b'x'; 4097];
    small_chunks.push_back(&large);
    assert_eq!(small_chunks.chunk_count(), 4);

    LIST_MAX_LISTPACK_SIZE.store(-2, Ordering::Relaxed);
    let mut list = List::new();
    list.push_back(&large);
    assert_eq!(list.encoding(), "listpack");
}
