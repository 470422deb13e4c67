//! docs/commands.md is generated from the command table: this test fails when the committed
//! page is out of date, and rewrites it when run with `PILGRIM_WRITE_DOCS=1`.

#[test]
fn commands_page_is_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/commands.md");
    let page = pilgrim::cmd::compat::commands_page();
    if std::env::var_os("PILGRIM_WRITE_DOCS").is_some() {
        std::fs::write(&path, &page).expect("write docs/commands.md");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == page,
        "docs/commands.md is out of date: run `PILGRIM_WRITE_DOCS=1 cargo test --test commands_doc`"
    );
}
