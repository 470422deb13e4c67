//! The per-command compatibility page (docs/commands.md), generated from the command table so
//! it cannot drift: a test compares the committed page with [`commands_page`].
//!
//! Every command and subcommand of Redis 7.2 (listed with its group in `redis_commands.txt`) gets
//! a row saying whether Pilgrim has it, plus the note its declaration carries
//! ([`Command::compat`]). Commands Pilgrim has beyond that list are shown too. Configuration
//! directives that are accepted but have no effect are listed from the directive table.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::CommandTable;
use super::table::Command;
use crate::config::DIRECTIVES;

/// Redis 7.2's commands and subcommands ("container|sub"), one per line with their group.
const REDIS_COMMANDS: &str = include_str!("redis_commands.txt");

/// Group names in the order of Redis's documentation, with their page titles.
const GROUPS: &[(&str, &str)] = &[
    ("string", "Strings"),
    ("bitmap", "Bitmaps"),
    ("generic", "Keys (generic)"),
    ("connection", "Connection"),
    ("server", "Server"),
    ("transactions", "Transactions"),
    ("pubsub", "Pub/Sub"),
    ("list", "Lists"),
    ("hash", "Hashes"),
    ("set", "Sets"),
    ("sorted-set", "Sorted sets"),
    ("stream", "Streams"),
    ("hyperloglog", "HyperLogLog"),
    ("geo", "Geo"),
    ("scripting", "Scripting and functions"),
    ("cluster", "Cluster"),
];

/// One row of the page.
struct Row {
    supported: bool,
    summary: String,
    notes: String,
}

/// The Markdown text of docs/commands.md.
pub fn commands_page() -> String {
    let table = CommandTable::build(&[]);
    // group -> "name" or "container sub" (upper case) -> row
    let mut groups: BTreeMap<String, BTreeMap<String, Row>> = BTreeMap::new();
    for line in REDIS_COMMANDS.lines().filter(|l| !l.trim().is_empty()) {
        let (name, group) = line.split_once(' ').expect("'name group' lines");
        let row = match lookup(&table, name) {
            Some(cmd) => Row {
                supported: true,
                summary: cmd.summary.to_string(),
                notes: cmd.compat.to_string(),
            },
            None => Row {
                supported: false,
                summary: String::new(),
                notes: String::new(),
            },
        };
        groups
            .entry(group.to_string())
            .or_default()
            .insert(display_name(name), row);
    }
    // Pilgrim's commands that Redis 7.2 does not have.
    for e in &table.all {
        let known = REDIS_COMMANDS
            .lines()
            .any(|l| l.split(' ').next() == Some(e.full_name.as_str()));
        if !known {
            groups.entry(e.cmd.group.to_string()).or_default().insert(
                display_name(&e.full_name),
                Row {
                    supported: true,
                    summary: e.cmd.summary.to_string(),
                    notes: format!("Pilgrim only. {}", e.cmd.compat).trim().to_string(),
                },
            );
        }
    }

    let total: usize = groups.values().map(|g| g.len()).sum();
    let supported: usize = groups
        .values()
        .flat_map(|g| g.values())
        .filter(|r| r.supported)
        .count();
    let mut out = String::new();
    out.push_str("# Command compatibility\n\n");
    out.push_str(
        "Generated from the command table (`src/cmd/compat.rs`); do not edit by hand. After \
         changing commands run\n`PILGRIM_WRITE_DOCS=1 cargo test --test commands_doc` to \
         regenerate it (the same test fails while\nthis page is out of date).\n\n",
    );
    let _ = writeln!(
        out,
        "Reference: Redis {}. Pilgrim implements {supported} of the {total} commands and \
         subcommands listed here.\n",
        crate::REDIS_VERSION
    );
    for (key, title) in GROUPS {
        let Some(rows) = groups.remove(*key) else {
            continue;
        };
        write_group(&mut out, title, &rows);
    }
    for (key, rows) in groups {
        write_group(&mut out, &key, &rows);
    }
    write_inert_directives(&mut out);
    out
}

fn write_group(out: &mut String, title: &str, rows: &BTreeMap<String, Row>) {
    let n = rows.values().filter(|r| r.supported).count();
    let _ = writeln!(out, "## {title} ({n}/{})\n", rows.len());
    out.push_str("| Command | Supported | Summary | Notes |\n");
    out.push_str("| --- | --- | --- | --- |\n");
    for (name, row) in rows {
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} |",
            if row.supported { "yes" } else { "no" },
            cell(&row.summary),
            cell(&row.notes)
        );
    }
    out.push('\n');
}

fn write_inert_directives(out: &mut String) {
    out.push_str("## Inert configuration directives\n\n");
    out.push_str(
        "Accepted in the configuration file, on the command line and by CONFIG SET/GET (so \
         existing\nconfigurations and tools keep working), but without effect in Pilgrim:\n\n",
    );
    let mut names: Vec<&str> = DIRECTIVES
        .iter()
        .filter(|d| d.inert)
        .map(|d| d.name)
        .collect();
    names.sort_unstable();
    for n in names {
        let _ = writeln!(out, "- `{n}`");
    }
}

/// Escapes a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// "client|kill" -> "CLIENT KILL".
fn display_name(full: &str) -> String {
    full.replace('|', " ").to_ascii_uppercase()
}

/// The command (or subcommand) for a Redis full name.
fn lookup(table: &CommandTable, full: &str) -> Option<&'static Command> {
    match full.split_once('|') {
        None => table.get(full.as_bytes()),
        Some((parent, sub)) => {
            let p = table.get(parent.as_bytes())?;
            table.sub(p, sub.as_bytes())
        }
    }
}
