use mimalloc::MiMalloc;
use pilgrim::store::entry::{EntryPtr, Value};
use pilgrim::store::table::Table;
use std::hash::BuildHasher;
#[global_allocator]
static G: MiMalloc = MiMalloc;
fn rss() -> usize {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap();
    s.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<usize>()
        .unwrap()
        * 4096
}
fn main() {
    let h = foldhash::fast::RandomState::default();
    let mut tables: Vec<Table> = (0..16).map(|_| Table::new()).collect();
    let r0 = rss();
    let val = vec![b'x'; 32];
    for i in 0..1_000_000u64 {
        let k = format!("key:{i:012}");
        let hv = h.hash_one(k.as_bytes());
        let e = EntryPtr::new(k.as_bytes(), Value::Str(val.clone()), None, 0);
        tables[(hv & 15) as usize].insert(hv, e.into_raw());
    }
    let r1 = rss();
    let slots: usize = tables.iter().map(|t| t.slots()).sum();
    println!(
        "bytes/key {} ; table slots {} ({} B/key)",
        (r1 - r0) / 1_000_000,
        slots,
        slots * 8 / 1_000_000
    );
}
