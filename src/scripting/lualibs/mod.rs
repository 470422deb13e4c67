//! The Lua libraries Redis 7.2 gives scripts — `cjson`, `cmsgpack`, `bit` and `struct` —
//! reimplemented in Rust on mlua (Lua 5.1), plus Redis' generic scripting sandbox.
//!
//! The libraries reproduce the observable behaviour of the C versions Redis bundles:
//! results byte for byte, and error values exactly (see `bridge` for how errors keep the
//! C conventions: caller position prefixes, "bad argument #n to 'name'" texts).
//!
//! Typical set-up of a scripting state:
//!
//! ```
//! use mlua::{Lua, LuaOptions};
//! # fn main() -> mlua::Result<()> {
//! let lua = Lua::new_with(pilgrim::scripting::lualibs::redis_std_libs(), LuaOptions::default())?;
//! pilgrim::scripting::lualibs::register_all(&lua)?;
//! // ... register the `redis` API table here ...
//! pilgrim::scripting::lualibs::sandbox(&lua)?;
//! let encoded: String = lua.load("return cjson.encode({1, 2, {a = 1}})").eval()?;
//! assert_eq!(encoded, r#"[1,2,{"a":1}]"#);
//! # Ok(())
//! # }
//! ```

pub mod bit;
mod bridge;
pub mod cjson;
pub mod cmsgpack;
mod sandbox;
pub mod structlib;

use mlua::{IntoLua, Lua, StdLib};

/// The standard libraries Redis opens besides the base library (`luaLoadLibraries`):
/// table, string and math. (Redis also opens `debug`, only to build its error handler,
/// and removes it right after; in Lua 5.1 `coroutine` comes with the base library.)
pub fn redis_std_libs() -> StdLib {
    StdLib::TABLE | StdLib::STRING | StdLib::MATH
}

/// Creates the `cjson`, `cmsgpack`, `bit` and `struct` tables as globals.
pub fn register_all(lua: &Lua) -> mlua::Result<()> {
    let globals = lua.globals();
    globals.set("cjson", cjson::create_module(lua)?)?;
    globals.set("cmsgpack", cmsgpack::create_module(lua)?)?;
    globals.set("bit", bit::create_module(lua)?)?;
    globals.set("struct", structlib::create_module(lua)?)?;
    Ok(())
}

/// Applies the parts of Redis 7.2's scripting sandbox that are generic to Lua. Call it
/// once, after [`register_all`] and after installing the `redis` API, before running
/// scripts. It:
///
/// * removes every global that is not on Redis' allow lists: what stays is `string`,
///   `table`, `math`, `coroutine`, `cjson`, `cmsgpack`, `bit`, `struct`, `redis`,
///   `__redis__err__handler` and the builtins `assert collectgarbage error gcinfo
///   getmetatable ipairs load loadstring next pairs pcall rawequal rawget rawset select
///   setmetatable tonumber tostring type unpack xpcall _G _VERSION`. So `print`, `dofile`,
///   `loadfile`, `require`, `module`, `io`, `os`, `package`, `debug`, and the deprecated
///   `getfenv`, `setfenv` and `newproxy` (not exposed by patched 7.2 releases) are gone;
/// * makes the globals, every table reachable from them and the string metatable
///   read-only: any write (`x = 1`, `string.x = 1`, `rawset(_G, ...)`,
///   `setmetatable(_G, nil)`, `table.insert(_G, 1)`) raises "Attempt to modify a readonly
///   table" (prefixed with the script position when done by a Lua statement);
/// * makes reading an undefined global raise "Script attempted to access nonexistent
///   global variable 'x'" (Redis' `luaProtectedTableError`);
/// * makes `loadstring`/`load` treat binary chunks as source text, so bytecode is never
///   loaded (Redis' Lua reports "unexpected symbol near 'char(27)'" for them).
///
/// Afterwards the globals table is a read-only proxy; use [`set_global`] to change a
/// global (e.g. `KEYS` and `ARGV` before each script).
///
/// Not covered, being Redis-specific: the `redis` table itself, the deterministic
/// `math.random`, the error handler and script-timeout hooks. Script bodies should be
/// loaded as text with the chunk name `@user_script`.
pub fn sandbox(lua: &Lua) -> mlua::Result<()> {
    sandbox::apply(lua)
}

/// Sets global `name` to `value` in a state, whether or not [`sandbox`] was applied. In a
/// sandboxed state scripts can read the new global but not reassign it.
pub fn set_global(lua: &Lua, name: &str, value: impl IntoLua) -> mlua::Result<()> {
    sandbox::set_global(lua, name, value.into_lua(lua)?)
}
