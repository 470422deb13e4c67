//! CLUSTER and MODULE as a standalone Redis 7.2 answers them.
//!
//! Pilgrim is never a cluster node (`cluster_enabled:0` in INFO), so every CLUSTER subcommand
//! answers Redis's "This instance has cluster support disabled", exactly as a Redis started
//! without `cluster-enabled yes` does. The subcommands are declared one by one so that ACL
//! rules such as `+cluster|info` and `COMMAND INFO cluster` work as with Redis.
//!
//! Pilgrim cannot load Redis modules. MODULE LIST answers the empty list and HELP its help;
//! LOAD, LOADEX and UNLOAD answer the error Redis gives with its default
//! `enable-module-command no`.

use super::ctx::Ctx;
use super::table::*;
use crate::error::{CmdResult, Error};

const G_CLUSTER: &str = "cluster";
const G_SERVER: &str = "server";
const CLUSTER_DISABLED: &str = "ERR This instance has cluster support disabled";
const MODULE_DISABLED: &str = "ERR MODULE command not allowed. If the enable-module-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";

const CL_ADMIN: u64 = ADMIN | STALE | NO_ASYNC_LOADING | KS_NONE;
const CL_ADMIN_ACL: u64 = ADMIN_CAT | SLOW | DANGEROUS;
const CL_READ: u64 = STALE | KS_NONE;

macro_rules! cluster_sub {
    ($name:expr, $arity:expr, $flags:expr, $acl:expr, $summary:expr) => {
        Command::new($name, $arity, cluster_disabled)
            .flags($flags)
            .acl($acl)
            .doc(G_CLUSTER, "3.0.0", "O(1)", $summary)
            .compat("Pilgrim is not a cluster node: answers 'This instance has cluster support disabled', as a standalone Redis does.")
    };
}

static CLUSTER_SUBS: &[Command] = &[
    cluster_sub!(
        "addslots",
        -3,
        CL_ADMIN,
        CL_ADMIN_ACL,
        "Assigns new hash slots to a node."
    ),
    cluster_sub!(
        "addslotsrange",
        -4,
        CL_ADMIN,
        CL_ADMIN_ACL,
        "Assigns new hash slot ranges to a node."
    ),
    cluster_sub!(
        "bumpepoch",
        2,
        CL_ADMIN,
        CL_ADMIN_ACL,
        "Advances the cluster config epoch."
    ),
    cluster_sub!(
        "count-failure-reports",
        3,
        ADMIN | STALE | KS_NONE,
        CL_ADMIN_ACL,
        "Returns the number of active failure reports active for a node."
    ),
    cluster_sub!(
        "countkeysinslot",
        3,
        CL_READ,
        SLOW,
        "Returns the number of keys in a hash slot."
    ),
    cluster_sub!(
        "delslots",
        -3,
        CL_ADMIN,
        CL_ADMIN_ACL,
        "Sets hash slots as unbound for a node."
    ),
    cluster_sub!(
        "delslotsrange",
        -4,
        CL_ADMIN,
        CL_ADMIN_ACL,
        "Sets hash slot ranges as unbound for a node."
    ),
    cluster_sub!(
        "failover",
        -2,
        CL_ADMIN,
        CL_ADMIN_ACL,
        "Forces a replica to perform a manual failover of its master."
    ),
    cluster_sub!(
        "flushslots",
        2,
        CL_ADMIN,
        CL_ADMIN_ACL,
        "Deletes all slots information from a node."
    ),
    cluster_sub!(
        "forget",
        3,
        CL_ADMIN,
        CL_ADMIN_ACL,
        "Removes a node from the nodes table."
    ),
    cluster_sub!(
        "getkeysinslot",
        4,
        CL_READ,
        SLOW,
        "Returns the key names in a hash slot."
    ),
    cluster_sub!(
        "help",
        2,
        LOADING | STALE | KS_NONE,
        SLOW,
        "Returns helpful text about the different subcommands."
    ),
    cluster_sub!(
        "info",
        2,
        CL_READ,
        SLOW,
        "Returns information about the state of a node."
    ),
    cluster_sub!(
        "keyslot",
        3,
        CL_READ,
        SLOW,
        "Returns the hash slot for a key."
    ),
    cluster_sub!(
        "links",
        2,
        CL_READ,
        SLOW,
        "Returns a list of all TCP links to and from peer nodes."
    ),
    cluster_sub!(
        "meet",
        -4,
        CL_ADMIN,
        CL_ADMIN_ACL,
        "Forces a node to handshake with another node."
    ),
    cluster_sub!("myid", 2, CL_READ, SLOW, "Returns the ID of a node."),
    cluster_sub!(
        "myshardid",
        2,
        CL_READ,
        SLOW,
        "Returns the shard ID of a node."
    ),
    cluster_sub!(
        "nodes",
        2,
        CL_READ,
        SLOW,
        "Returns the cluster configuration for a node."
    ),
    cluster_sub!(
        "replicas",
        3,
        ADMIN | STALE | KS_NONE,
        CL_ADMIN_ACL,
        "Lists the replica nodes of a master node."
    ),
    cluster_sub!(
        "replicate",
        3,
        CL_ADMIN,
        CL_ADMIN_ACL,
        "Configure a node as replica of a master node."
    ),
    cluster_sub!(
        "reset",
        -2,
        ADMIN | NOSCRIPT | STALE | KS_NONE,
        CL_ADMIN_ACL,
        "Resets a node."
    ),
    cluster_sub!(
        "saveconfig",
        2,
        CL_ADMIN,
        CL_ADMIN_ACL,
        "Forces a node to save the cluster configuration to disk."
    ),
    cluster_sub!(
        "set-config-epoch",
        3,
        CL_ADMIN,
        CL_ADMIN_ACL,
        "Sets the configuration epoch for a new node."
    ),
    cluster_sub!(
        "setslot",
        -4,
        CL_ADMIN,
        CL_ADMIN_ACL,
        "Binds a hash slot to a node."
    ),
    cluster_sub!(
        "shards",
        2,
        CL_READ,
        SLOW,
        "Returns the mapping of cluster slots to shards."
    ),
    cluster_sub!(
        "slaves",
        3,
        ADMIN | STALE | KS_NONE,
        CL_ADMIN_ACL,
        "Lists the replica nodes of a master node."
    ),
    cluster_sub!(
        "slots",
        2,
        CL_READ,
        SLOW,
        "Returns the mapping of cluster slots to nodes."
    ),
];

static MODULE_SUBS: &[Command] = &[
    Command::new("help", 2, module_help)
        .flags(LOADING | STALE | KS_NONE)
        .acl(SLOW)
        .doc(
            G_SERVER,
            "5.0.0",
            "O(1)",
            "Returns helpful text about the different subcommands.",
        )
        .syntax(""),
    Command::new("list", 2, module_list)
        .flags(ADMIN | NOSCRIPT | KS_NONE)
        .acl(ADMIN_CAT | SLOW | DANGEROUS)
        .doc(
            G_SERVER,
            "4.0.0",
            "O(N) where N is the number of loaded modules.",
            "Returns all loaded modules.",
        )
        .syntax("")
        .compat("Pilgrim cannot load modules: always the empty list."),
    Command::new("load", -3, module_disabled)
        .flags(ADMIN | NOSCRIPT | NO_ASYNC_LOADING | KS_NONE)
        .acl(ADMIN_CAT | SLOW | DANGEROUS)
        .doc(G_SERVER, "4.0.0", "O(1)", "Loads a module.")
        .syntax("path [arg [arg ...]]")
        .compat(
            "Pilgrim cannot load modules: answers Redis's error for `enable-module-command no`.",
        ),
    Command::new("loadex", -3, module_disabled)
        .flags(ADMIN | NOSCRIPT | NO_ASYNC_LOADING | KS_NONE)
        .acl(ADMIN_CAT | SLOW | DANGEROUS)
        .doc(
            G_SERVER,
            "7.0.0",
            "O(1)",
            "Loads a module using extended parameters.",
        )
        .syntax("path [CONFIG name value [CONFIG name value ...]] [ARGS args [args ...]]")
        .compat(
            "Pilgrim cannot load modules: answers Redis's error for `enable-module-command no`.",
        ),
    Command::new("unload", 3, module_disabled)
        .flags(ADMIN | NOSCRIPT | NO_ASYNC_LOADING | KS_NONE)
        .acl(ADMIN_CAT | SLOW | DANGEROUS)
        .doc(G_SERVER, "4.0.0", "O(1)", "Unloads a module.")
        .syntax("name")
        .compat(
            "Pilgrim cannot load modules: answers Redis's error for `enable-module-command no`.",
        ),
];

pub static COMMANDS: &[Command] = &[
    Command::container("cluster", -2, CLUSTER_SUBS)
        .acl(SLOW)
        .doc(
            G_CLUSTER,
            "3.0.0",
            "Depends on subcommand.",
            "A container for Redis Cluster commands.",
        ),
    Command::container("module", -2, MODULE_SUBS).acl(SLOW).doc(
        G_SERVER,
        "4.0.0",
        "Depends on subcommand.",
        "A container for module commands.",
    ),
];

fn cluster_disabled(_ctx: &mut Ctx) -> CmdResult {
    Err(Error::lit(CLUSTER_DISABLED))
}

fn module_disabled(_ctx: &mut Ctx) -> CmdResult {
    Err(Error::lit(MODULE_DISABLED))
}

fn module_list(ctx: &mut Ctx) -> CmdResult {
    ctx.out.array(0);
    Ok(())
}

fn module_help(ctx: &mut Ctx) -> CmdResult {
    let lines = [
        "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LIST",
        "    Return a list of loaded modules.",
        "LOAD <path> [<arg> ...]",
        "    Load a module library from <path>, passing to it any optional arguments.",
        "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
        "    Load a module library from <path>, while passing it module configurations and optional arguments.",
        "UNLOAD <name>",
        "    Unload a module.",
        "HELP",
        "    Prints this help.",
    ];
    ctx.out.array(lines.len());
    for l in lines {
        ctx.out.simple(l);
    }
    Ok(())
}
