//! Command errors: the full reply text (code included), e.g. "ERR syntax error".
//!
//! Handlers return `Result<(), Error>`; the dispatcher writes the error reply and counts it in
//! INFO errorstats under its code (the first word).

use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub Cow<'static, str>);

pub type CmdResult = Result<(), Error>;

impl Error {
    pub const fn lit(s: &'static str) -> Error {
        Error(Cow::Borrowed(s))
    }

    /// An `ERR`-coded error from formatted text (without the code).
    pub fn err(msg: impl Into<String>) -> Error {
        Error(Cow::Owned(format!("ERR {}", msg.into())))
    }

    /// An error whose text already starts with its code.
    pub fn raw(msg: impl Into<String>) -> Error {
        Error(Cow::Owned(msg.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The error code (first word), as used by INFO errorstats.
    pub fn code(&self) -> &str {
        self.0.split(' ').next().unwrap_or("ERR")
    }

    pub fn wrong_args(cmd: &str) -> Error {
        Error::err(format!("wrong number of arguments for '{cmd}' command"))
    }
}

pub const WRONGTYPE: Error =
    Error::lit("WRONGTYPE Operation against a key holding the wrong kind of value");
pub const SYNTAX: Error = Error::lit("ERR syntax error");
pub const NOT_INT: Error = Error::lit("ERR value is not an integer or out of range");
pub const NOT_FLOAT: Error = Error::lit("ERR value is not a valid float");
pub const OVERFLOW: Error = Error::lit("ERR increment or decrement would overflow");
pub const NO_SUCH_KEY: Error = Error::lit("ERR no such key");
pub const INDEX_RANGE: Error = Error::lit("ERR index out of range");
pub const DB_RANGE: Error = Error::lit("ERR DB index is out of range");
pub const POSITIVE: Error = Error::lit("ERR value is out of range, must be positive");
pub const TIMEOUT_FLOAT: Error = Error::lit("ERR timeout is not a float or out of range");
pub const TIMEOUT_NEG: Error = Error::lit("ERR timeout is negative");
pub const STRING_TOO_BIG: Error =
    Error::lit("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
pub const NAN_OR_INF: Error = Error::lit("ERR increment would produce NaN or Infinity");
pub const SAME_OBJECT: Error = Error::lit("ERR source and destination objects are the same");
