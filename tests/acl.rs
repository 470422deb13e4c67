//! ACL: users, rules, permission checks (commands, keys, channels, selectors), ACL LOG,
//! AUTH/HELLO, requirepass, config-file users, aclfile, CLIENT KILL USER and DELUSER kills.
mod common;
use common::*;

fn auth(r: &mut Raw, user: &str, pass: &str) {
    assert_eq!(r.q(&["AUTH", user, pass]), "+OK");
}

#[test]
fn setuser_list_getuser() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.s("ACL LIST"), "[\"user default on nopass ~* &* +@all\"]");
    assert_eq!(
        r.q(&[
            "ACL",
            "SETUSER",
            "u",
            "on",
            ">p1",
            "~a*",
            "%R~b*",
            "&ch*",
            "+@read",
            "-get",
            "+config|get"
        ]),
        "+OK"
    );
    let hash = "f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a";
    assert_eq!(
        r.s("ACL LIST"),
        format!(
            "[\"user default on nopass ~* &* +@all\", \"user u on #{hash} ~a* %R~b* resetchannels &ch* -@all +@read -get +config|get\"]"
        )
    );
    assert_eq!(
        r.s("ACL GETUSER u"),
        format!(
            "[\"flags\", [\"on\"], \"passwords\", [\"{hash}\"], \"commands\", \"-@all +@read -get +config|get\", \"keys\", \"~a* %R~b*\", \"channels\", \"&ch*\", \"selectors\", []]"
        )
    );
    // Later rules about the same command or category replace earlier ones; +@all resets.
    assert_eq!(
        r.s("ACL SETUSER d +get +set -get +@read -@read +config +@all -set"),
        "+OK"
    );
    assert_eq!(
        r.s("ACL GETUSER d"),
        "[\"flags\", [\"off\"], \"passwords\", [], \"commands\", \"+@all -set\", \"keys\", \"\", \"channels\", \"\", \"selectors\", []]"
    );
    assert_eq!(r.s("ACL SETUSER d2 +@read -@all +get"), "+OK");
    assert_eq!(
        r.s("ACL DRYRUN d2 get x"),
        "\"User d2 has no permissions to access the 'x' key\""
    );
    // Selectors, also split over several arguments.
    assert_eq!(
        r.q(&[
            "ACL",
            "SETUSER",
            "s",
            "+@all",
            "-get",
            "resetchannels",
            "(+set ~x*)",
            "(+get",
            "~y*)"
        ]),
        "+OK"
    );
    assert!(r.s("ACL LIST").contains("\"user s off resetchannels +@all -get (~x* resetchannels -@all +set) (~y* resetchannels -@all +get)\""));
    let mut r3 = s.raw();
    assert!(r3.s("HELLO 3").starts_with('{'));
    assert_eq!(
        r3.s("ACL GETUSER s"),
        "{\"flags\": ~[\"off\"], \"passwords\": [], \"commands\": \"+@all -get\", \"keys\": \"\", \"channels\": \"\", \"selectors\": [{\"commands\": \"-@all +set\", \"keys\": \"~x*\", \"channels\": \"\"}, {\"commands\": \"-@all +get\", \"keys\": \"~y*\", \"channels\": \"\"}]}"
    );
    assert_eq!(r.s("ACL SETUSER s clearselectors"), "+OK");
    assert!(
        r.s("ACL LIST")
            .contains("\"user s off resetchannels +@all -get\"")
    );
    assert_eq!(r.s("ACL GETUSER nosuch"), "(nil)");
    // reset, nopass, resetpass, #hash, !hash, <pass.
    assert_eq!(
        r.q(&["ACL", "SETUSER", "p", ">a", ">b", &format!("#{hash}")]),
        "+OK"
    );
    assert!(r.s("ACL GETUSER p").matches(", \"").count() > 3);
    assert_eq!(
        r.q(&["ACL", "SETUSER", "p", "<a", &format!("!{hash}")]),
        "+OK"
    );
    assert!(r.s("ACL GETUSER p").contains(
        "\"passwords\", [\"3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d\"]"
    ));
    assert_eq!(r.s("ACL SETUSER p nopass"), "+OK");
    assert!(
        r.s("ACL GETUSER p")
            .contains("[\"off\", \"nopass\"], \"passwords\", []")
    );
    assert_eq!(
        r.s("ACL SETUSER p resetpass on allkeys allchannels allcommands"),
        "+OK"
    );
    assert!(r.s("ACL LIST").contains("\"user p on ~* &* +@all\""));
    assert_eq!(r.s("ACL SETUSER p reset"), "+OK");
    assert!(
        r.s("ACL LIST")
            .contains("\"user p off sanitize-payload resetchannels -@all\"")
    );
    assert_eq!(
        r.s("ACL SETUSER p skip-sanitize-payload nocommands resetkeys"),
        "+OK"
    );
    assert!(
        r.s("ACL LIST")
            .contains("\"user p off skip-sanitize-payload resetchannels -@all\"")
    );
    assert_eq!(
        r.s("ACL USERS"),
        "[\"d\", \"d2\", \"default\", \"p\", \"s\", \"u\"]"
    );
}

#[test]
fn setuser_errors() {
    let s = Server::start();
    let mut r = s.raw();
    let cases = [
        ("+nosuch", "Unknown command or category name in ACL"),
        ("+@nosuch", "Unknown command or category name in ACL"),
        ("+config|nosuch", "Unknown command or category name in ACL"),
        (
            "+config|get|x",
            "Allowing first-arg of a subcommand is not supported",
        ),
        (
            "<nope",
            "The password you are trying to remove from the user does not exist",
        ),
        (
            "#abc",
            "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
        ),
        ("blah", "Syntax error"),
        ("%X~a", "Syntax error"),
        ("(on)", "Syntax error"),
    ];
    for (rule, msg) in cases {
        assert_eq!(
            r.q(&["ACL", "SETUSER", "x", rule]),
            format!("-ERR Error in ACL SETUSER modifier '{rule}': {msg}")
        );
    }
    assert_eq!(
        r.q(&["ACL", "SETUSER", "x", "~*", "~a"]),
        "-ERR Error in ACL SETUSER modifier '~a': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
    );
    assert_eq!(
        r.q(&["ACL", "SETUSER", "x", "&*", "&a"]),
        "-ERR Error in ACL SETUSER modifier '&a': Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
    );
    assert_eq!(
        r.q(&["ACL", "SETUSER", "x", "(+get"]),
        "-ERR Unmatched parenthesis in acl selector starting at '(+get'."
    );
    assert_eq!(
        r.q(&["ACL", "SETUSER", "a b"]),
        "-ERR Usernames can't contain spaces or null characters"
    );
    // A failing SETUSER changes nothing (x was never created).
    assert_eq!(r.s("ACL USERS"), "[\"default\"]");
    assert_eq!(
        r.s("ACL SETUSER"),
        "-ERR wrong number of arguments for 'acl|setuser' command"
    );
    assert_eq!(
        r.s("ACL GETUSER"),
        "-ERR wrong number of arguments for 'acl|getuser' command"
    );
    assert_eq!(
        r.s("ACL NOPE"),
        "-ERR unknown subcommand 'NOPE'. Try ACL HELP."
    );
    assert_eq!(
        r.s("ACL DELUSER default"),
        "-ERR The 'default' user cannot be removed"
    );
    let help = r.s("ACL HELP");
    assert!(
        help.starts_with(
            "[+ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:, +CAT [<category>]"
        ),
        "{help}"
    );
}

#[test]
fn command_key_channel_checks() {
    let s = Server::start();
    let mut a = s.raw();
    assert_eq!(
        a.s("ACL SETUSER t on >pw ~k* %R~r* %W~w* &c* -@all +get +set +publish +subscribe +psubscribe +del +copy"),
        "+OK"
    );
    let mut r = s.raw();
    auth(&mut r, "t", "pw");
    assert_eq!(
        r.s("ACL WHOAMI"),
        "-NOPERM User t has no permissions to run the 'acl|whoami' command"
    );
    assert_eq!(r.s("SET k1 v"), "+OK");
    assert_eq!(r.s("GET k1"), "\"v\"");
    assert_eq!(r.s("SET z v"), "-NOPERM No permissions to access a key");
    assert_eq!(
        r.s("CONFIG GET x"),
        "-NOPERM User t has no permissions to run the 'config|get' command"
    );
    assert_eq!(
        r.s("INCR k1"),
        "-NOPERM User t has no permissions to run the 'incr' command"
    );
    // %R: read only; %W: write only.
    assert_eq!(r.s("GET r1"), "(nil)");
    assert_eq!(r.s("SET r1 x"), "-NOPERM No permissions to access a key");
    assert_eq!(r.s("SET w1 x"), "+OK");
    assert_eq!(r.s("GET w1"), "-NOPERM No permissions to access a key");
    // COPY reads the source and writes the destination.
    assert_eq!(r.s("COPY r1 w2"), ":0");
    assert_eq!(r.s("COPY w1 k2"), "-NOPERM No permissions to access a key");
    // Every key is checked.
    assert_eq!(r.s("DEL k1 z"), "-NOPERM No permissions to access a key");
    // Channels.
    assert_eq!(r.s("PUBLISH cx m"), ":0");
    assert_eq!(
        r.s("PUBLISH zz m"),
        "-NOPERM No permissions to access a channel"
    );
    assert_eq!(
        r.s("SUBSCRIBE c1 z1"),
        "-NOPERM No permissions to access a channel"
    );
    assert_eq!(
        r.s("PSUBSCRIBE z*"),
        "-NOPERM No permissions to access a channel"
    );
    // A pattern subscription needs the same pattern literally.
    assert_eq!(
        r.s("PSUBSCRIBE c1*"),
        "-NOPERM No permissions to access a channel"
    );
    assert_eq!(r.s("PSUBSCRIBE c*"), "[\"psubscribe\", \"c*\", :1]");
    // ACL LOG records every denial, newest first, merging repeats.
    let log = a.s("ACL LOG 1");
    assert!(log.starts_with("[[\"count\", :1, \"reason\", \"channel\", \"context\", \"toplevel\", \"object\", \"c1*\", \"username\", \"t\", \"age-seconds\", "), "{log}");
    assert!(log.contains("\"client-info\", \"id="), "{log}");
    assert!(log.contains("user=t"), "{log}");
    assert!(log.contains("\"entry-id\", "), "{log}");
    assert!(log.contains("\"timestamp-last-updated\", "), "{log}");
    let mut r2 = s.raw();
    auth(&mut r2, "t", "pw");
    assert_eq!(r2.s("SET z v"), "-NOPERM No permissions to access a key");
    let all = a.s("ACL LOG");
    assert!(
        all.contains(
            "[\"count\", :3, \"reason\", \"key\", \"context\", \"toplevel\", \"object\", \"z\""
        ),
        "{all}"
    );
    assert!(
        all.contains(
            "\"reason\", \"command\", \"context\", \"toplevel\", \"object\", \"config|get\""
        ),
        "{all}"
    );
    assert_eq!(a.s("ACL LOG 0"), "[]");
    assert_eq!(
        a.s("ACL LOG x"),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(a.s("ACL LOG -1"), "[]");
    assert_eq!(
        a.s("ACL LOG 1 2"),
        "-ERR unknown subcommand or wrong number of arguments for 'LOG'. Try ACL HELP."
    );
    let info = a.s("INFO stats");
    assert!(info.contains("acl_access_denied_cmd:3"), "{info}");
    assert!(info.contains("acl_access_denied_key:6"), "{info}");
    assert!(info.contains("acl_access_denied_channel:4"), "{info}");
    assert_eq!(a.s("ACL LOG RESET"), "+OK");
    assert_eq!(a.s("ACL LOG"), "[]");
}

#[test]
fn selectors_and_subcommands_and_categories() {
    let s = Server::start();
    let mut a = s.raw();
    assert_eq!(
        a.q(&[
            "ACL",
            "SETUSER",
            "u",
            "on",
            "nopass",
            "+get",
            "~app1*",
            "(+set ~app2*)",
            "+config|get",
            "+@sortedset",
            "-zadd",
            "+select|1"
        ]),
        "+OK"
    );
    let mut r = s.raw();
    auth(&mut r, "u", "any");
    assert_eq!(r.s("GET app1x"), "(nil)");
    assert_eq!(r.s("SET app2x v"), "+OK");
    // Neither the root nor the selector allows SET on app1*: the deepest reason is reported.
    assert_eq!(r.s("SET app1x v"), "-NOPERM No permissions to access a key");
    assert_eq!(r.s("GET app2x"), "-NOPERM No permissions to access a key");
    assert_eq!(
        r.s("XADD app1 * a b"),
        "-NOPERM User u has no permissions to run the 'xadd' command"
    );
    assert_eq!(r.s("CONFIG GET maxmemory"), "[\"maxmemory\", \"0\"]");
    assert_eq!(
        r.s("CONFIG SET maxmemory 0"),
        "-NOPERM User u has no permissions to run the 'config|set' command"
    );
    assert_eq!(r.s("ZSCORE app1h f"), "(nil)");
    assert_eq!(
        r.s("ZADD app1h 1 f"),
        "-NOPERM User u has no permissions to run the 'zadd' command"
    );
    // First-argument rules.
    assert_eq!(r.s("SELECT 1"), "+OK");
    assert_eq!(
        r.s("SELECT 2"),
        "-NOPERM User u has no permissions to run the 'select' command"
    );
    // NO_AUTH commands run regardless (AUTH, HELLO).
    assert_eq!(r.s("AUTH u x"), "+OK");
    // DRYRUN.
    assert_eq!(a.s("ACL DRYRUN u get app1"), "+OK");
    assert_eq!(
        a.s("ACL DRYRUN u get zz"),
        "\"User u has no permissions to access the 'zz' key\""
    );
    assert_eq!(
        a.s("ACL DRYRUN u xadd zz * a b"),
        "\"User u has no permissions to run the 'xadd' command\""
    );
    assert_eq!(
        a.s("ACL DRYRUN nouser get k"),
        "-ERR User 'nouser' not found"
    );
    assert_eq!(
        a.s("ACL DRYRUN u nocmd k"),
        "-ERR Command 'nocmd' not found"
    );
    assert_eq!(
        a.s("ACL DRYRUN u get"),
        "-ERR wrong number of arguments for 'get' command"
    );
    // Categories.
    let cats = a.s("ACL CAT");
    assert_eq!(
        cats,
        "[\"keyspace\", \"read\", \"write\", \"set\", \"sortedset\", \"list\", \"hash\", \"string\", \"bitmap\", \"hyperloglog\", \"geo\", \"stream\", \"pubsub\", \"admin\", \"fast\", \"slow\", \"blocking\", \"dangerous\", \"connection\", \"transaction\", \"scripting\"]"
    );
    let geo = a.s("ACL CAT geo");
    assert!(
        geo.contains("\"geoadd\"") && geo.contains("\"geosearchstore\""),
        "{geo}"
    );
    assert!(!geo.contains("\"get\""), "{geo}");
    let admin = a.s("ACL CAT admin");
    assert!(
        admin.contains("\"config|set\"") && admin.contains("\"acl|setuser\""),
        "{admin}"
    );
    assert_eq!(a.s("ACL CAT nope"), "-ERR Unknown category 'nope'");
    assert_eq!(
        a.s("ACL CAT a b"),
        "-ERR unknown subcommand or wrong number of arguments for 'CAT'. Try ACL HELP."
    );
    // +@category applies to commands by their derived categories.
    assert_eq!(a.s("ACL SETUSER ro on nopass ~* +@read"), "+OK");
    let mut ro = s.raw();
    auth(&mut ro, "ro", "x");
    assert_eq!(ro.s("GET app2x"), "\"v\"");
    assert_eq!(
        ro.s("SET a b"),
        "-NOPERM User ro has no permissions to run the 'set' command"
    );
    assert_eq!(ro.s("ZRANGE z 0 -1"), "[]");
}

#[test]
fn auth_hello_requirepass() {
    let s = Server::start_with(&["--requirepass", "secret"]);
    let mut r = s.raw();
    assert_eq!(r.s("GET k"), "-NOAUTH Authentication required.");
    assert_eq!(
        r.s("AUTH wrong"),
        "-WRONGPASS invalid username-password pair or user is disabled."
    );
    assert_eq!(r.s("AUTH secret"), "+OK");
    assert_eq!(r.s("ACL WHOAMI"), "\"default\"");
    let hash = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b";
    assert_eq!(
        r.s("ACL LIST"),
        format!("[\"user default on #{hash} ~* &* +@all\"]")
    );
    assert_eq!(r.s("ACL SETUSER alice on >pw ~* &* +@all"), "+OK");
    assert_eq!(r.s("ACL SETUSER bob off >pw ~* +@all"), "+OK");
    let mut h = s.raw();
    assert_eq!(
        h.s("HELLO 3"),
        "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
    );
    assert_eq!(
        h.s("HELLO 3 AUTH alice nope"),
        "-WRONGPASS invalid username-password pair or user is disabled."
    );
    assert_eq!(
        h.s("HELLO 3 AUTH bob pw"),
        "-WRONGPASS invalid username-password pair or user is disabled."
    );
    assert!(h.s("HELLO 3 AUTH alice pw").starts_with('{'));
    assert_eq!(h.s("ACL WHOAMI"), "\"alice\"");
    assert!(h.s("CLIENT INFO").contains("user=alice"));
    // Failed authentications are logged with reason auth.
    let log = r.s("ACL LOG");
    assert!(log.contains("\"reason\", \"auth\", \"context\", \"toplevel\", \"object\", \"HELLO\", \"username\", \"bob\""), "{log}");
    assert!(
        log.contains("\"object\", \"AUTH\", \"username\", \"default\""),
        "{log}"
    );
    // CONFIG SET requirepass replaces the default user's password.
    assert_eq!(r.s("CONFIG SET requirepass other"), "+OK");
    let mut n = s.raw();
    assert_eq!(
        n.s("AUTH secret"),
        "-WRONGPASS invalid username-password pair or user is disabled."
    );
    assert_eq!(n.s("AUTH default other"), "+OK");
    assert_eq!(r.q(&["CONFIG", "SET", "requirepass", ""]), "+OK");
    let mut o = s.raw();
    assert_eq!(o.s("PING"), "+PONG");
    assert_eq!(
        o.s("AUTH x"),
        "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
    );
    // RESET goes back to the default user.
    assert_eq!(h.s("RESET"), "+RESET");
    assert_eq!(h.s("ACL WHOAMI"), "\"default\"");
}

#[test]
fn deluser_and_client_kill_user() {
    let s = Server::start();
    let mut a = s.raw();
    assert_eq!(a.s("ACL SETUSER v on >pw ~* &* +@all"), "+OK");
    assert_eq!(a.s("ACL SETUSER w on >pw ~* &* +@all"), "+OK");
    let mut v1 = s.raw();
    auth(&mut v1, "v", "pw");
    let mut v2 = s.raw();
    auth(&mut v2, "v", "pw");
    let mut w1 = s.raw();
    auth(&mut w1, "w", "pw");
    assert_eq!(a.s("CLIENT KILL USER nosuch"), "-ERR No such user 'nosuch'");
    assert_eq!(a.s("CLIENT KILL USER w"), ":1");
    assert!(w1.closed());
    assert_eq!(a.s("ACL DELUSER v nosuch"), ":1");
    assert!(v1.closed());
    assert!(v2.closed());
    assert_eq!(a.s("ACL USERS"), "[\"default\", \"w\"]");
    // A client deleting its own user is closed after the reply.
    let mut w2 = s.raw();
    auth(&mut w2, "w", "pw");
    assert_eq!(w2.s("ACL DELUSER w"), ":1");
    assert!(w2.closed());
    assert_eq!(a.s("PING"), "+PONG");
}

#[test]
fn multi_exec_rechecks() {
    let s = Server::start();
    let mut a = s.raw();
    assert_eq!(a.s("ACL SETUSER m on nopass ~* &* +@all"), "+OK");
    let mut r = s.raw();
    auth(&mut r, "m", "x");
    assert_eq!(r.s("MULTI"), "+OK");
    assert_eq!(r.s("SET a 1"), "+QUEUED");
    assert_eq!(r.s("GET a"), "+QUEUED");
    assert_eq!(a.s("ACL SETUSER m -set"), "+OK");
    assert_eq!(
        r.s("EXEC"),
        "[-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to execute the command or subcommand, (nil)]"
    );
    assert_eq!(r.s("MULTI"), "+OK");
    assert_eq!(
        r.s("SET a 1"),
        "-NOPERM User m has no permissions to run the 'set' command"
    );
    assert_eq!(
        r.s("EXEC"),
        "-EXECABORT Transaction discarded because of previous errors."
    );
    assert_eq!(a.s("ACL SETUSER m resetkeys ~b"), "+OK");
    assert_eq!(r.s("MULTI"), "+OK");
    assert_eq!(r.s("GET b"), "+QUEUED");
    assert_eq!(a.s("ACL SETUSER m resetkeys ~c"), "+OK");
    assert_eq!(
        r.s("EXEC"),
        "[-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to touch the specified keys]"
    );
    let log = a.s("ACL LOG 1");
    assert!(
        log.contains("\"reason\", \"key\", \"context\", \"multi\", \"object\", \"b\""),
        "{log}"
    );
}

#[test]
fn genpass_whoami() {
    let s = Server::start();
    let mut r = s.raw();
    let p = r.s("ACL GENPASS");
    assert_eq!(p.len(), 64 + 2);
    assert!(p.trim_matches('"').chars().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(r.s("ACL GENPASS"), p);
    assert_eq!(r.s("ACL GENPASS 5").len(), 2 + 2);
    assert_eq!(r.s("ACL GENPASS 4096").len(), 1024 + 2);
    assert_eq!(
        r.s("ACL GENPASS x"),
        "-ERR value is not an integer or out of range"
    );
    for bad in ["0", "4097", "-1"] {
        assert_eq!(
            r.s(&format!("ACL GENPASS {bad}")),
            "-ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096"
        );
    }
    assert_eq!(r.s("ACL WHOAMI"), "\"default\"");
    assert_eq!(
        r.s("ACL WHOAMI x"),
        "-ERR wrong number of arguments for 'acl|whoami' command"
    );
    assert_eq!(
        r.s("ACL SAVE"),
        "-ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."
    );
    assert!(
        r.s("ACL LOAD")
            .starts_with("-ERR This Redis instance is not configured")
    );
}

#[test]
fn config_file_users_and_aclfile() {
    let dir = std::env::temp_dir().join(format!("pilgrim-acl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let s = Server::start_with(&[
        "--user", "alice", "on", ">pw", "~a*", "+get", "--user", "default", "on", "nopass", "~*",
        "&*", "+@all",
    ]);
    let mut r = s.raw();
    assert_eq!(
        r.s("ACL LIST"),
        "[\"user alice on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~a* resetchannels -@all +get\", \"user default on nopass ~* &* +@all\"]"
    );
    drop(s);
    // aclfile: loaded at start, ACL SAVE / ACL LOAD round trip.
    let aclfile = dir.join("users.acl");
    std::fs::write(&aclfile, "user bob on >pw ~b* +@read\n").unwrap();
    let s = Server::start_with(&["--aclfile", aclfile.to_str().unwrap()]);
    let mut r = s.raw();
    assert_eq!(r.s("ACL USERS"), "[\"bob\", \"default\"]");
    let mut b = s.raw();
    auth(&mut b, "bob", "pw");
    assert_eq!(r.s("ACL SETUSER carol on >x +get"), "+OK");
    assert_eq!(r.s("ACL SAVE"), "+OK");
    let text = std::fs::read_to_string(&aclfile).unwrap();
    assert!(text.contains("user carol on #"), "{text}");
    // SAVE then LOAD gives back the same users, selectors included.
    assert_eq!(
        r.q(&[
            "ACL",
            "SETUSER",
            "dave",
            "on",
            "#2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b",
            "%R~r*",
            "&ch",
            "+@read",
            "-get",
            "(+set ~w*)"
        ]),
        "+OK"
    );
    let before = r.s("ACL LIST");
    assert_eq!(r.s("ACL SAVE"), "+OK");
    assert_eq!(r.s("ACL LOAD"), "+OK");
    assert_eq!(r.s("ACL LIST"), before);
    std::fs::write(
        &aclfile,
        "user default on nopass ~* &* +@all\nuser carol on >y +get\n",
    )
    .unwrap();
    assert_eq!(r.s("ACL LOAD"), "+OK");
    assert_eq!(r.s("ACL USERS"), "[\"carol\", \"default\"]");
    // bob is gone: his connection is closed.
    assert!(b.closed());
    std::fs::write(&aclfile, "user x on +nosuch\n").unwrap();
    let e = r.s("ACL LOAD");
    assert!(
        e.starts_with("-ERR ") && e.contains("Unknown command or category name in ACL"),
        "{e}"
    );
    // A failed load keeps the users as they were.
    assert_eq!(r.s("ACL USERS"), "[\"carol\", \"default\"]");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn revoking_channels_disconnects_subscribers() {
    let s = Server::start();
    let mut a = s.raw();
    assert_eq!(
        a.s("ACL SETUSER ps on >pw &news.* &sport allcommands"),
        "+OK"
    );
    let mut news = s.raw();
    auth(&mut news, "ps", "pw");
    assert_eq!(
        news.s("SUBSCRIBE news.1"),
        "[\"subscribe\", \"news.1\", :1]"
    );
    let mut sport = s.raw();
    auth(&mut sport, "ps", "pw");
    assert_eq!(sport.s("SUBSCRIBE sport"), "[\"subscribe\", \"sport\", :1]");
    let mut pat = s.raw();
    auth(&mut pat, "ps", "pw");
    assert_eq!(
        pat.s("PSUBSCRIBE news.*"),
        "[\"psubscribe\", \"news.*\", :1]"
    );
    // Only "sport" stays allowed: the news subscribers are disconnected.
    assert_eq!(a.s("ACL SETUSER ps resetchannels &sport"), "+OK");
    assert!(news.closed());
    assert!(pat.closed());
    assert_eq!(a.s("PUBLISH sport goal"), ":1");
    assert_eq!(
        sport.read().to_string(),
        "[\"message\", \"sport\", \"goal\"]"
    );
    // A selector granting the channel keeps its subscribers.
    let mut n2 = s.raw();
    assert_eq!(a.s("ACL SETUSER ps (&news.2 +@all)"), "+OK");
    auth(&mut n2, "ps", "pw");
    assert_eq!(n2.s("SUBSCRIBE news.2"), "[\"subscribe\", \"news.2\", :1]");
    assert_eq!(a.s("ACL SETUSER ps resetchannels"), "+OK");
    assert!(sport.closed());
    assert_eq!(a.s("PUBLISH news.2 x"), ":1");
    assert_eq!(n2.read().to_string(), "[\"message\", \"news.2\", \"x\"]");
}

/// A non-loopback address of this machine, if it has one.
fn external_ip() -> Option<String> {
    let out = std::process::Command::new("hostname")
        .arg("-I")
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .find(|a| a.contains('.') && !a.starts_with("127."))
        .map(|a| a.to_string())
}

#[test]
fn protected_mode_and_log_client_info() {
    let s = Server::start_with(&["--bind", "0.0.0.0"]);
    let mut a = s.raw();
    // ACL LOG's client-info names the refused command.
    assert_eq!(a.s("ACL SETUSER lim on nopass ~* +get"), "+OK");
    let mut l = s.raw();
    auth(&mut l, "lim", "x");
    assert_eq!(
        l.s("SET k v"),
        "-NOPERM User lim has no permissions to run the 'set' command"
    );
    let log = a.s("ACL LOG 1");
    assert!(log.contains("cmd=set user=lim"), "{log}");
    let Some(ip) = external_ip() else {
        return;
    };
    let mut ext = Raw::connect_addr(&ip, s.port);
    let f = ext.read().to_string();
    assert!(f.starts_with("-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user."), "{f}");
    assert!(ext.closed());
    // With a password for the default user, remote clients may connect (and must AUTH).
    assert_eq!(a.s("ACL SETUSER default resetpass >pw"), "+OK");
    let mut ext = Raw::connect_addr(&ip, s.port);
    assert_eq!(ext.s("GET k"), "-NOAUTH Authentication required.");
    assert_eq!(ext.s("AUTH pw"), "+OK");
    assert_eq!(ext.s("GET k"), "(nil)");
}

#[test]
fn acl_pubsub_default_allchannels() {
    let s = Server::start_with(&["--acl-pubsub-default", "allchannels"]);
    let mut a = s.raw();
    assert_eq!(a.s("ACL SETUSER n on nopass +@all ~*"), "+OK");
    assert!(
        a.s("ACL LIST").contains("\"user n on nopass ~* &* +@all\""),
        "{}",
        a.s("ACL LIST")
    );
    assert_eq!(a.s("ACL SETUSER n reset"), "+OK");
    assert!(
        a.s("ACL LIST")
            .contains("\"user n off sanitize-payload &* -@all\"")
    );
    assert_eq!(a.s("CONFIG SET acl-pubsub-default resetchannels"), "+OK");
    assert_eq!(a.s("ACL SETUSER m on"), "+OK");
    assert!(
        a.s("ACL LIST")
            .contains("\"user m on resetchannels -@all\"")
    );
}
