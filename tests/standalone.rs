//! CLUSTER and MODULE as a standalone Redis without modules answers them, and MONITOR's
//! `lua` origin for commands run by scripts.

mod common;

use common::Server;

#[test]
fn cluster_subcommands_answer_cluster_disabled() {
    let s = Server::start();
    let mut r = s.raw();
    for cmd in [
        "CLUSTER INFO",
        "CLUSTER HELP",
        "CLUSTER KEYSLOT foo",
        "CLUSTER NODES",
        "CLUSTER SLOTS",
        "CLUSTER SHARDS",
        "CLUSTER MYID",
        "CLUSTER RESET",
        "CLUSTER RESET HARD",
        "CLUSTER GETKEYSINSLOT 0 10",
    ] {
        assert_eq!(
            r.s(cmd),
            "-ERR This instance has cluster support disabled",
            "{cmd}"
        );
    }
    // Arity and unknown subcommands are checked first, from the command table.
    assert_eq!(
        r.s("CLUSTER INFO extra"),
        "-ERR wrong number of arguments for 'cluster|info' command"
    );
    assert_eq!(
        r.s("CLUSTER"),
        "-ERR wrong number of arguments for 'cluster' command"
    );
    assert_eq!(
        r.s("CLUSTER NOPE"),
        "-ERR unknown subcommand 'NOPE'. Try CLUSTER HELP."
    );
    // The subcommands exist for ACL rules, as with Redis.
    assert_eq!(r.s("ACL SETUSER u on nopass +cluster +cluster|info"), "+OK");
    assert!(r.s("INFO cluster").contains("cluster_enabled:0"));
}

#[test]
fn module_commands_without_modules() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("MODULE LIST"), "[]");
    let not_allowed = "-ERR MODULE command not allowed. If the enable-module-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";
    assert_eq!(r.s("MODULE LOAD /nonexistent.so"), not_allowed);
    assert_eq!(r.s("MODULE LOADEX /nonexistent.so ARGS a"), not_allowed);
    assert_eq!(r.s("MODULE UNLOAD foo"), not_allowed);
    assert_eq!(
        r.s("MODULE LIST x"),
        "-ERR wrong number of arguments for 'module|list' command"
    );
    let help = r.s("MODULE HELP");
    assert!(
        help.starts_with(
            "[+MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:, +LIST,"
        ),
        "{help}"
    );
    assert!(help.ends_with(", +HELP, +    Prints this help.]"), "{help}");
}

#[test]
fn monitor_shows_lua_for_script_commands() {
    let s = Server::start();
    let mut m = s.raw();
    let mut r = s.raw();
    assert_eq!(m.s("MONITOR"), "+OK");
    assert_eq!(
        r.q(&["EVAL", "return redis.call('set', KEYS[1], 'v')", "1", "k"]),
        "+OK"
    );
    let mut lines = Vec::new();
    while lines.len() < 2 {
        lines.push(m.read().to_string());
    }
    let lua = lines
        .iter()
        .find(|l| l.ends_with(r#"] "set" "k" "v""#))
        .expect("the script's SET is monitored");
    assert!(lua.contains(" [0 lua] "), "{lua}");
    let eval = lines
        .iter()
        .find(|l| l.contains(r#""EVAL""#))
        .expect("the EVAL itself is monitored");
    assert!(eval.contains(" [0 127.0.0.1:"), "{eval}");
}

#[test]
fn command_getkeys_with_no_mandatory_keys() {
    let s = Server::start();
    let mut r = s.raw();
    // EVAL is `no_mandatory_keys`: numkeys 0 is an empty list, as in Redis.
    assert_eq!(r.q(&["COMMAND", "GETKEYS", "EVAL", "return 1", "0"]), "[]");
    assert_eq!(
        r.q(&["COMMAND", "GETKEYS", "EVAL", "return 1", "0", "a", "b"]),
        "[]"
    );
    assert_eq!(
        r.q(&["COMMAND", "GETKEYS", "EVAL", "return 1", "2", "a", "b"]),
        r#"["a", "b"]"#
    );
    assert_eq!(
        r.q(&["COMMAND", "GETKEYS", "PING"]),
        "-ERR The command has no key arguments"
    );
}
