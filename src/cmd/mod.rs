//! Commands: the table, the execution context, and one module per family.

pub mod acl;
pub mod bits;
pub mod command;
pub mod compat;
pub mod connection;
pub mod ctx;
pub mod debug;
pub mod docs;
pub mod geo;
pub mod hashes;
pub mod hll;
pub mod keys;
pub mod latency;
pub mod lists;
pub mod memory;
pub mod persist;
pub mod pubsub;
pub mod replication;
pub mod scripting;
pub mod server;
pub mod sets;
pub mod sort;
pub mod standalone;
pub mod streams;
pub mod strings;
pub mod table;
pub mod tracking;
pub mod tx;
pub mod zsets;

use std::collections::HashMap;

use crate::error::Error;
use table::Command;

/// Every family's commands.
pub fn families() -> Vec<&'static [Command]> {
    vec![
        connection::COMMANDS,
        server::COMMANDS,
        command::COMMANDS,
        keys::COMMANDS,
        strings::COMMANDS,
        bits::COMMANDS,
        tx::COMMANDS,
        pubsub::COMMANDS,
        zsets::COMMANDS,
        geo::COMMANDS,
        streams::COMMANDS,
        sets::COMMANDS,
        hll::COMMANDS,
        hashes::COMMANDS,
        lists::COMMANDS,
        persist::COMMANDS,
        acl::COMMANDS,
        memory::COMMANDS,
        sort::COMMANDS,
        replication::COMMANDS,
        scripting::COMMANDS,
        latency::COMMANDS,
        standalone::COMMANDS,
    ]
}

/// A command with its place in the table.
pub struct Entry {
    pub cmd: &'static Command,
    pub parent: Option<usize>,
    pub subs: HashMap<Vec<u8>, usize>,
    /// "get", or "config|get" for subcommands.
    pub full_name: String,
}

/// Lookup structure built once from the static declarations (after `rename-command`).
pub struct CommandTable {
    by_name: HashMap<Vec<u8>, usize>,
    by_ptr: HashMap<usize, usize>,
    pub all: Vec<Entry>,
}

impl CommandTable {
    pub fn build(renames: &[(String, String)]) -> CommandTable {
        let mut t = CommandTable {
            by_name: HashMap::new(),
            by_ptr: HashMap::new(),
            all: Vec::new(),
        };
        for fam in families() {
            for cmd in fam {
                let id = t.push(cmd, None, cmd.name.to_string());
                t.by_name.insert(cmd.name.as_bytes().to_vec(), id);
                for sub in cmd.subs {
                    let sid = t.push(sub, Some(id), format!("{}|{}", cmd.name, sub.name));
                    t.all[id].subs.insert(sub.name.as_bytes().to_vec(), sid);
                }
            }
        }
        for (old, new) in renames {
            if let Some(id) = t.by_name.remove(old.to_ascii_lowercase().as_bytes())
                && !new.is_empty()
            {
                t.by_name.insert(new.to_ascii_lowercase().into_bytes(), id);
            }
        }
        t
    }

    fn push(&mut self, cmd: &'static Command, parent: Option<usize>, full_name: String) -> usize {
        let id = self.all.len();
        self.all.push(Entry {
            cmd,
            parent,
            subs: HashMap::new(),
            full_name,
        });
        self.by_ptr.insert(cmd as *const Command as usize, id);
        id
    }

    pub fn len(&self) -> usize {
        self.all.len()
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// Stats id of a command.
    pub fn id_of(&self, cmd: &Command) -> usize {
        self.by_ptr[&(cmd as *const Command as usize)]
    }

    pub fn full_name(&self, cmd: &Command) -> String {
        self.all[self.id_of(cmd)].full_name.clone()
    }

    /// Top-level command by (case-insensitive) name.
    pub fn get(&self, name: &[u8]) -> Option<&'static Command> {
        let mut buf = [0u8; 64];
        if name.len() > buf.len() {
            return None;
        }
        for (i, c) in name.iter().enumerate() {
            buf[i] = c.to_ascii_lowercase();
        }
        self.by_name
            .get(&buf[..name.len()])
            .map(|&i| self.all[i].cmd)
    }

    /// Top-level commands (as exposed, after renames).
    pub fn top_level(&self) -> impl Iterator<Item = &Entry> {
        let mut ids: Vec<usize> = self.by_name.values().copied().collect();
        ids.sort_unstable();
        ids.into_iter().map(move |i| &self.all[i])
    }

    /// Subcommand entry of a container by name.
    pub fn sub(&self, parent: &Command, name: &[u8]) -> Option<&'static Command> {
        let e = &self.all[self.id_of(parent)];
        e.subs
            .get(&name.to_ascii_lowercase())
            .map(|&i| self.all[i].cmd)
    }

    /// Resolves argv to a command (or subcommand) with Redis's errors for unknown commands,
    /// unknown subcommands and wrong arity.
    pub fn lookup(&self, args: &[&[u8]]) -> Result<(&'static Command, usize), Error> {
        let Some(cmd) = self.get(args[0]) else {
            return Err(unknown_command(args));
        };
        let mut id = self.id_of(cmd);
        let mut cmd = cmd;
        if cmd.is_container() {
            if args.len() >= 2 {
                match self.all[id].subs.get(&args[1].to_ascii_lowercase()) {
                    Some(&sid) => {
                        id = sid;
                        cmd = self.all[sid].cmd;
                    }
                    None => {
                        return Err(Error::err(format!(
                            "unknown subcommand '{}'. Try {} HELP.",
                            sanitize(&String::from_utf8_lossy(&args[1][..args[1].len().min(128)])),
                            self.all[id].full_name.to_ascii_uppercase()
                        )));
                    }
                }
            } else if !cmd.runs_bare {
                return Err(Error::wrong_args(&self.all[id].full_name));
            }
        }
        let argc = args.len() as i32;
        if (cmd.arity > 0 && argc != cmd.arity) || argc < -cmd.arity {
            return Err(Error::wrong_args(&self.all[id].full_name));
        }
        Ok((cmd, id))
    }
}

fn sanitize(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

/// "ERR unknown command 'foo', with args beginning with: 'a' 'b' "
pub fn unknown_command(args: &[&[u8]]) -> Error {
    let name = String::from_utf8_lossy(&args[0][..args[0].len().min(128)]).into_owned();
    let mut rest = String::new();
    for a in &args[1..] {
        if rest.len() >= 128 {
            break;
        }
        let room = 128 - rest.len();
        let s = String::from_utf8_lossy(&a[..a.len().min(room)]).into_owned();
        rest.push('\'');
        rest.push_str(&s);
        rest.push_str("' ");
    }
    Error::err(sanitize(&format!(
        "unknown command '{name}', with args beginning with: {rest}"
    )))
}
