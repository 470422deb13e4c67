//! COMMAND and its subcommands, all derived from the command table.

use super::connection::help_reply;
use super::ctx::Ctx;
use super::table::*;
use crate::error::{CmdResult, Error};
use crate::util::glob::glob_match;

pub static COMMANDS: &[Command] = &[Command::new("command", -1, command_all)
    .flags(LOADING | STALE)
    .acl(CONNECTION)
    .doc(
        "server",
        "2.8.13",
        "O(N) where N is the total number of Redis commands",
        "Returns detailed information about all commands.",
    )
    .subs_of(COMMAND_SUBS)
    .tips(&["nondeterministic_output_order"])];

static COMMAND_SUBS: &[Command] = &[
    Command::new("count", 2, command_count)
        .flags(LOADING | STALE)
        .acl(CONNECTION)
        .doc("server", "2.8.13", "O(1)", "Returns a count of commands."),
    Command::new("info", -2, command_info)
        .flags(LOADING | STALE)
        .acl(CONNECTION)
        .doc(
            "server",
            "2.8.13",
            "O(N) where N is the number of commands to look up",
            "Returns information about one, multiple or all commands.",
        )
        .syntax("[command-name [command-name ...]]")
        .tips(&["nondeterministic_output_order"]),
    Command::new("docs", -2, command_docs)
        .flags(LOADING | STALE)
        .acl(CONNECTION)
        .doc(
            "server",
            "7.0.0",
            "O(N) where N is the number of commands to look up",
            "Returns documentary information about one, multiple or all commands.",
        )
        .syntax("[command-name [command-name ...]]")
        .tips(&["nondeterministic_output_order"]),
    Command::new("list", -2, command_list)
        .flags(LOADING | STALE)
        .acl(CONNECTION)
        .doc(
            "server",
            "7.0.0",
            "O(N) where N is the total number of Redis commands",
            "Returns a list of command names.",
        )
        .syntax("[FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]")
        .tips(&["nondeterministic_output_order"]),
    Command::new("getkeys", -3, command_getkeys)
        .flags(LOADING | STALE)
        .acl(CONNECTION)
        .doc(
            "server",
            "2.8.13",
            "O(N) where N is the number of arguments to the command",
            "Extracts the key names from an arbitrary command.",
        )
        .syntax("command [arg [arg ...]]"),
    Command::new("getkeysandflags", -3, command_getkeysandflags)
        .flags(LOADING | STALE)
        .acl(CONNECTION)
        .doc(
            "server",
            "7.0.0",
            "O(N) where N is the number of arguments to the command",
            "Extracts the key names and access flags for an arbitrary command.",
        )
        .syntax("command [arg [arg ...]]")
        .compat("The flags are those of the key specs; they are not refined by the arguments (SET ... GET, BITFIELD)."),
    Command::new("help", 2, command_help)
        .flags(LOADING | STALE)
        .acl(CONNECTION)
        .doc(
            "server",
            "5.0.0",
            "O(1)",
            "Returns helpful text about the different subcommands.",
        ),
];

fn write_flags(ctx: &mut Ctx, cmd: &Command) {
    let f = cmd.effective_flags();
    let names: Vec<&str> = FLAG_NAMES
        .iter()
        .filter(|(b, _)| f & b != 0)
        .map(|(_, n)| *n)
        .collect();
    ctx.out.set(names.len());
    for n in names {
        ctx.out.simple(n);
    }
}

fn write_key_spec(ctx: &mut Ctx, ks: &KeySpec) {
    let fields = if ks.notes.is_empty() { 3 } else { 4 };
    ctx.out.map(fields);
    if !ks.notes.is_empty() {
        ctx.out.bulk(b"notes");
        ctx.out.bulk(ks.notes.as_bytes());
    }
    ctx.out.bulk(b"flags");
    let names: Vec<&str> = KEY_FLAG_NAMES
        .iter()
        .filter(|(b, _)| ks.flags & b != 0)
        .map(|(_, n)| *n)
        .collect();
    ctx.out.set(names.len());
    for n in names {
        ctx.out.simple(n);
    }
    ctx.out.bulk(b"begin_search");
    ctx.out.map(2);
    match ks.begin {
        Begin::Index(i) => {
            ctx.out.bulk(b"type");
            ctx.out.bulk(b"index");
            ctx.out.bulk(b"spec");
            ctx.out.map(1);
            ctx.out.bulk(b"index");
            ctx.out.int(i as i64);
        }
        Begin::Keyword {
            keyword,
            start_from,
        } => {
            ctx.out.bulk(b"type");
            ctx.out.bulk(b"keyword");
            ctx.out.bulk(b"spec");
            ctx.out.map(2);
            ctx.out.bulk(b"keyword");
            ctx.out.bulk(keyword.as_bytes());
            ctx.out.bulk(b"startfrom");
            ctx.out.int(start_from as i64);
        }
        Begin::Unknown => {
            ctx.out.bulk(b"type");
            ctx.out.bulk(b"unknown");
            ctx.out.bulk(b"spec");
            ctx.out.map(0);
        }
    }
    ctx.out.bulk(b"find_keys");
    ctx.out.map(2);
    match ks.find {
        Find::Range {
            last_key,
            step,
            limit,
        } => {
            ctx.out.bulk(b"type");
            ctx.out.bulk(b"range");
            ctx.out.bulk(b"spec");
            ctx.out.map(3);
            ctx.out.bulk(b"lastkey");
            ctx.out.int(last_key as i64);
            ctx.out.bulk(b"keystep");
            ctx.out.int(step as i64);
            ctx.out.bulk(b"limit");
            ctx.out.int(limit as i64);
        }
        Find::Keynum {
            keynum_idx,
            first_key,
            step,
        } => {
            ctx.out.bulk(b"type");
            ctx.out.bulk(b"keynum");
            ctx.out.bulk(b"spec");
            ctx.out.map(3);
            ctx.out.bulk(b"keynumidx");
            ctx.out.int(keynum_idx as i64);
            ctx.out.bulk(b"firstkey");
            ctx.out.int(first_key as i64);
            ctx.out.bulk(b"keystep");
            ctx.out.int(step as i64);
        }
        Find::Unknown => {
            ctx.out.bulk(b"type");
            ctx.out.bulk(b"unknown");
            ctx.out.bulk(b"spec");
            ctx.out.map(0);
        }
    }
}

/// One COMMAND INFO entry (10 fields, as Redis 7).
fn write_info(ctx: &mut Ctx, cmd: &'static Command) {
    let full = ctx.srv.commands.full_name(cmd);
    ctx.out.array(10);
    ctx.out.bulk(full.as_bytes());
    ctx.out.int(cmd.arity as i64);
    write_flags(ctx, cmd);
    let ((first, last, step), _) = cmd.legacy_range();
    ctx.out.int(first as i64);
    ctx.out.int(last as i64);
    ctx.out.int(step as i64);
    let cats = cmd.categories();
    let names: Vec<&str> = CATEGORY_NAMES
        .iter()
        .filter(|(b, _)| cats & b != 0)
        .map(|(_, n)| *n)
        .collect();
    ctx.out.set(names.len());
    for n in names {
        ctx.out.simple(&format!("@{n}"));
    }
    ctx.out.set(cmd.tips.len());
    for t in cmd.tips {
        ctx.out.bulk(t.as_bytes());
    }
    // RESP3 shapes as in Redis: the key specs are a set, and so is an empty subcommand list.
    ctx.out.set(cmd.keys.len());
    for ks in cmd.keys {
        write_key_spec(ctx, ks);
    }
    if cmd.subs.is_empty() {
        ctx.out.set(0);
    } else {
        ctx.out.array(cmd.subs.len());
    }
    for s in cmd.subs {
        write_info(ctx, s);
    }
}

fn command_all(ctx: &mut Ctx) -> CmdResult {
    let cmds: Vec<&'static Command> = ctx.srv.commands.top_level().map(|e| e.cmd).collect();
    ctx.out.array(cmds.len());
    for c in cmds {
        write_info(ctx, c);
    }
    Ok(())
}

fn command_count(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.srv.commands.top_level().count();
    ctx.out.int(n as i64);
    Ok(())
}

/// Resolves "name" or "container|sub" to a command.
fn resolve(ctx: &Ctx, name: &[u8]) -> Option<&'static Command> {
    let s = name.to_ascii_lowercase();
    match s.iter().position(|&c| c == b'|') {
        Some(p) => {
            let parent = ctx.srv.commands.get(&s[..p])?;
            ctx.srv.commands.sub(parent, &s[p + 1..])
        }
        None => ctx.srv.commands.get(&s),
    }
}

fn command_info(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() == 2 {
        return command_all_as_info(ctx);
    }
    ctx.out.array(ctx.argc() - 2);
    for i in 2..ctx.argc() {
        match resolve(ctx, ctx.arg(i)) {
            Some(c) => write_info(ctx, c),
            // Redis answers an unknown name with a null bulk string in RESP2.
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn command_all_as_info(ctx: &mut Ctx) -> CmdResult {
    let cmds: Vec<&'static Command> = ctx.srv.commands.top_level().map(|e| e.cmd).collect();
    ctx.out.array(cmds.len());
    for c in cmds {
        write_info(ctx, c);
    }
    Ok(())
}

fn write_docs(ctx: &mut Ctx, cmd: &'static Command) {
    let args = super::docs::parse_syntax(cmd.syntax, cmd);
    let mut fields = 4;
    if cmd.deprecated.is_some() {
        fields += 3;
    }
    if !args.is_empty() {
        fields += 1;
    }
    if !cmd.subs.is_empty() {
        fields += 1;
    }
    ctx.out.map(fields);
    ctx.out.bulk(b"summary");
    ctx.out.bulk(cmd.summary.as_bytes());
    ctx.out.bulk(b"since");
    ctx.out.bulk(cmd.since.as_bytes());
    ctx.out.bulk(b"group");
    ctx.out.bulk(cmd.group.as_bytes());
    ctx.out.bulk(b"complexity");
    ctx.out.bulk(cmd.complexity.as_bytes());
    if let Some((since, by)) = cmd.deprecated {
        ctx.out.bulk(b"doc_flags");
        ctx.out.set(1);
        ctx.out.simple("deprecated");
        ctx.out.bulk(b"deprecated_since");
        ctx.out.bulk(since.as_bytes());
        ctx.out.bulk(b"replaced_by");
        ctx.out.bulk(by.as_bytes());
    }
    if !args.is_empty() {
        ctx.out.bulk(b"arguments");
        super::docs::write_args(&mut ctx.out, &args);
    }
    if !cmd.subs.is_empty() {
        ctx.out.bulk(b"subcommands");
        ctx.out.map(cmd.subs.len());
        for s in cmd.subs {
            let full = ctx.srv.commands.full_name(s);
            ctx.out.bulk(full.as_bytes());
            write_docs(ctx, s);
        }
    }
}

fn command_docs(ctx: &mut Ctx) -> CmdResult {
    let cmds: Vec<&'static Command> = if ctx.argc() == 2 {
        ctx.srv.commands.top_level().map(|e| e.cmd).collect()
    } else {
        ctx.args[2..]
            .iter()
            .filter_map(|a| resolve(ctx, a))
            .collect()
    };
    ctx.out.map(cmds.len());
    for c in cmds {
        let full = ctx.srv.commands.full_name(c);
        ctx.out.bulk(full.as_bytes());
        write_docs(ctx, c);
    }
    Ok(())
}

fn command_list(ctx: &mut Ctx) -> CmdResult {
    let mut names: Vec<String> = Vec::new();
    let all: Vec<&'static Command> = ctx.srv.commands.top_level().map(|e| e.cmd).collect();
    let mut everything: Vec<&'static Command> = Vec::new();
    for c in all {
        everything.push(c);
        everything.extend(c.subs.iter());
    }
    if ctx.argc() == 2 {
        names = everything
            .iter()
            .map(|c| ctx.srv.commands.full_name(c))
            .collect();
    } else if ctx.argc() == 5 && ctx.is(2, "filterby") {
        let v = ctx.arg(4);
        if ctx.is(3, "module") {
            // No modules: nothing matches.
        } else if ctx.is(3, "aclcat") {
            let cat = CATEGORY_NAMES
                .iter()
                .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(v))
                .map(|(b, _)| *b);
            if let Some(cat) = cat {
                names = everything
                    .iter()
                    .filter(|c| c.categories() & cat != 0)
                    .map(|c| ctx.srv.commands.full_name(c))
                    .collect();
            }
        } else if ctx.is(3, "pattern") {
            names = everything
                .iter()
                .map(|c| ctx.srv.commands.full_name(c))
                .filter(|n| glob_match(v, n.as_bytes(), true))
                .collect();
        } else {
            return Err(crate::error::SYNTAX);
        }
    } else {
        return Err(crate::error::SYNTAX);
    }
    ctx.out.array(names.len());
    for n in names {
        ctx.out.bulk(n.as_bytes());
    }
    Ok(())
}

fn getkeys_impl(ctx: &mut Ctx, with_flags: bool) -> CmdResult {
    let sub: Vec<&[u8]> = ctx.args[2..].to_vec();
    let Some(cmd) = ctx.srv.commands.get(sub[0]) else {
        return Err(Error::err("Invalid command specified"));
    };
    let (cmd, sub) = if cmd.is_container() && sub.len() >= 2 {
        match ctx.srv.commands.sub(cmd, sub[1]) {
            Some(s) => (s, sub),
            None => return Err(Error::err("Invalid command specified")),
        }
    } else {
        (cmd, sub)
    };
    let argc = sub.len() as i32;
    if (cmd.arity > 0 && argc != cmd.arity) || argc < -cmd.arity {
        return Err(Error::err(
            "Invalid number of arguments specified for command",
        ));
    }
    let mut pairs: Vec<(usize, u32)> = Vec::new();
    if let Some(f) = cmd.get_keys {
        if let Some(v) = f(&sub) {
            // Each key gets the flags of the spec that finds it; a key no spec can find (SORT's
            // STORE) those of the last "unknown" spec; otherwise the first spec's.
            let unknown = cmd
                .keys
                .iter()
                .rev()
                .find(|k| matches!(k.begin, Begin::Unknown))
                .map(|k| k.flags);
            pairs.extend(v.into_iter().map(|i| {
                let by_spec = cmd.keys.iter().find(|ks| {
                    let mut idx = Vec::new();
                    spec_keys(ks, &sub, &mut idx).is_some() && idx.contains(&i)
                });
                let flags = by_spec
                    .map(|k| k.flags)
                    .or(unknown)
                    .unwrap_or_else(|| cmd.keys.first().map_or(0, |k| k.flags));
                (i, flags)
            }));
        }
    } else {
        for ks in cmd.keys {
            let mut idx = Vec::new();
            if spec_keys(ks, &sub, &mut idx).is_some() {
                pairs.extend(idx.into_iter().map(|i| (i, ks.flags)));
            }
        }
    }
    if pairs.is_empty() {
        if cmd.keys.is_empty() && cmd.get_keys.is_none() {
            return Err(Error::err("The command has no key arguments"));
        }
        if cmd.has(NO_MANDATORY_KEYS) {
            // EVAL/FCALL/... with numkeys 0: no keys is a valid answer.
            ctx.out.array(0);
            return Ok(());
        }
        return Err(Error::err("Invalid arguments specified for command"));
    }
    ctx.out.array(pairs.len());
    for (i, f) in pairs {
        if with_flags {
            ctx.out.array(2);
            ctx.out.bulk(sub[i]);
            let names: Vec<&str> = KEY_FLAG_NAMES
                .iter()
                .filter(|(b, _)| f & b != 0)
                .map(|(_, n)| *n)
                .collect();
            ctx.out.set(names.len());
            for n in names {
                ctx.out.simple(n);
            }
        } else {
            ctx.out.bulk(sub[i]);
        }
    }
    Ok(())
}

fn command_getkeys(ctx: &mut Ctx) -> CmdResult {
    getkeys_impl(ctx, false)
}

fn command_getkeysandflags(ctx: &mut Ctx) -> CmdResult {
    getkeys_impl(ctx, true)
}

fn command_help(ctx: &mut Ctx) -> CmdResult {
    help_reply(
        ctx,
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    )
}
