//! Randomised checks against models: number formatting and parsing against the C library
//! as exposed by Lua itself (`string.format`, `tonumber`, both backed by libc), and
//! round trips of random nested data through cjson and cmsgpack. Also checks the Rust-side
//! API of the sandbox (`set_global`).

use mlua::{Lua, LuaOptions, Table, Value};
use pilgrim::scripting::lualibs::{redis_std_libs, register_all, sandbox, set_global};

/// xorshift64*: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Doubles of all magnitudes, with short decimal forms and exact ties mixed in.
    fn double(&mut self) -> f64 {
        match self.below(4) {
            0 => f64::from_bits(self.next()),
            1 => (self.below(2_000_001) as f64 - 1_000_000.0) / 8.0,
            2 => (self.next() as i64 as f64) * 10f64.powi(self.below(40) as i32 - 20),
            _ => self.below(100_000) as f64 * 10f64.powi(self.below(30) as i32 - 15),
        }
    }
}

fn new_state() -> Lua {
    let lua = Lua::new_with(redis_std_libs(), LuaOptions::default()).expect("lua state");
    register_all(&lua).expect("register libraries");
    lua
}

#[test]
fn cjson_number_formatting_matches_printf() {
    let lua = new_state();
    let check = lua
        .load(
            r#"
            local x, precision = ...
            cjson.encode_number_precision(precision)
            local ours = cjson.encode(x)
            cjson.encode_number_precision(14)
            return ours, string.format('%.' .. precision .. 'g', x)
            "#,
        )
        .into_function()
        .expect("compile");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..4000 {
        let x = rng.double();
        if !x.is_finite() {
            continue;
        }
        let precision = 1 + rng.below(14) as i64;
        let (ours, libc): (String, String) = check.call((x, precision)).expect("call");
        assert_eq!(ours, libc, "x = {x:e}, precision {precision}");
    }
}

#[test]
fn cjson_number_parsing_matches_strtod() {
    let lua = new_state();
    let check = lua
        .load("local s = ... return cjson.decode(s), tonumber(s)")
        .into_function()
        .expect("compile");
    let mut rng = Rng(42);
    for _ in 0..4000 {
        let x = rng.double();
        if !x.is_finite() {
            continue;
        }
        // Decimal spellings of several lengths, with and without exponents.
        let text = match rng.below(3) {
            0 => format!("{x}"),
            1 => format!("{x:e}"),
            _ => format!("{:.*e}", rng.below(25) as usize, x),
        };
        let (ours, libc): (f64, f64) = check.call(text.as_str()).expect("call");
        assert_eq!(ours.to_bits(), libc.to_bits(), "parsing {text}");
    }
}

/// A random JSON-compatible Lua value: strings, integers, arrays and string-keyed maps.
fn random_value(lua: &Lua, rng: &mut Rng, depth: u32) -> Value {
    match rng.below(if depth > 4 { 3 } else { 5 }) {
        0 => Value::Integer(rng.below(2_000_000) as i64 - 1_000_000),
        1 => {
            let len = rng.below(12) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
            Value::String(lua.create_string(bytes).expect("string"))
        }
        2 => Value::Boolean(rng.below(2) == 0),
        3 => {
            let table = lua.create_table().expect("table");
            for i in 1..=1 + rng.below(6) {
                table
                    .raw_set(i, random_value(lua, rng, depth + 1))
                    .expect("set");
            }
            Value::Table(table)
        }
        _ => {
            let table = lua.create_table().expect("table");
            for _ in 0..=rng.below(6) {
                let key = format!("k{}", rng.below(1000));
                table
                    .raw_set(key, random_value(lua, rng, depth + 1))
                    .expect("set");
            }
            Value::Table(table)
        }
    }
}

/// Structural equality of plain Lua data.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Table(x), Value::Table(y)) => {
            let count = |t: &Table| t.pairs::<Value, Value>().count();
            count(x) == count(y)
                && x.pairs::<Value, Value>().all(|pair| {
                    let (k, v) = pair.expect("pair");
                    same(&v, &y.raw_get::<Value>(k).expect("get"))
                })
        }
        (Value::Integer(x), Value::Number(y)) | (Value::Number(y), Value::Integer(x)) => {
            *x as f64 == *y
        }
        _ => a == b,
    }
}

#[test]
fn cjson_and_cmsgpack_round_trip_random_data() {
    let lua = new_state();
    let round_trip = lua
        .load(
            "local v = ... return cjson.decode(cjson.encode(v)), cmsgpack.unpack(cmsgpack.pack(v))",
        )
        .into_function()
        .expect("compile");
    let mut rng = Rng(7);
    for _ in 0..500 {
        let value = random_value(&lua, &mut rng, 0);
        let (from_json, from_msgpack): (Value, Value) =
            round_trip.call(&value).expect("round trip");
        assert!(
            same(&value, &from_json),
            "cjson changed {value:?} into {from_json:?}"
        );
        assert!(
            same(&value, &from_msgpack),
            "cmsgpack changed {value:?} into {from_msgpack:?}"
        );
    }
}

#[test]
fn deep_nesting_needs_no_deep_rust_stack() {
    // Thousands of levels: far beyond what recursion in a debug build survives on a 2 MiB
    // test thread, and near the C stack-slot limits the libraries emulate (a map nested
    // as a value takes two slots per level, so msgpack maps stop near 4000).
    let lua = new_state();
    let (json_depth, msgpack_depth): (i64, i64) = lua
        .load(
            r#"
            cjson.decode_max_depth(7000)
            local t = cjson.decode(string.rep('[', 7000) .. string.rep(']', 7000))
            local d1 = 0 while type(t) == 'table' do t = t[1] d1 = d1 + 1 end
            local m = cmsgpack.unpack(string.rep('\129\1', 3990) .. '\1')
            local d2 = 0 while type(m) == 'table' do m = m[1] d2 = d2 + 1 end
            return d1, d2
            "#,
        )
        .eval()
        .expect("deep values");
    assert_eq!((json_depth, msgpack_depth), (7000, 3990));
    let encoded: String = lua
        .load(
            r#"
            cjson.encode_max_depth(3000)
            local t = {} local c = t for i = 1, 2999 do c[1] = {} c = c[1] end
            return cjson.encode(t)
            "#,
        )
        .eval()
        .expect("deep encode");
    assert_eq!(
        encoded,
        format!("{}{{}}{}", "[".repeat(2999), "]".repeat(2999))
    );
}

#[test]
fn set_global_is_visible_but_read_only() {
    let lua = new_state();
    sandbox(&lua).expect("sandbox");
    let keys = lua.create_sequence_from(["a", "b"]).expect("keys");
    set_global(&lua, "KEYS", keys).expect("set KEYS");
    let (first, error): (String, String) = lua
        .load("KEYS[1] = 'changed' return KEYS[1], select(2, pcall(function() KEYS = {} end))")
        .set_name("@user_script")
        .eval()
        .expect("script");
    assert_eq!(first, "changed");
    assert_eq!(error, "user_script:1: Attempt to modify a readonly table");
    let error = lua
        .globals()
        .set("x", 1)
        .expect_err("globals are read-only");
    assert!(
        error
            .to_string()
            .contains("Attempt to modify a readonly table"),
        "{error}"
    );
}
