//! The Redis 7.2 scripting sandbox, built from mlua's stock Lua 5.1.
//!
//! Redis patches its Lua VM with read-only tables: after start-up every table reachable
//! from the globals (and their metatables, and the string metatable) refuses writes with
//! "Attempt to modify a readonly table", including `rawset`. The stock VM has no such
//! flag, so each protected table `T` is replaced by an empty *proxy* `P` whose metatable
//! has `__index = S` and a `__newindex` that raises. `S` (the *backing*) is a copy of `T`
//! in which nested tables are replaced by their proxies, so no path leads a script to a
//! writable table. Backing tables are reachable only through the proxies' metatables,
//! which scripts cannot get at: `getmetatable` is wrapped to return what Redis would
//! return (the protected metatable of the original table, or nil).
//!
//! Since proxies are empty, the raw-access builtins are wrapped to behave as on the read-
//! only original: `rawget`, `next` (hence `pairs`) and `table.foreach` look through a proxy
//! to its backing; `rawset`, `setmetatable` and `table.insert` refuse proxies. The
//! wrappers are C functions that call the original C function *in their own frame*, so
//! error messages (argument numbers, function names, positions) stay exactly those of
//! Lua. The globals' backing table has a metatable whose `__index` raises "Script
//! attempted to access nonexistent global variable 'x'", like Redis'
//! `luaProtectedTableError`.
//!
//! `loadstring` and `load` are wrapped so that binary chunks are parsed as text, as in
//! Redis (whose Lua never undumps bytecode): the chunk fails with "unexpected symbol near
//! 'char(27)'" instead of loading attacker-controlled bytecode.
//!
//! Invariant: after [`apply`], `lua.globals()` is the globals proxy; the only writable
//! handle on the globals is the backing table kept in the registry, used by
//! [`set_global`] (e.g. for `KEYS`/`ARGV`).

use std::collections::HashSet;
use std::ffi::{c_char, c_int, c_void};

use mlua::{Function, Lua, Table, Value, ffi};

const READONLY_ERROR: &str = "Attempt to modify a readonly table";
/// Registry key of the globals' backing table.
const GLOBALS_BACKING_KEY: &str = "lualibs.sandbox.globals_backing";

/// Globals Redis 7.2 keeps (its allow lists, without the deprecated `getfenv`, `setfenv`
/// and `newproxy`, which patched releases no longer expose, and without `debug`, which it
/// removes after start-up).
const ALLOWED_GLOBALS: &[&str] = &[
    // Libraries.
    "string",
    "cjson",
    "bit",
    "cmsgpack",
    "math",
    "table",
    "struct",
    "coroutine",
    // Redis API, installed by the server before the sandbox is applied.
    "redis",
    "__redis__err__handler",
    // Builtins.
    "xpcall",
    "tostring",
    "setmetatable",
    "next",
    "assert",
    "tonumber",
    "rawequal",
    "collectgarbage",
    "getmetatable",
    "rawset",
    "pcall",
    "type",
    "_G",
    "select",
    "unpack",
    "gcinfo",
    "pairs",
    "rawget",
    "loadstring",
    "ipairs",
    "_VERSION",
    "load",
    "error",
];

/// Raises `msg` prefixed with the position of the Lua code that called the running C
/// function (`luaL_error` semantics).
///
/// # Safety
/// `state` must be the state of a running C function with a free stack slot.
unsafe fn raise_located(state: *mut ffi::lua_State, msg: &'static str) -> ! {
    // SAFETY: guaranteed by the caller; `msg` is static, nothing needs dropping.
    unsafe {
        ffi::luaL_where(state, 1);
        ffi::lua_pushlstring(state, msg.as_ptr().cast::<c_char>(), msg.len());
        ffi::lua_concat(state, 2);
        ffi::lua_error(state)
    }
}

/// Raises `msg` as is, like errors the Lua core raises inside C functions.
///
/// # Safety
/// As for [`raise_located`].
unsafe fn raise_plain(state: *mut ffi::lua_State, msg: &'static str) -> ! {
    // SAFETY: guaranteed by the caller.
    unsafe {
        ffi::lua_pushlstring(state, msg.as_ptr().cast::<c_char>(), msg.len());
        ffi::lua_error(state)
    }
}

/// Runs the wrapped original C function (upvalue 3) in the current frame.
///
/// # Safety
/// Must be called from a wrapper closure created by [`wrap`].
unsafe fn call_original(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: the wrapper's upvalue 3 is the original C function; calling it with our
    // frame gives it exactly the arguments (and the name/position context) it expects.
    unsafe {
        match ffi::lua_tocfunction(state, ffi::lua_upvalueindex(3)) {
            Some(original) => original(state),
            None => raise_plain(state, "sandbox: wrapped function is not a C function"),
        }
    }
}

/// Pushes `map[arg 1]` (upvalue 2 is the map) and returns whether arg 1 is a key of it.
///
/// # Safety
/// Must be called from a wrapper closure created by [`wrap`].
unsafe fn lookup_first_arg(state: *mut ffi::lua_State) -> bool {
    // SAFETY: one slot is pushed, within LUA_MINSTACK; upvalue 2 is a table.
    unsafe {
        if ffi::lua_type(state, 1) != ffi::LUA_TTABLE {
            ffi::lua_pushnil(state);
            return false;
        }
        ffi::lua_pushvalue(state, 1);
        ffi::lua_rawget(state, ffi::lua_upvalueindex(2));
        ffi::lua_isnil(state, -1) == 0
    }
}

/// `rawget`, `next`, `table.foreach`: operate on the backing table of a proxy.
unsafe extern "C-unwind" fn see_through(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: created by `wrap` with the proxy→backing map as upvalue 2.
    unsafe {
        if lookup_first_arg(state) {
            ffi::lua_replace(state, 1);
        } else {
            ffi::lua_pop(state, 1);
        }
        call_original(state)
    }
}

/// `rawset`, `setmetatable`, `table.insert`: refuse to modify a proxy.
unsafe extern "C-unwind" fn refuse_proxy(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: created by `wrap` with the proxy→backing map as upvalue 2.
    unsafe {
        if lookup_first_arg(state) {
            raise_plain(state, READONLY_ERROR);
        }
        ffi::lua_pop(state, 1);
        call_original(state)
    }
}

/// `pairs`: the original, whose upvalue 1 (the iterator it returns) is the wrapped `next`.
unsafe extern "C-unwind" fn passthrough(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: created by `wrap` with the wrapped `next` as upvalue 1.
    unsafe { call_original(state) }
}

/// `getmetatable`: for a proxy, the metatable Redis would show (or nil, stored as false).
unsafe extern "C-unwind" fn visible_metatable(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: created by `wrap` with the proxy→visible metatable map as upvalue 2.
    unsafe {
        if !lookup_first_arg(state) {
            ffi::lua_pop(state, 1);
            return call_original(state);
        }
        if ffi::lua_toboolean(state, -1) == 0 {
            ffi::lua_pushnil(state);
        }
        1
    }
}

/// `loadstring`: a binary chunk is parsed as text (prefixed by a space, with its own text
/// as the chunk name unless one is given), which fails the way Redis' Lua fails.
unsafe extern "C-unwind" fn text_loadstring(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: created by `wrap`; at most three slots are pushed.
    unsafe {
        if ffi::lua_type(state, 1) == ffi::LUA_TSTRING {
            let mut len = 0usize;
            let text = ffi::lua_tolstring(state, 1, &mut len);
            if len > 0 && *text == 0x1b {
                if ffi::lua_isnoneornil(state, 2) != 0 {
                    ffi::lua_settop(state, 1);
                    ffi::lua_pushvalue(state, 1);
                }
                ffi::lua_pushlstring(state, c" ".as_ptr(), 1);
                ffi::lua_pushvalue(state, 1);
                ffi::lua_concat(state, 2);
                ffi::lua_replace(state, 1);
            }
        }
        call_original(state)
    }
}

/// State of [`text_load`]'s reader.
struct ReaderState {
    first_piece: bool,
    /// The first piece began with ESC: a space was returned, the piece itself is next.
    piece_pending: bool,
}

/// Reader for [`text_load`]: calls the user function (stack index 1), keeping the piece
/// alive in stack slot 3 like Lua's `generic_reader`.
unsafe extern "C-unwind" fn text_load_reader(
    state: *mut ffi::lua_State,
    data: *mut c_void,
    size: *mut usize,
) -> *const c_char {
    // SAFETY: `data` points to the `ReaderState` living in `text_load`'s frame for the
    // whole `lua_load` call; slot 3 was reserved by `lua_settop(state, 3)`.
    unsafe {
        let reader = &mut *data.cast::<ReaderState>();
        if reader.piece_pending {
            reader.piece_pending = false;
            return ffi::lua_tolstring(state, 3, size);
        }
        ffi::luaL_checkstack(state, 2, c"too many nested functions".as_ptr());
        ffi::lua_pushvalue(state, 1);
        ffi::lua_call(state, 0, 1);
        if ffi::lua_isnil(state, -1) != 0 {
            *size = 0;
            return std::ptr::null();
        }
        if ffi::lua_isstring(state, -1) == 0 {
            raise_located(state, "reader function must return a string");
        }
        ffi::lua_replace(state, 3);
        let piece = ffi::lua_tolstring(state, 3, size);
        if reader.first_piece && *size > 0 {
            reader.first_piece = false;
            if *piece == 0x1b {
                reader.piece_pending = true;
                *size = 1;
                return c" ".as_ptr();
            }
        }
        reader.first_piece = false;
        piece
    }
}

/// `load(func [, chunkname])` with binary chunks parsed as text.
unsafe extern "C-unwind" fn text_load(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C function called by Lua; `reader_state` outlives `lua_load`, which runs
    // the parser in protected mode, so no longjmp crosses this frame after it is created.
    unsafe {
        ffi::luaL_checktype(state, 1, ffi::LUA_TFUNCTION);
        let chunkname = ffi::luaL_optlstring(state, 2, c"=(load)".as_ptr(), std::ptr::null_mut());
        ffi::lua_settop(state, 3);
        let mut reader_state = ReaderState {
            first_piece: true,
            piece_pending: false,
        };
        let status = ffi::lua_load(
            state,
            text_load_reader,
            (&raw mut reader_state).cast::<c_void>(),
            chunkname,
        );
        if status == 0 {
            return 1;
        }
        ffi::lua_pushnil(state);
        ffi::lua_insert(state, -2);
        2
    }
}

/// `__newindex` of every proxy.
unsafe extern "C-unwind" fn readonly_newindex(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C function called by Lua (as a metamethod).
    unsafe { raise_located(state, READONLY_ERROR) }
}

/// `__index` of the globals' backing table, mirroring Redis' `luaProtectedTableError`.
unsafe extern "C-unwind" fn missing_global(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C function called by Lua; at most four slots are pushed.
    unsafe {
        if ffi::lua_gettop(state) != 2 {
            raise_located(state, "Wrong number of arguments to luaProtectedTableError");
        }
        let key_type = ffi::lua_type(state, 2);
        if key_type != ffi::LUA_TSTRING && key_type != ffi::LUA_TNUMBER {
            raise_located(
                state,
                "Second argument to luaProtectedTableError must be a string or number",
            );
        }
        let prefix = "Script attempted to access nonexistent global variable '";
        ffi::luaL_where(state, 1);
        ffi::lua_pushlstring(state, prefix.as_ptr().cast::<c_char>(), prefix.len());
        ffi::lua_pushvalue(state, 2);
        ffi::lua_pushlstring(state, c"'".as_ptr(), 1);
        ffi::lua_concat(state, 4);
        ffi::lua_error(state)
    }
}

/// A C closure over `(companion, map, original)`: the upvalues the wrappers use.
fn wrap(
    lua: &Lua,
    wrapper: ffi::lua_CFunction,
    companion: Value,
    map: &Table,
    original: Value,
) -> mlua::Result<Function> {
    // SAFETY: pushes a C closure consuming the three values `exec_raw` pushed.
    unsafe {
        lua.exec_raw((companion, map.clone(), original), |state| {
            ffi::lua_pushcclosure(state, wrapper, 3);
        })
    }
}

/// A plain C function without upvalues.
fn c_function(lua: &Lua, function: ffi::lua_CFunction) -> mlua::Result<Function> {
    // SAFETY: the functions passed here follow the Lua C API protocol.
    unsafe { lua.create_c_function(function) }
}

/// Builds proxies for tables, memoised so shared and cyclic references map to one proxy.
struct Protector<'a> {
    lua: &'a Lua,
    /// proxy → backing table.
    backing: Table,
    /// proxy → metatable `getmetatable` returns for it (false for none).
    visible: Table,
    /// original table → proxy.
    memo: Table,
    newindex: Function,
}

impl Protector<'_> {
    fn protect(&self, original: &Table) -> mlua::Result<Table> {
        if let Some(proxy) = self.memo.raw_get::<Option<Table>>(original)? {
            return Ok(proxy);
        }
        let lua = self.lua;
        let proxy = lua.create_table()?;
        self.memo.raw_set(original, &proxy)?;
        let backing = lua.create_table()?;
        let mut entries = Vec::new();
        for pair in original.pairs::<Value, Value>() {
            entries.push(pair?);
        }
        for (key, value) in entries {
            let value = match value {
                Value::Table(nested) => Value::Table(self.protect(&nested)?),
                other => other,
            };
            backing.raw_set(key, value)?;
        }
        let visible = match original.metatable() {
            Some(metatable) => Value::Table(self.protect(&metatable)?),
            None => Value::Boolean(false),
        };
        let metatable = lua.create_table()?;
        metatable.raw_set("__index", &backing)?;
        metatable.raw_set("__newindex", &self.newindex)?;
        proxy.set_metatable(Some(metatable))?;
        self.backing.raw_set(&proxy, backing)?;
        self.visible.raw_set(&proxy, visible)?;
        Ok(proxy)
    }
}

/// Applies the sandbox; see [`super::sandbox`].
pub(crate) fn apply(lua: &Lua) -> mlua::Result<()> {
    let globals = lua.globals();
    let allowed: HashSet<&str> = ALLOWED_GLOBALS.iter().copied().collect();
    let mut removed = Vec::new();
    for pair in globals.pairs::<Value, Value>() {
        let (key, _) = pair?;
        let keep =
            matches!(&key, Value::String(name) if allowed.contains(&*name.to_string_lossy()));
        if !keep {
            removed.push(key);
        }
    }
    for key in removed {
        globals.raw_set(key, Value::Nil)?;
    }

    let backing_map = lua.create_table()?;
    let visible_map = lua.create_table()?;
    let original = |name: &str| globals.raw_get::<Value>(name);
    let next = wrap(
        lua,
        see_through,
        Value::Nil,
        &backing_map,
        original("next")?,
    )?;
    let pairs = wrap(
        lua,
        passthrough,
        Value::Function(next.clone()),
        &backing_map,
        original("pairs")?,
    )?;
    let rawget = wrap(
        lua,
        see_through,
        Value::Nil,
        &backing_map,
        original("rawget")?,
    )?;
    let rawset = wrap(
        lua,
        refuse_proxy,
        Value::Nil,
        &backing_map,
        original("rawset")?,
    )?;
    let setmetatable = wrap(
        lua,
        refuse_proxy,
        Value::Nil,
        &backing_map,
        original("setmetatable")?,
    )?;
    let getmetatable_original = original("getmetatable")?;
    let getmetatable = wrap(
        lua,
        visible_metatable,
        Value::Nil,
        &visible_map,
        getmetatable_original.clone(),
    )?;
    let loadstring = wrap(
        lua,
        text_loadstring,
        Value::Nil,
        &backing_map,
        original("loadstring")?,
    )?;
    globals.raw_set("next", next)?;
    globals.raw_set("pairs", pairs)?;
    globals.raw_set("rawget", rawget)?;
    globals.raw_set("rawset", rawset)?;
    globals.raw_set("setmetatable", setmetatable)?;
    globals.raw_set("getmetatable", getmetatable)?;
    globals.raw_set("loadstring", loadstring)?;
    globals.raw_set("load", c_function(lua, text_load)?)?;
    if let Some(table_lib) = globals.raw_get::<Option<Table>>("table")? {
        let insert = wrap(
            lua,
            refuse_proxy,
            Value::Nil,
            &backing_map,
            table_lib.raw_get("insert")?,
        )?;
        let foreach = wrap(
            lua,
            see_through,
            Value::Nil,
            &backing_map,
            table_lib.raw_get("foreach")?,
        )?;
        table_lib.raw_set("insert", insert)?;
        table_lib.raw_set("foreach", foreach)?;
    }

    let protector = Protector {
        lua,
        backing: backing_map,
        visible: visible_map,
        memo: lua.create_table()?,
        newindex: c_function(lua, readonly_newindex)?,
    };
    let missing = lua.create_table()?;
    missing.raw_set("__index", c_function(lua, missing_global)?)?;
    let globals_proxy = protector.protect(&globals)?;
    let globals_backing: Table = protector.backing.raw_get(&globals_proxy)?;
    globals_backing.set_metatable(Some(missing.clone()))?;
    protector
        .visible
        .raw_set(&globals_proxy, protector.protect(&missing)?)?;

    // The string metatable is shared by all strings; Redis makes it read-only too.
    if let Value::Function(getmetatable) = getmetatable_original
        && let Some(string_meta) = getmetatable.call::<Option<Table>>("")?
    {
        let view = protector.protect(&string_meta)?;
        string_meta.raw_set("__metatable", view)?;
    }

    lua.set_named_registry_value(GLOBALS_BACKING_KEY, globals_backing)?;
    lua.set_globals(globals_proxy)
}

/// Sets a global that scripts can read but not modify; see [`super::set_global`].
pub(crate) fn set_global(lua: &Lua, name: &str, value: Value) -> mlua::Result<()> {
    match lua.named_registry_value::<Option<Table>>(GLOBALS_BACKING_KEY)? {
        Some(backing) => backing.raw_set(name, value),
        None => lua.globals().raw_set(name, value),
    }
}
