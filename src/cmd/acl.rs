//! ACL: users and permissions (SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT, LOG, SAVE,
//! LOAD, DRYRUN, GENPASS, HELP). The rules and checks themselves live in `security::acl`.

use crate::error::{CmdResult, Error};
use crate::security;
use crate::security::acl::{self as a, E_UNMATCHED};

use super::ctx::Ctx;
use super::table::*;

pub static COMMANDS: &[Command] = &[Command::container("acl", -2, ACL_SUBS).acl(SLOW).doc(
    "server",
    "6.0.0",
    "Depends on subcommand.",
    "A container for Access List Control commands.",
)];

const ADM: u64 = ADMIN | NOSCRIPT | LOADING | STALE;
const PLAIN: u64 = NOSCRIPT | LOADING | STALE;

static ACL_SUBS: &[Command] = &[
    Command::new("cat", -2, acl_cat)
        .flags(PLAIN)
        .doc(
            "server",
            "6.0.0",
            "O(1) since the categories and commands are a fixed set.",
            "Lists the ACL categories, or the commands inside a category.",
        )
        .syntax("[category]"),
    Command::new("deluser", -3, acl_deluser)
        .flags(ADM)
        .doc(
            "server",
            "6.0.0",
            "O(1) amortized time considering the typical user.",
            "Deletes ACL users, and terminates their connections.",
        )
        .syntax("username [username ...]")
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]),
    Command::new("dryrun", -4, acl_dryrun)
        .flags(ADM)
        .doc(
            "server",
            "7.0.0",
            "O(1).",
            "Simulates the execution of a command by a user, without executing the command.",
        )
        .syntax("username command [arg [arg ...]]"),
    Command::new("genpass", -2, acl_genpass)
        .flags(PLAIN)
        .doc(
            "server",
            "6.0.0",
            "O(1)",
            "Generates a pseudorandom, secure password that can be used to identify ACL users.",
        )
        .syntax("[bits]"),
    Command::new("getuser", 3, acl_getuser)
        .flags(ADM)
        .doc(
            "server",
            "6.0.0",
            "O(N). Where N is the number of password, command and pattern rules that the user has.",
            "Lists the ACL rules of a user.",
        )
        .syntax("username"),
    Command::new("help", 2, acl_help)
        .flags(LOADING | STALE)
        .doc(
            "server",
            "6.0.0",
            "O(1)",
            "Returns helpful text about the different subcommands.",
        ),
    Command::new("list", 2, acl_list).flags(ADM).doc(
        "server",
        "6.0.0",
        "O(N). Where N is the number of configured users.",
        "Dumps the effective rules in ACL file format.",
    ),
    Command::new("load", 2, acl_load).flags(ADM).doc(
        "server",
        "6.0.0",
        "O(N). Where N is the number of configured users.",
        "Reloads the rules from the configured ACL file.",
    ),
    Command::new("log", -2, acl_log)
        .flags(ADM)
        .doc(
            "server",
            "6.0.0",
            "O(N) with N being the number of entries shown.",
            "Lists recent security events generated due to ACL rules.",
        )
        .syntax("[count | RESET]"),
    Command::new("save", 2, acl_save)
        .flags(ADM)
        .doc(
            "server",
            "6.0.0",
            "O(N). Where N is the number of configured users.",
            "Saves the effective ACL rules in the configured ACL file.",
        )
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]),
    Command::new("setuser", -3, acl_setuser)
        .flags(ADM)
        .doc(
            "server",
            "6.0.0",
            "O(N). Where N is the number of rules provided.",
            "Creates and modifies an ACL user and its rules.",
        )
        .syntax("username [rule [rule ...]]")
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]),
    Command::new("users", 2, acl_users).flags(ADM).doc(
        "server",
        "6.0.0",
        "O(N). Where N is the number of configured users.",
        "Lists all ACL users.",
    ),
    Command::new("whoami", 2, acl_whoami).flags(PLAIN).doc(
        "server",
        "6.0.0",
        "O(1)",
        "Returns the authenticated username of the current connection.",
    ),
];

fn name_of(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn acl_setuser(ctx: &mut Ctx) -> CmdResult {
    let name = ctx.arg(2);
    if name.iter().any(|&b| b == b' ' || b == 0) {
        return Err(Error::err(
            "Usernames can't contain spaces or null characters",
        ));
    }
    let name = name_of(name);
    let rules: Vec<&[u8]> = ctx.args[3..].to_vec();
    let base = ctx.srv.acl.get(&name);
    let all = security::pubsub_default_all(ctx.srv);
    match a::apply_rules(&ctx.srv.commands, base.as_deref(), &name, &rules, all) {
        Ok(u) => {
            let check = !u.root.allchannels || u.selectors.iter().any(|s| !s.allchannels);
            let u2 = check.then(|| u.clone());
            ctx.srv.acl.put(u);
            if let Some(u) = u2 {
                security::kill_pubsub_clients_if_needed(ctx.srv, &u, Some(ctx.client));
            }
            ctx.ok()
        }
        Err((r, E_UNMATCHED)) => Err(Error::err(format!(
            "Unmatched parenthesis in acl selector starting at '{}'.",
            name_of(&r)
        ))),
        Err((r, e)) => Err(Error::err(format!(
            "Error in ACL SETUSER modifier '{}': {e}",
            name_of(&r)
        ))),
    }
}

fn acl_getuser(ctx: &mut Ctx) -> CmdResult {
    let Some(u) = ctx.srv.acl.get(&name_of(ctx.arg(2))) else {
        ctx.out.null();
        return Ok(());
    };
    ctx.out.map(6);
    ctx.out.bulk(b"flags");
    let flags = u.flag_names();
    ctx.out.set(flags.len());
    for f in flags {
        ctx.out.bulk(f.as_bytes());
    }
    ctx.out.bulk(b"passwords");
    ctx.out.array(u.passwords.len());
    for p in &u.passwords {
        ctx.out.bulk(a::hex(p).as_bytes());
    }
    ctx.out.bulk(b"commands");
    ctx.out.bulk(u.root.describe_commands().as_bytes());
    ctx.out.bulk(b"keys");
    ctx.out.bulk(u.root.describe_keys().as_bytes());
    ctx.out.bulk(b"channels");
    ctx.out.bulk(u.root.describe_channels().as_bytes());
    ctx.out.bulk(b"selectors");
    ctx.out.array(u.selectors.len());
    for s in &u.selectors {
        ctx.out.map(3);
        ctx.out.bulk(b"commands");
        ctx.out.bulk(s.describe_commands().as_bytes());
        ctx.out.bulk(b"keys");
        ctx.out.bulk(s.describe_keys().as_bytes());
        ctx.out.bulk(b"channels");
        ctx.out.bulk(s.describe_channels().as_bytes());
    }
    Ok(())
}

fn acl_deluser(ctx: &mut Ctx) -> CmdResult {
    let names: Vec<String> = ctx.args[2..].iter().map(|n| name_of(n)).collect();
    if names.iter().any(|n| n == "default") {
        return Err(Error::err("The 'default' user cannot be removed"));
    }
    let mut removed = Vec::new();
    {
        let mut users = ctx.srv.acl.users.write();
        for n in &names {
            if users.remove(n).is_some() {
                removed.push(n.clone());
            }
        }
        ctx.srv.acl.refresh(&users);
    }
    security::kill_clients_of(ctx.srv, &removed, Some(ctx.client));
    ctx.out.int(removed.len() as i64);
    Ok(())
}

fn acl_list(ctx: &mut Ctx) -> CmdResult {
    let lines: Vec<String> = ctx
        .srv
        .acl
        .users
        .read()
        .values()
        .map(|u| u.describe())
        .collect();
    ctx.out.array(lines.len());
    for l in lines {
        ctx.out.bulk(l.as_bytes());
    }
    Ok(())
}

fn acl_users(ctx: &mut Ctx) -> CmdResult {
    let names: Vec<String> = ctx.srv.acl.users.read().keys().cloned().collect();
    ctx.out.array(names.len());
    for n in names {
        ctx.out.bulk(n.as_bytes());
    }
    Ok(())
}

fn acl_whoami(ctx: &mut Ctx) -> CmdResult {
    let u = ctx.client.user.clone();
    ctx.out.bulk(u.as_bytes());
    Ok(())
}

/// Redis's addReplySubcommandSyntaxError for too many arguments.
fn subcommand_syntax(ctx: &Ctx) -> Error {
    Error::err(format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try ACL HELP.",
        String::from_utf8_lossy(ctx.arg(1))
    ))
}

fn acl_cat(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(subcommand_syntax(ctx));
    }
    if ctx.argc() == 2 {
        ctx.out.array(CATEGORY_NAMES.len());
        for (_, n) in CATEGORY_NAMES {
            ctx.out.bulk(n.as_bytes());
        }
        return Ok(());
    }
    let cat = name_of(ctx.arg(2));
    let Some(bits) = a::category_bits(&cat) else {
        return Err(Error::err(format!("Unknown category '{cat}'")));
    };
    let names: Vec<String> = ctx
        .srv
        .commands
        .all
        .iter()
        .filter(|e| e.cmd.categories() & bits != 0)
        .map(|e| e.full_name.clone())
        .collect();
    ctx.out.array(names.len());
    for n in names {
        ctx.out.bulk(n.as_bytes());
    }
    Ok(())
}

fn acl_dryrun(ctx: &mut Ctx) -> CmdResult {
    let user = name_of(ctx.arg(2));
    if ctx.srv.acl.get(&user).is_none() {
        return Err(Error::err(format!("User '{user}' not found")));
    }
    let args = &ctx.args[3..];
    let Some(top) = ctx.srv.commands.get(args[0]) else {
        return Err(Error::err(format!(
            "Command '{}' not found",
            name_of(args[0])
        )));
    };
    let _ = top;
    let (cmd, _) = ctx.srv.commands.lookup(args)?;
    match security::permission(ctx.srv, &user, cmd, args) {
        Ok(()) => ctx.ok(),
        Err(d) => {
            let msg = security::denial_message(ctx.srv, &user, cmd, args, d, true);
            ctx.out.bulk(msg.as_bytes());
            Ok(())
        }
    }
}

fn acl_genpass(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(subcommand_syntax(ctx));
    }
    let bits = if ctx.argc() == 3 {
        match Some(ctx.int(2)?) {
            Some(b) if (1..=4096).contains(&b) => b as usize,
            _ => {
                return Err(Error::err(
                    "ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096",
                ));
            }
        }
    } else {
        256
    };
    let chars = bits.div_ceil(4);
    let bytes: Vec<u8> = (0..chars.div_ceil(2))
        .map(|_| rand::random::<u8>())
        .collect();
    let mut s = a::hex(&bytes);
    s.truncate(chars);
    ctx.out.bulk(s.as_bytes());
    Ok(())
}

fn acl_log(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(subcommand_syntax(ctx));
    }
    let mut count = usize::MAX;
    if ctx.argc() == 3 {
        if ctx.is(2, "reset") {
            ctx.srv.acl.log.lock().entries.clear();
            return ctx.ok();
        }
        // A negative count lists nothing, as in Redis.
        count = ctx.int(2)?.max(0) as usize;
    }
    let now = crate::util::now_ms();
    let entries: Vec<a::LogEntry> = ctx
        .srv
        .acl
        .log
        .lock()
        .entries
        .iter()
        .take(count)
        .cloned()
        .collect();
    ctx.out.array(entries.len());
    for e in entries {
        ctx.out.map(10);
        ctx.out.bulk(b"count");
        ctx.out.int(e.count as i64);
        ctx.out.bulk(b"reason");
        ctx.out.bulk(e.reason.reason().as_bytes());
        ctx.out.bulk(b"context");
        ctx.out.bulk(e.context.name().as_bytes());
        ctx.out.bulk(b"object");
        ctx.out.bulk(&e.object);
        ctx.out.bulk(b"username");
        ctx.out.bulk(&e.username);
        ctx.out.bulk(b"age-seconds");
        ctx.out.double((now - e.created_ms) as f64 / 1000.0);
        ctx.out.bulk(b"client-info");
        ctx.out.bulk(e.client_info.as_bytes());
        ctx.out.bulk(b"entry-id");
        ctx.out.int(e.id as i64);
        ctx.out.bulk(b"timestamp-created");
        ctx.out.int(e.created_ms);
        ctx.out.bulk(b"timestamp-last-updated");
        ctx.out.int(e.updated_ms);
    }
    Ok(())
}

const NO_ACLFILE: &str = "This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";

fn acl_save(ctx: &mut Ctx) -> CmdResult {
    let path = ctx.srv.cfg.get("aclfile");
    if path.is_empty() {
        return Err(Error::err(NO_ACLFILE));
    }
    security::acl_file::save(ctx.srv, &path)
        .map_err(|e| Error::err(format!("There was an error trying to save the ACLs. Please check the server logs for more information ({e})")))?;
    ctx.ok()
}

fn acl_load(ctx: &mut Ctx) -> CmdResult {
    let path = ctx.srv.cfg.get("aclfile");
    if path.is_empty() {
        return Err(Error::err(NO_ACLFILE));
    }
    let users = security::acl_file::parse_file(ctx.srv, &path).map_err(Error::err)?;
    let before: Vec<String> = ctx.srv.acl.users.read().keys().cloned().collect();
    security::install_users(ctx.srv, users);
    // Connections of users that no longer exist are closed, as Redis does.
    let gone: Vec<String> = {
        let users = ctx.srv.acl.users.read();
        before
            .into_iter()
            .filter(|n| !users.contains_key(n))
            .collect()
    };
    security::kill_clients_of(ctx.srv, &gone, Some(ctx.client));
    let users: Vec<std::sync::Arc<a::User>> = ctx.srv.acl.users.read().values().cloned().collect();
    for u in users {
        security::kill_pubsub_clients_if_needed(ctx.srv, &u, Some(&mut *ctx.client));
    }
    ctx.ok()
}

fn acl_help(ctx: &mut Ctx) -> CmdResult {
    let lines = [
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        "HELP",
        "    Prints this help.",
    ];
    ctx.out.array(lines.len());
    for l in lines {
        ctx.out.simple(l);
    }
    Ok(())
}
