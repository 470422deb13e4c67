//! The execution context a command handler gets: its arguments, the reply writer, keyspace
//! access and the calling client's state, plus helpers to parse arguments with Redis's errors.

use std::time::Duration;

use crate::error::{self, CmdResult, Error};
use crate::protocol::Reply;
use crate::server::Server;
use crate::server::client::ClientState;
use crate::server::stats::ThreadStats;
use crate::store::db::Db;
use crate::util::num;

use super::table::Command;

/// Execution mode bits.
pub const IN_MULTI: u32 = 1 << 0;
pub const IN_SCRIPT: u32 = 1 << 1;
/// Re-executing a blocked command because one of its keys became ready.
pub const REPROCESS: u32 = 1 << 2;
/// Replaying the AOF.
pub const LOADING: u32 = 1 << 3;

/// What a blocking command reports when it times out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutReply {
    /// Null array (`*-1` / `_`): BLPOP, BRPOP, BZPOP*, BLMPOP, XREAD.
    NullArray,
    /// Null bulk (`$-1` / `_`): BLMOVE, BRPOPLPUSH.
    Null,
    /// An integer: WAIT (the replicas that acknowledged).
    Int(i64),
    /// An array of two integers: WAITAOF (local fsync, replicas).
    IntPair(i64, i64),
}

/// A request to block, made by a handler that found nothing to serve.
#[derive(Debug, Clone)]
pub struct BlockRequest {
    pub keys: Vec<Vec<u8>>,
    /// None: forever.
    pub timeout: Option<Duration>,
    pub on_timeout: TimeoutReply,
    /// The command to re-execute when a key is ready (defaults to the original argv); XREAD
    /// rewrites `$` into the concrete last id here.
    pub argv: Option<Vec<Vec<u8>>>,
    /// Wake (and re-execute) when a key is deleted, too (XREADGROUP reports NOGROUP).
    pub unblock_on_nokey: bool,
}

pub struct Ctx<'c, 'a> {
    pub srv: &'a Server,
    pub args: &'c [&'c [u8]],
    pub out: Reply<'c>,
    pub db: &'c mut Db<'a>,
    pub client: &'c mut ClientState,
    pub cmd: &'static Command,
    pub mode: u32,
    pub block: Option<BlockRequest>,
    pub stats: &'a ThreadStats,
}

impl<'c, 'a> Ctx<'c, 'a> {
    #[inline]
    pub fn argc(&self) -> usize {
        self.args.len()
    }

    #[inline]
    pub fn arg(&self, i: usize) -> &'c [u8] {
        self.args[i]
    }

    /// Case-insensitive comparison of argument `i` with an option name.
    #[inline]
    pub fn is(&self, i: usize, opt: &str) -> bool {
        self.args
            .get(i)
            .is_some_and(|a| a.eq_ignore_ascii_case(opt.as_bytes()))
    }

    /// Argument `i` as i64, or "value is not an integer or out of range".
    pub fn int(&self, i: usize) -> Result<i64, Error> {
        num::parse_i64(self.args[i]).ok_or(error::NOT_INT)
    }

    /// Argument `i` as a C `int` (Redis's getIntFromObjectOrReply): "value is not an integer or
    /// out of range" if it is not an integer, a range error if it does not fit 32 bits.
    pub fn int32(&self, i: usize) -> Result<i32, Error> {
        let v = self.int(i)?;
        i32::try_from(v).map_err(|_| {
            Error::err("value is out of range, value must between -2147483648 and 2147483647")
        })
    }

    /// Argument `i` as a non-negative i64 with a custom error.
    pub fn int_with(&self, i: usize, e: Error) -> Result<i64, Error> {
        num::parse_i64(self.args[i]).ok_or(e)
    }

    /// Argument `i` as f64, or "value is not a valid float".
    pub fn float(&self, i: usize) -> Result<f64, Error> {
        num::parse_f64(self.args[i]).ok_or(error::NOT_FLOAT)
    }

    /// A blocking timeout in seconds (fractions allowed); 0 means forever.
    pub fn timeout_secs(&self, i: usize) -> Result<Option<Duration>, Error> {
        let v = num::parse_f64(self.args[i]).ok_or(error::TIMEOUT_FLOAT)?;
        // Redis rounds up to whole milliseconds: 0.0001 waits 1 ms (not forever), and a
        // tiny negative value rounds to 0 (forever) rather than being "negative".
        let ms = (v * 1000.0).ceil();
        if ms < 0.0 {
            return Err(error::TIMEOUT_NEG);
        }
        // Redis 7.2: a deadline past the end of time (inf included) is "out of range".
        if ms > (i64::MAX - self.db.now.max(0)) as f64 {
            return Err(Error::lit("ERR timeout is out of range"));
        }
        let ms = ms as u64;
        Ok(if ms == 0 {
            None
        } else {
            Some(Duration::from_millis(ms))
        })
    }

    /// Whether this invocation may block (not inside MULTI or a script, not re-executing).
    pub fn can_block(&self) -> bool {
        self.mode & (IN_MULTI | IN_SCRIPT) == 0
    }

    /// Asks the dispatcher to block this client on `keys`.
    pub fn block_on(&mut self, req: BlockRequest) -> CmdResult {
        self.block = Some(req);
        Ok(())
    }

    /// The full command name for messages ("config|get" for subcommands).
    pub fn full_name(&self) -> String {
        self.srv.commands.full_name(self.cmd)
    }

    /// "ERR wrong number of arguments for '<cmd>' command".
    pub fn wrong_args(&self) -> Error {
        Error::wrong_args(&self.full_name())
    }

    /// Replies OK and succeeds.
    pub fn ok(&mut self) -> CmdResult {
        self.out.ok();
        Ok(())
    }

    /// Whether the calling client speaks RESP3.
    pub fn resp3(&self) -> bool {
        self.out.resp3
    }
}
