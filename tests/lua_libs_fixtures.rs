//! Runs every case recorded from a real Redis (tests/fixtures/lua/expected.txt, produced by
//! tools/record_fixtures.py) in an mlua state with the libraries and the sandbox, and
//! checks that the serialised results — values and error messages — are identical.
//!
//! Each case body runs inside the same wrapper script as on Redis (prelude.lua +
//! body + postlude.lua, chunk name "@user_script"), so error positions match too. Like
//! on Redis, one state runs all cases and reset.lua restores the cjson settings after
//! each case.

use mlua::{Lua, LuaOptions};
use pilgrim::scripting::lualibs::{redis_std_libs, register_all, sandbox};

const PRELUDE: &str = include_str!("fixtures/lua/prelude.lua");
const POSTLUDE: &str = include_str!("fixtures/lua/postlude.lua");
const RESET: &str = include_str!("fixtures/lua/reset.lua");
const EXPECTED: &str = include_str!("fixtures/lua/expected.txt");

struct Case {
    name: String,
    body: String,
    expected: String,
}

fn parse_cases(text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut name: Option<String> = None;
    let mut body: Vec<&str> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("### ") {
            name = Some(rest.trim().to_string());
            body.clear();
        } else if let Some(expected) = line.strip_prefix("=>> ") {
            let name = name.take().expect("expected line outside a case");
            cases.push(Case {
                name,
                body: body.join("\n"),
                expected: expected.to_string(),
            });
        } else if name.is_some() {
            body.push(line);
        }
    }
    cases
}

fn new_state() -> Lua {
    let lua = Lua::new_with(redis_std_libs(), LuaOptions::default()).expect("lua state");
    register_all(&lua).expect("register libraries");
    sandbox(&lua).expect("sandbox");
    lua
}

fn run_case(lua: &Lua, body: &str) -> String {
    let script = format!("{PRELUDE}{body}\n{POSTLUDE}");
    match lua
        .load(&script)
        .set_name("@user_script")
        .eval::<mlua::LuaString>()
    {
        Ok(reply) => reply.as_bytes().iter().map(|&b| b as char).collect(),
        Err(err) => format!("!error {err}"),
    }
}

#[test]
fn libraries_match_redis_fixtures() {
    let cases = parse_cases(EXPECTED);
    assert!(cases.len() >= 300, "only {} fixture cases", cases.len());
    let lua = new_state();
    let mut failures = Vec::new();
    for case in &cases {
        let got = run_case(&lua, &case.body);
        if got != case.expected {
            failures.push(format!(
                "--- {}\n{}\n  redis: {}\n  ours:  {}",
                case.name, case.body, case.expected, got
            ));
        }
        let reset: String = lua.load(RESET).set_name("=reset").eval().expect("reset");
        assert_eq!(reset, "ok");
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from Redis:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
