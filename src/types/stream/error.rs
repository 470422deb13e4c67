//! Errors of the stream commands, each with the exact text Redis replies.
//!
//! [`StreamError::message`] returns the error line as Redis sends it after the `-` of the
//! RESP error (`ERR ...`, `BUSYGROUP ...`, `NOGROUP ...`). Messages that embed a key, group or
//! option name print it the way Redis's `%s` does: up to its first NUL byte.

use std::borrow::Cow;
use std::fmt;

/// Which of Redis's three NOGROUP texts a command uses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NoGroupContext {
    /// XREADGROUP: `No such key '<key>' or consumer group '<group>' in XREADGROUP with GROUP option`.
    ReadGroup,
    /// XGROUP SETID / CREATECONSUMER / DELCONSUMER and XINFO CONSUMERS:
    /// `No such consumer group '<group>' for key name '<key>'`.
    GroupCommand,
    /// XPENDING, XCLAIM, XAUTOCLAIM: `No such key '<key>' or consumer group '<group>'`.
    KeyOrGroup,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub enum StreamError {
    /// Any malformed ID argument.
    InvalidId,
    /// An exclusive start `(` on the maximum ID.
    InvalidStartInterval,
    /// An exclusive end `(` on `0-0`.
    InvalidEndInterval,
    /// XADD with the explicit ID `0-0`.
    AddIdZero,
    /// XADD with an ID not greater than the last generated one (also `ms-*` when the sequence
    /// of that millisecond is exhausted).
    AddIdTooSmall,
    /// XADD on a stream whose last generated ID is the maximum ID.
    IdExhausted,
    /// XADD whose fields and values add up to more than 1 GiB.
    ElementsTooLarge,
    SetIdSmallerThanTopItem,
    SetIdSmallerThanMaxDeleted,
    SetIdSmallerThanGivenMaxDeleted,
    SetIdEntriesAddedTooSmall,
    /// XSETID ENTRIESADDED with a negative number.
    EntriesAddedNegative,
    /// XGROUP CREATE / SETID ENTRIESREAD below -1.
    EntriesReadInvalid,
    MaxLenNegative,
    LimitNegative,
    MaxLenWithMinId,
    LimitWithoutStrategy,
    LimitWithoutApprox,
    XTrimWithoutStrategy,
    BusyGroup,
    NoGroup {
        key: Vec<u8>,
        group: Vec<u8>,
        context: NoGroupContext,
    },
    /// XGROUP (other than CREATE ... MKSTREAM) on a missing key.
    XGroupKeyRequired,
    /// XINFO / XSETID on a missing key.
    NoSuchKey,
    DollarInXReadGroup,
    PlusInXReadGroup,
    GreaterThanInXRead,
    GroupOptionInXRead,
    NoAckInXRead,
    MissingGroupInXReadGroup,
    /// An odd number of arguments after STREAMS.
    UnbalancedStreams {
        xreadgroup: bool,
    },
    XClaimInvalidMinIdle,
    XClaimInvalidIdle,
    XClaimInvalidTime,
    XClaimInvalidRetryCount,
    XClaimUnknownOption(Vec<u8>),
    XAutoClaimInvalidMinIdle,
    XAutoClaimCountOutOfRange,
    /// XDELEX / XACKDEL without `IDS`.
    IdsRequired,
    /// XDELEX / XACKDEL with `IDS <numids>` not a positive integer.
    NumIdsNotPositive,
    /// XDELEX / XACKDEL with fewer IDs than `numids`.
    NumIdsMismatch,
    Syntax,
}

/// A group-level operation found no group with the given name. Convert it to the error the
/// command replies with using [`GroupNotFound::into_error`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct GroupNotFound;

impl GroupNotFound {
    pub fn into_error(self, key: &[u8], group: &[u8], context: NoGroupContext) -> StreamError {
        StreamError::NoGroup {
            key: key.to_vec(),
            group: group.to_vec(),
            context,
        }
    }
}

fn c_str(s: &[u8]) -> &[u8] {
    match s.iter().position(|&b| b == 0) {
        Some(nul) => &s[..nul],
        None => s,
    }
}

fn concat(parts: &[&[u8]]) -> Cow<'static, [u8]> {
    Cow::Owned(parts.concat())
}

impl StreamError {
    /// The error line Redis sends (without the leading `-` and the trailing CRLF).
    pub fn message(&self) -> Cow<'static, [u8]> {
        use StreamError::*;
        let text: &'static str = match self {
            InvalidId => "ERR Invalid stream ID specified as stream command argument",
            InvalidStartInterval => "ERR invalid start ID for the interval",
            InvalidEndInterval => "ERR invalid end ID for the interval",
            AddIdZero => "ERR The ID specified in XADD must be greater than 0-0",
            AddIdTooSmall => {
                "ERR The ID specified in XADD is equal or smaller than the target stream top item"
            }
            IdExhausted => {
                "ERR The stream has exhausted the last possible ID, unable to add more items"
            }
            ElementsTooLarge => "ERR Elements are too large to be stored",
            SetIdSmallerThanTopItem => {
                "ERR The ID specified in XSETID is smaller than the target stream top item"
            }
            SetIdSmallerThanMaxDeleted => {
                "ERR The ID specified in XSETID is smaller than current max_deleted_entry_id"
            }
            SetIdSmallerThanGivenMaxDeleted => {
                "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
            }
            SetIdEntriesAddedTooSmall => {
                "ERR The entries_added specified in XSETID is smaller than the target stream length"
            }
            EntriesAddedNegative => "ERR entries_added must be positive",
            EntriesReadInvalid => "ERR value for ENTRIESREAD must be positive or -1",
            MaxLenNegative => "ERR The MAXLEN argument must be >= 0.",
            LimitNegative => "ERR The LIMIT argument must be >= 0.",
            MaxLenWithMinId => {
                "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
            }
            LimitWithoutStrategy => {
                "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
            }
            LimitWithoutApprox => {
                "ERR syntax error, LIMIT cannot be used without the special ~ option"
            }
            XTrimWithoutStrategy => {
                "ERR syntax error, XTRIM must be called with a trimming strategy"
            }
            BusyGroup => "BUSYGROUP Consumer Group name already exists",
            XGroupKeyRequired => {
                "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may \
                 want to use the MKSTREAM option to create an empty stream automatically."
            }
            NoSuchKey => "ERR no such key",
            DollarInXReadGroup => {
                "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the \
                 history of this consumer by specifying a proper ID, or use the > ID to get new \
                 messages. The $ ID would just return an empty result set."
            }
            PlusInXReadGroup => {
                "ERR The + ID is meaningless in the context of XREADGROUP: you want to read the \
                 history of this consumer by specifying a proper ID, or use the > ID to get new \
                 messages. The + ID would just return an empty result set."
            }
            GreaterThanInXRead => {
                "ERR The > ID can be specified only when calling XREADGROUP using the GROUP \
                 <group> <consumer> option."
            }
            GroupOptionInXRead => {
                "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
            }
            NoAckInXRead => {
                "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
            }
            MissingGroupInXReadGroup => "ERR Missing GROUP option for XREADGROUP",
            UnbalancedStreams { xreadgroup: true } => {
                "ERR Unbalanced 'xreadgroup' list of streams: for each stream key an ID or '>' \
                 must be specified."
            }
            UnbalancedStreams { xreadgroup: false } => {
                "ERR Unbalanced 'xread' list of streams: for each stream key an ID, '+', or '$' \
                 must be specified."
            }
            XClaimInvalidMinIdle => "ERR Invalid min-idle-time argument for XCLAIM",
            XClaimInvalidIdle => "ERR Invalid IDLE option argument for XCLAIM",
            XClaimInvalidTime => "ERR Invalid TIME option argument for XCLAIM",
            XClaimInvalidRetryCount => "ERR Invalid RETRYCOUNT option argument for XCLAIM",
            XAutoClaimInvalidMinIdle => "ERR Invalid min-idle-time argument for XAUTOCLAIM",
            XAutoClaimCountOutOfRange => "ERR COUNT must be > 0",
            IdsRequired => "ERR IDS option is required",
            NumIdsNotPositive => "ERR Number of IDs must be a positive integer",
            NumIdsMismatch => "ERR The `numids` parameter must match the number of arguments",
            Syntax => "ERR syntax error",
            XClaimUnknownOption(option) => {
                return concat(&[b"ERR Unrecognized XCLAIM option '", c_str(option), b"'"]);
            }
            NoGroup {
                key,
                group,
                context,
            } => {
                let (key, group) = (c_str(key), c_str(group));
                return match context {
                    NoGroupContext::ReadGroup => concat(&[
                        b"NOGROUP No such key '",
                        key,
                        b"' or consumer group '",
                        group,
                        b"' in XREADGROUP with GROUP option",
                    ]),
                    NoGroupContext::GroupCommand => concat(&[
                        b"NOGROUP No such consumer group '",
                        group,
                        b"' for key name '",
                        key,
                        b"'",
                    ]),
                    NoGroupContext::KeyOrGroup => concat(&[
                        b"NOGROUP No such key '",
                        key,
                        b"' or consumer group '",
                        group,
                        b"'",
                    ]),
                };
            }
        };
        Cow::Borrowed(text.as_bytes())
    }
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.message()))
    }
}

impl std::error::Error for StreamError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(e: StreamError) -> String {
        e.to_string()
    }

    #[test]
    fn fixed_texts() {
        assert_eq!(
            text(StreamError::AddIdTooSmall),
            "ERR The ID specified in XADD is equal or smaller than the target stream top item"
        );
        assert_eq!(
            text(StreamError::AddIdZero),
            "ERR The ID specified in XADD must be greater than 0-0"
        );
        assert_eq!(
            text(StreamError::BusyGroup),
            "BUSYGROUP Consumer Group name already exists"
        );
        assert_eq!(
            text(StreamError::InvalidId),
            "ERR Invalid stream ID specified as stream command argument"
        );
        assert_eq!(
            text(StreamError::XGroupKeyRequired),
            "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may \
             want to use the MKSTREAM option to create an empty stream automatically."
        );
        assert_eq!(
            text(StreamError::UnbalancedStreams { xreadgroup: false }),
            "ERR Unbalanced 'xread' list of streams: for each stream key an ID, '+', or '$' must \
             be specified."
        );
        assert_eq!(
            text(StreamError::DollarInXReadGroup),
            "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the \
             history of this consumer by specifying a proper ID, or use the > ID to get new \
             messages. The $ ID would just return an empty result set."
        );
        assert_eq!(
            text(StreamError::NumIdsMismatch),
            "ERR The `numids` parameter must match the number of arguments"
        );
    }

    #[test]
    fn every_fixed_text() {
        use StreamError::*;
        let table: &[(StreamError, &str)] = &[
            (
                InvalidStartInterval,
                "ERR invalid start ID for the interval",
            ),
            (InvalidEndInterval, "ERR invalid end ID for the interval"),
            (
                IdExhausted,
                "ERR The stream has exhausted the last possible ID, unable to add more items",
            ),
            (ElementsTooLarge, "ERR Elements are too large to be stored"),
            (
                SetIdSmallerThanTopItem,
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            ),
            (
                SetIdSmallerThanMaxDeleted,
                "ERR The ID specified in XSETID is smaller than current max_deleted_entry_id",
            ),
            (
                SetIdSmallerThanGivenMaxDeleted,
                "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
            ),
            (
                SetIdEntriesAddedTooSmall,
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            ),
            (EntriesAddedNegative, "ERR entries_added must be positive"),
            (
                EntriesReadInvalid,
                "ERR value for ENTRIESREAD must be positive or -1",
            ),
            (MaxLenNegative, "ERR The MAXLEN argument must be >= 0."),
            (LimitNegative, "ERR The LIMIT argument must be >= 0."),
            (
                MaxLenWithMinId,
                "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
            ),
            (
                LimitWithoutStrategy,
                "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
            ),
            (
                LimitWithoutApprox,
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ),
            (
                XTrimWithoutStrategy,
                "ERR syntax error, XTRIM must be called with a trimming strategy",
            ),
            (NoSuchKey, "ERR no such key"),
            (
                PlusInXReadGroup,
                "ERR The + ID is meaningless in the context of XREADGROUP: you want to read the \
                 history of this consumer by specifying a proper ID, or use the > ID to get new \
                 messages. The + ID would just return an empty result set.",
            ),
            (
                GreaterThanInXRead,
                "ERR The > ID can be specified only when calling XREADGROUP using the GROUP \
                 <group> <consumer> option.",
            ),
            (
                GroupOptionInXRead,
                "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
            ),
            (
                NoAckInXRead,
                "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
            ),
            (
                MissingGroupInXReadGroup,
                "ERR Missing GROUP option for XREADGROUP",
            ),
            (
                UnbalancedStreams { xreadgroup: true },
                "ERR Unbalanced 'xreadgroup' list of streams: for each stream key an ID or '>' \
                 must be specified.",
            ),
            (
                XClaimInvalidMinIdle,
                "ERR Invalid min-idle-time argument for XCLAIM",
            ),
            (
                XClaimInvalidIdle,
                "ERR Invalid IDLE option argument for XCLAIM",
            ),
            (
                XClaimInvalidTime,
                "ERR Invalid TIME option argument for XCLAIM",
            ),
            (
                XClaimInvalidRetryCount,
                "ERR Invalid RETRYCOUNT option argument for XCLAIM",
            ),
            (
                XAutoClaimInvalidMinIdle,
                "ERR Invalid min-idle-time argument for XAUTOCLAIM",
            ),
            (XAutoClaimCountOutOfRange, "ERR COUNT must be > 0"),
            (IdsRequired, "ERR IDS option is required"),
            (
                NumIdsNotPositive,
                "ERR Number of IDs must be a positive integer",
            ),
            (Syntax, "ERR syntax error"),
        ];
        for (error, expected) in table {
            assert_eq!(error.to_string(), *expected);
        }
    }

    #[test]
    fn nogroup_texts() {
        let e = |context| GroupNotFound.into_error(b"mystream", b"grp", context);
        assert_eq!(
            text(e(NoGroupContext::ReadGroup)),
            "NOGROUP No such key 'mystream' or consumer group 'grp' in XREADGROUP with GROUP option"
        );
        assert_eq!(
            text(e(NoGroupContext::GroupCommand)),
            "NOGROUP No such consumer group 'grp' for key name 'mystream'"
        );
        assert_eq!(
            text(e(NoGroupContext::KeyOrGroup)),
            "NOGROUP No such key 'mystream' or consumer group 'grp'"
        );
        // Names are printed as C strings.
        let nul = GroupNotFound.into_error(b"a\0b", b"g\0h", NoGroupContext::KeyOrGroup);
        assert_eq!(
            &*nul.message(),
            b"NOGROUP No such key 'a' or consumer group 'g'"
        );
        assert_eq!(
            text(StreamError::XClaimUnknownOption(b"FOO".to_vec())),
            "ERR Unrecognized XCLAIM option 'FOO'"
        );
    }
}
