//! RESP2/RESP3 wire protocol: the request parser and the reply writer.
pub mod parse;
pub mod reply;

pub use parse::{Arg, Limits, Parser, ProtoError, Step};
pub use reply::{Agg, Deferred, Reply};
