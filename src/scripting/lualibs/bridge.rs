//! Bridge between safe Rust library code and Lua's C error conventions.
//!
//! Redis scripts observe the *exact* error values raised by the C libraries: plain Lua
//! strings such as `"user_script:1: Expected value but found T_END at character 1"` or
//! `"bad argument #1 to 'decode' (expected 1 argument)"`. mlua raises errors from Rust
//! callbacks as userdata, which `pcall` would hand to the script, and it cannot know the
//! caller's position or the name the function was called by.
//!
//! So every library function is exposed as a tiny C closure (`trampoline`) whose single
//! upvalue is the real implementation, an ordinary mlua function. The implementation never
//! raises for library-level errors; it returns a status protocol instead:
//!
//! * `true, results...` on success;
//! * `n, table` on success with results `table[1..n]` (used for long result lists, which
//!   would otherwise each hold an mlua reference, a resource limited to ~8000 slots);
//! * `false, message` for `luaL_error` (the trampoline prefixes the caller's position);
//! * `false, message, narg` for `luaL_argerror` (the trampoline formats "bad argument");
//! * `false, message, true` for errors raised without a position.
//!
//! Because the trampoline is the function Lua actually called, `luaL_where(L, 1)` and
//! `luaL_argerror` see the same call stack as the original C library would: the position
//! of the calling Lua line (none when called through `pcall`), and the name the caller
//! used (`'decode'`, or `'?'` through `pcall`). Errors that are not library errors (memory
//! errors inside mlua, panics) propagate unchanged through `lua_call`.
//!
//! This module also holds the argument helpers that mirror `luaL_check*` semantics and the
//! C numeric conversions (x86-64 behaviour of out-of-range casts) that the libraries rely on.

use std::ffi::c_int;

use mlua::{Function, IntoLuaMulti, Lua, LuaString, MultiValue, Table, Value, ffi};

/// An error raised the way one of the C libraries raises it.
#[derive(Debug)]
pub(crate) enum LibError {
    /// `luaL_error(L, msg)`: the message gets the caller's `chunk:line:` prefix.
    Located(String),
    /// `luaL_argerror(L, narg, msg)`: "bad argument #narg to 'name' (msg)".
    Arg(i32, String),
    /// An error raised inside the C function by the Lua core (`luaG_runerror` in a C
    /// frame), which carries no position, such as "table index is nil".
    Raw(String),
    /// An error raised by the Lua runtime itself (memory, metamethods); propagated as is.
    Lua(mlua::Error),
}

impl From<mlua::Error> for LibError {
    fn from(err: mlua::Error) -> Self {
        LibError::Lua(err)
    }
}

pub(crate) type LibResult<T> = Result<T, LibError>;

/// What a library function returns.
pub(crate) enum Returns {
    /// The results themselves.
    Values(MultiValue),
    /// `count` results stored in `table[1..count]`, unpacked onto the Lua stack by the
    /// trampoline.
    Packed { table: Table, count: usize },
}

impl From<MultiValue> for Returns {
    fn from(values: MultiValue) -> Self {
        Returns::Values(values)
    }
}

/// Shorthand for [`LibError::Located`].
pub(crate) fn located<T>(msg: impl Into<String>) -> LibResult<T> {
    Err(LibError::Located(msg.into()))
}

/// Shorthand for [`LibError::Arg`].
pub(crate) fn arg_error<T>(narg: i32, msg: impl Into<String>) -> LibResult<T> {
    Err(LibError::Arg(narg, msg.into()))
}

/// The C closure Lua calls; upvalue 1 is the mlua implementation speaking the status
/// protocol described in the module documentation.
unsafe extern "C-unwind" fn trampoline(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: `state` is the running Lua state and this is a C function called by Lua, so
    // LUA_MINSTACK (20) free slots are guaranteed. We push one value (the implementation)
    // before `lua_call`; after it only a handful of values are on the stack on the error
    // path, and on the success path we push nothing more. No Rust value with a destructor
    // is alive when `lua_error`/`luaL_argerror` longjmp out of this frame.
    unsafe {
        let nargs = ffi::lua_gettop(state);
        ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
        ffi::lua_insert(state, 1);
        ffi::lua_call(state, nargs, ffi::LUA_MULTRET);
        if ffi::lua_type(state, 1) == ffi::LUA_TNUMBER {
            // Packed results: [count, table].
            let count = ffi::lua_tointeger(state, 1) as c_int;
            ffi::lua_remove(state, 1);
            if ffi::lua_checkstack(state, count) == 0 {
                ffi::luaL_where(state, 1);
                ffi::lua_pushlstring(state, c"stack overflow (too many results)".as_ptr(), 33);
                ffi::lua_concat(state, 2);
                ffi::lua_error(state);
            }
            for index in 1..=count {
                ffi::lua_rawgeti(state, 1, index.into());
            }
            ffi::lua_remove(state, 1);
            return count;
        }
        if ffi::lua_toboolean(state, 1) != 0 {
            ffi::lua_remove(state, 1);
            return ffi::lua_gettop(state);
        }
        if ffi::lua_type(state, 3) == ffi::LUA_TBOOLEAN {
            ffi::lua_pushvalue(state, 2);
            ffi::lua_error(state);
        }
        if ffi::lua_type(state, 3) == ffi::LUA_TNUMBER {
            let narg = ffi::lua_tointeger(state, 3) as c_int;
            // The message string stays on the stack (index 2), so the pointer is valid
            // while luaL_argerror formats it.
            let msg = ffi::lua_tolstring(state, 2, std::ptr::null_mut());
            return ffi::luaL_argerror(state, narg, msg);
        }
        ffi::luaL_where(state, 1);
        ffi::lua_pushvalue(state, 2);
        ffi::lua_concat(state, 2);
        ffi::lua_error(state)
    }
}

/// Creates a Lua function that runs `implementation` and raises its [`LibError`]s exactly
/// like the corresponding C library function would.
pub(crate) fn lib_function<F, R>(lua: &Lua, implementation: F) -> mlua::Result<Function>
where
    F: Fn(&Lua, MultiValue) -> LibResult<R> + Send + 'static,
    R: Into<Returns>,
{
    let inner = lua.create_function(move |lua, args: MultiValue| {
        match implementation(lua, args).map(Into::into) {
            Ok(Returns::Values(mut results)) => {
                results.push_front(Value::Boolean(true));
                Ok(results)
            }
            Ok(Returns::Packed { table, count }) => (count as i64, table).into_lua_multi(lua),
            Err(LibError::Located(msg)) => (false, msg).into_lua_multi(lua),
            Err(LibError::Arg(narg, msg)) => (false, msg, narg).into_lua_multi(lua),
            Err(LibError::Raw(msg)) => (false, msg, true).into_lua_multi(lua),
            Err(LibError::Lua(err)) => Err(err),
        }
    })?;
    // SAFETY: the closure only pushes a C closure over the value that `exec_raw` pushed
    // (the implementation), consuming it; exactly one value (the closure) is left.
    unsafe {
        lua.exec_raw(inner, |state| {
            ffi::lua_pushcclosure(state, trampoline, 1);
        })
    }
}

unsafe extern "C-unwind" fn raw_next(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C function called by Lua with (table, key); `lua_next` pops the key and
    // pushes at most two values, within LUA_MINSTACK.
    unsafe {
        ffi::lua_settop(state, 2);
        if ffi::lua_next(state, 1) != 0 {
            2
        } else {
            ffi::lua_pushnil(state);
            1
        }
    }
}

/// A function `(table, key) -> next_key, value` doing Lua's raw `next`, which lets an
/// iteration resume from a key instead of holding an iterator (and its reference).
pub(crate) fn raw_next_function(lua: &Lua) -> mlua::Result<Function> {
    // SAFETY: `raw_next` follows the C function protocol.
    unsafe { lua.create_c_function(raw_next) }
}

/// Lua's `luaL_typename`: the type name a C library reports, with light userdata shown as
/// "userdata" (the `lua_typename` of `LUA_TLIGHTUSERDATA`).
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::LightUserData(_) | Value::UserData(_) => "userdata",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

/// The arguments of a library call, indexed from 1 like the Lua stack.
pub(crate) struct Args(Vec<Value>);

impl Args {
    pub(crate) fn new(values: MultiValue) -> Self {
        Args(values.into_vec())
    }

    /// The arguments followed by a nil, for C functions that push one before reading
    /// their arguments.
    pub(crate) fn with_trailing_nil(mut self) -> Self {
        self.0.push(Value::Nil);
        self
    }

    /// `lua_gettop`.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// The argument at 1-based position `n`, or `None` past the end ("no value").
    pub(crate) fn get(&self, n: usize) -> Option<&Value> {
        n.checked_sub(1).and_then(|i| self.0.get(i))
    }

    /// `lua_isnoneornil`.
    pub(crate) fn is_none_or_nil(&self, n: usize) -> bool {
        matches!(self.get(n), None | Some(Value::Nil))
    }

    /// `luaL_typerror(L, n, expected)`.
    pub(crate) fn type_error<T>(&self, n: usize, expected: &str) -> LibResult<T> {
        let got = self.get(n).map_or("no value", type_name);
        arg_error(n as i32, format!("{expected} expected, got {got}"))
    }

    /// `luaL_checknumber`: numbers, and strings Lua can convert.
    pub(crate) fn check_number(&self, lua: &Lua, n: usize) -> LibResult<f64> {
        match self.to_number(lua, n)? {
            Some(x) => Ok(x),
            None => self.type_error(n, "number"),
        }
    }

    /// `lua_tonumber` returning `None` where `lua_isnumber` is false.
    pub(crate) fn to_number(&self, lua: &Lua, n: usize) -> LibResult<Option<f64>> {
        Ok(match self.get(n) {
            Some(Value::Integer(i)) => Some(*i as f64),
            Some(Value::Number(x)) => Some(*x),
            Some(v @ Value::String(_)) => lua.coerce_number(v.clone())?,
            _ => None,
        })
    }

    /// `luaL_checkinteger`: `luaL_checknumber` truncated to `lua_Integer` (int64) the way
    /// Lua 5.1 on x86-64 does it.
    pub(crate) fn check_integer(&self, lua: &Lua, n: usize) -> LibResult<i64> {
        Ok(c_double_to_i64(self.check_number(lua, n)?))
    }

    /// `luaL_optinteger`.
    pub(crate) fn opt_integer(&self, lua: &Lua, n: usize, default: i64) -> LibResult<i64> {
        if self.is_none_or_nil(n) {
            Ok(default)
        } else {
            self.check_integer(lua, n)
        }
    }

    /// `luaL_checklstring`: strings, and numbers converted with Lua's "%.14g".
    pub(crate) fn check_string(&self, lua: &Lua, n: usize) -> LibResult<LuaString> {
        match self.get(n) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(v @ (Value::Integer(_) | Value::Number(_))) => {
                match lua.coerce_string(v.clone())? {
                    Some(s) => Ok(s),
                    None => self.type_error(n, "string"),
                }
            }
            _ => self.type_error(n, "string"),
        }
    }
}

/// C's `(int64_t)d` on x86-64: truncation toward zero, and the "integer indefinite" value
/// `INT64_MIN` for NaN and out-of-range values (Rust's `as` would saturate instead).
pub(crate) fn c_double_to_i64(d: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    if d > -LIMIT - 1.0 && d < LIMIT {
        // In range (and not NaN): the cast truncates exactly like C.
        d as i64
    } else {
        i64::MIN
    }
}

/// C's `(int)d` on x86-64 (`cvttsd2si` with a 32-bit destination): truncation, and
/// `INT_MIN` for NaN and out-of-range values.
pub(crate) fn c_double_to_i32(d: f64) -> i32 {
    if d > -2_147_483_649.0 && d < 2_147_483_648.0 {
        d as i32
    } else {
        i32::MIN
    }
}

/// C's `(uint64_t)d` as compiled by GCC for x86-64: values from 2^63 up have 2^63
/// subtracted, go through the signed instruction and get the top bit flipped back; all
/// others (including negative values and NaN, for which `comisd` is unordered) go through
/// the signed instruction directly.
pub(crate) fn c_double_to_u64(d: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if d >= TWO_63 {
        (c_double_to_i64(d - TWO_63) as u64) ^ (1 << 63)
    } else {
        c_double_to_i64(d) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_casts_follow_x86_64() {
        assert_eq!(c_double_to_i64(1.9), 1);
        assert_eq!(c_double_to_i64(-1.9), -1);
        assert_eq!(c_double_to_i64(f64::NAN), i64::MIN);
        assert_eq!(c_double_to_i64(1e19), i64::MIN);
        assert_eq!(c_double_to_i64(-9_223_372_036_854_775_808.0), i64::MIN);
        assert_eq!(c_double_to_i32(2_147_483_647.9), i32::MAX);
        assert_eq!(c_double_to_i32(2_147_483_648.0), i32::MIN);
        assert_eq!(c_double_to_i32(-2_147_483_648.5), i32::MIN);
        assert_eq!(c_double_to_i32(f64::INFINITY), i32::MIN);
        assert_eq!(c_double_to_u64(-1.0), u64::MAX);
        assert_eq!(c_double_to_u64(9_223_372_036_854_775_808.0), 1 << 63);
        assert_eq!(c_double_to_u64(18_446_744_073_709_551_616.0), 0);
        assert_eq!(c_double_to_u64(f64::INFINITY), 0);
        assert_eq!(c_double_to_u64(f64::NAN), 1 << 63);
    }
}
