//! Lua scripting (EVAL, FUNCTION): Lua 5.1 as Redis embeds it, with Redis's bundled libraries.
pub mod lualibs;
