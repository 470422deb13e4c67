//! Pub/Sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB.
//!
//! Subscription confirmations are pushed frames (`>` in RESP3, arrays in RESP2), one per
//! channel, carrying the client's subscription count as Redis counts it: channels plus patterns
//! for SUBSCRIBE/PSUBSCRIBE, shard channels alone for SSUBSCRIBE.

use std::sync::atomic::Ordering::Relaxed;

use super::connection::help_reply;
use super::ctx::Ctx;
use super::table::*;
use crate::error::CmdResult;
use crate::protocol::Reply;
use crate::server::Server;
use crate::server::client::{self, ClientState, ObufClass, ReplyMode};
use crate::server::pubsub::Kind;

const SHARD_CHANNELS: KeySpec = keys_range(K_NOT_KEY, 1, -1, 1);

pub static COMMANDS: &[Command] = &[
    Command::new("subscribe", -2, subscribe)
        .flags(PUBSUB | NOSCRIPT | LOADING | STALE)
        .doc("pubsub", "2.0.0", "O(N) where N is the number of channels to subscribe to.", "Listens for messages published to channels.")
        .syntax("channel [channel ...]"),
    Command::new("unsubscribe", -1, unsubscribe)
        .flags(PUBSUB | NOSCRIPT | LOADING | STALE)
        .doc("pubsub", "2.0.0", "O(N) where N is the number of channels to unsubscribe.", "Stops listening to messages posted to channels.")
        .syntax("[channel [channel ...]]"),
    Command::new("psubscribe", -2, psubscribe)
        .flags(PUBSUB | NOSCRIPT | LOADING | STALE)
        .doc("pubsub", "2.0.0", "O(N) where N is the number of patterns to subscribe to.", "Listens for messages published to channels that match one or more patterns.")
        .syntax("pattern [pattern ...]"),
    Command::new("punsubscribe", -1, punsubscribe)
        .flags(PUBSUB | NOSCRIPT | LOADING | STALE)
        .doc("pubsub", "2.0.0", "O(N) where N is the number of patterns to unsubscribe.", "Stops listening to messages published to channels that match one or more patterns.")
        .syntax("[pattern [pattern ...]]"),
    Command::new("ssubscribe", -2, ssubscribe)
        .flags(PUBSUB | NOSCRIPT | LOADING | STALE)
        .keys(&[SHARD_CHANNELS])
        .doc("pubsub", "7.0.0", "O(N) where N is the number of shard channels to subscribe to.", "Listens for messages published to shard channels.")
        .syntax("shardchannel [shardchannel ...]"),
    Command::new("sunsubscribe", -1, sunsubscribe)
        .flags(PUBSUB | NOSCRIPT | LOADING | STALE)
        .keys(&[SHARD_CHANNELS])
        .doc("pubsub", "7.0.0", "O(N) where N is the number of shard channels to unsubscribe.", "Stops listening to messages posted to shard channels.")
        .syntax("[shardchannel [shardchannel ...]]"),
    Command::new("publish", 3, publish)
        .flags(PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE)
        .doc("pubsub", "2.0.0", "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).", "Posts a message to a channel.")
        .syntax("channel message"),
    Command::new("spublish", 3, spublish)
        .flags(PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE)
        .keys(&[key_at(K_NOT_KEY, 1)])
        .doc("pubsub", "7.0.0", "O(N) where N is the number of clients subscribed to the receiving shard channel.", "Post a message to a shard channel")
        .syntax("shardchannel message"),
    Command::container("pubsub", -2, PUBSUB_SUBS)
        .acl(SLOW)
        .doc("pubsub", "2.8.0", "Depends on subcommand.", "A container for Pub/Sub commands."),
];

static PUBSUB_SUBS: &[Command] = &[
    Command::new("channels", -2, pubsub_channels)
        .flags(PUBSUB | LOADING | STALE)
        .doc("pubsub", "2.8.0", "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)", "Returns the active channels.")
        .syntax("[pattern]"),
    Command::new("numsub", -2, pubsub_numsub)
        .flags(PUBSUB | LOADING | STALE)
        .doc("pubsub", "2.8.0", "O(N) for the NUMSUB subcommand, where N is the number of requested channels", "Returns a count of subscribers to channels.")
        .syntax("[channel [channel ...]]"),
    Command::new("numpat", 2, pubsub_numpat)
        .flags(PUBSUB | LOADING | STALE)
        .doc("pubsub", "2.8.0", "O(1)", "Returns a count of unique pattern subscriptions."),
    Command::new("shardchannels", -2, pubsub_shardchannels)
        .flags(PUBSUB | LOADING | STALE)
        .doc("pubsub", "7.0.0", "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).", "Returns the active shard channels.")
        .syntax("[pattern]"),
    Command::new("shardnumsub", -2, pubsub_shardnumsub)
        .flags(PUBSUB | LOADING | STALE)
        .doc("pubsub", "7.0.0", "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels", "Returns the count of subscribers of shard channels.")
        .syntax("[shardchannel [shardchannel ...]]"),
    Command::new("help", 2, pubsub_help)
        .flags(LOADING | STALE)
        .doc("pubsub", "6.2.0", "O(1)", "Returns helpful text about the different subcommands."),
];

/// A (un)subscribe confirmation. It is a push, so CLIENT REPLY OFF/SKIP does not silence it
/// (Redis 7.2 marks it CLIENT_PUSHING): while replies are suppressed it goes out by the side.
fn confirm(ctx: &mut Ctx, kind: &[u8], name: Option<&[u8]>, count: usize) {
    let mut side = Vec::new();
    let suppressed = ctx.client.reply_mode != ReplyMode::On;
    let mut r = if suppressed {
        Reply::new(&mut side, ctx.out.resp3)
    } else {
        Reply::new(ctx.out.buf, ctx.out.resp3)
    };
    r.push(3);
    r.bulk(kind);
    match name {
        Some(n) => r.bulk(n),
        None => r.null(),
    }
    r.int(count as i64);
    if suppressed {
        crate::server::pubsub::push_direct(&side);
    }
}

/// Keeps the client's flags and output-limit class in line with its subscriptions.
fn update_client(c: &ClientState) {
    let s = &c.shared;
    s.subs.store(c.channels.len(), Relaxed);
    s.psubs.store(c.patterns.len(), Relaxed);
    s.ssubs.store(c.shard_channels.len(), Relaxed);
    let subscribed = c.sub_count() + c.shard_channels.len() > 0;
    s.set_flag(client::F_PUBSUB, subscribed);
    Server::set_client_class(
        s,
        if subscribed {
            ObufClass::PubSub
        } else {
            ObufClass::Normal
        },
    );
}

fn set_for(c: &mut ClientState, kind: Kind) -> &mut std::collections::HashSet<Vec<u8>> {
    match kind {
        Kind::Channel => &mut c.channels,
        Kind::Pattern => &mut c.patterns,
        Kind::Shard => &mut c.shard_channels,
    }
}

fn count_for(c: &ClientState, kind: Kind) -> usize {
    match kind {
        Kind::Shard => c.shard_channels.len(),
        _ => c.sub_count(),
    }
}

fn subscribe_generic(ctx: &mut Ctx, kind: Kind, word: &[u8]) -> CmdResult {
    for i in 1..ctx.argc() {
        let name = ctx.arg(i);
        if set_for(ctx.client, kind).insert(name.to_vec()) {
            ctx.srv.pubsub.subscribe(kind, name, &ctx.client.shared);
        }
        let n = count_for(ctx.client, kind);
        confirm(ctx, word, Some(name), n);
    }
    update_client(ctx.client);
    Ok(())
}

fn unsubscribe_generic(ctx: &mut Ctx, kind: Kind, word: &[u8]) -> CmdResult {
    let names: Vec<Vec<u8>> = if ctx.argc() > 1 {
        ctx.args[1..].iter().map(|a| a.to_vec()).collect()
    } else {
        set_for(ctx.client, kind).iter().cloned().collect()
    };
    if names.is_empty() {
        let n = count_for(ctx.client, kind);
        confirm(ctx, word, None, n);
        return Ok(());
    }
    for name in names {
        if set_for(ctx.client, kind).remove(&name) {
            ctx.srv.pubsub.unsubscribe(kind, &name, ctx.client.id());
        }
        let n = count_for(ctx.client, kind);
        confirm(ctx, word, Some(&name), n);
    }
    update_client(ctx.client);
    Ok(())
}

fn subscribe(ctx: &mut Ctx) -> CmdResult {
    subscribe_generic(ctx, Kind::Channel, b"subscribe")
}
fn psubscribe(ctx: &mut Ctx) -> CmdResult {
    subscribe_generic(ctx, Kind::Pattern, b"psubscribe")
}
fn ssubscribe(ctx: &mut Ctx) -> CmdResult {
    subscribe_generic(ctx, Kind::Shard, b"ssubscribe")
}
fn unsubscribe(ctx: &mut Ctx) -> CmdResult {
    unsubscribe_generic(ctx, Kind::Channel, b"unsubscribe")
}
fn punsubscribe(ctx: &mut Ctx) -> CmdResult {
    unsubscribe_generic(ctx, Kind::Pattern, b"punsubscribe")
}
fn sunsubscribe(ctx: &mut Ctx) -> CmdResult {
    unsubscribe_generic(ctx, Kind::Shard, b"sunsubscribe")
}

fn publish(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.srv.publish(ctx.arg(1), ctx.arg(2));
    ctx.out.int(n as i64);
    Ok(())
}

fn spublish(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.srv.spublish(ctx.arg(1), ctx.arg(2));
    ctx.out.int(n as i64);
    Ok(())
}

fn names_reply(ctx: &mut Ctx, kind: Kind) -> CmdResult {
    if ctx.argc() > 3 {
        // Redis checks this inside PUBSUB itself (addReplySubcommandSyntaxError).
        return Err(crate::error::Error::err(format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
            String::from_utf8_lossy(ctx.arg(1))
        )));
    }
    let pat = if ctx.argc() == 3 {
        Some(ctx.arg(2))
    } else {
        None
    };
    let names = ctx.srv.pubsub.names(kind, pat);
    ctx.out.array(names.len());
    for n in names {
        ctx.out.bulk(&n);
    }
    Ok(())
}

fn pubsub_channels(ctx: &mut Ctx) -> CmdResult {
    names_reply(ctx, Kind::Channel)
}

fn pubsub_shardchannels(ctx: &mut Ctx) -> CmdResult {
    names_reply(ctx, Kind::Shard)
}

fn numsub(ctx: &mut Ctx, kind: Kind) -> CmdResult {
    ctx.out.array((ctx.argc() - 2) * 2);
    for i in 2..ctx.argc() {
        ctx.out.bulk(ctx.arg(i));
        ctx.out.int(ctx.srv.pubsub.count(kind, ctx.arg(i)) as i64);
    }
    Ok(())
}

fn pubsub_numsub(ctx: &mut Ctx) -> CmdResult {
    numsub(ctx, Kind::Channel)
}

fn pubsub_shardnumsub(ctx: &mut Ctx) -> CmdResult {
    numsub(ctx, Kind::Shard)
}

fn pubsub_numpat(ctx: &mut Ctx) -> CmdResult {
    ctx.out.int(ctx.srv.pubsub.numpat() as i64);
    Ok(())
}

fn pubsub_help(ctx: &mut Ctx) -> CmdResult {
    help_reply(
        ctx,
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    )
}

/// Drops every subscription of a client (disconnect, RESET).
pub fn unsubscribe_all(srv: &Server, c: &mut ClientState) {
    for (kind, set) in [
        (Kind::Channel, std::mem::take(&mut c.channels)),
        (Kind::Pattern, std::mem::take(&mut c.patterns)),
        (Kind::Shard, std::mem::take(&mut c.shard_channels)),
    ] {
        for name in set {
            srv.pubsub.unsubscribe(kind, &name, c.id());
        }
    }
    update_client(c);
}
