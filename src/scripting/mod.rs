//! Lua scripting (EVAL, FUNCTION): Lua 5.1 as Redis embeds it, with Redis's bundled libraries.
pub mod convert;
pub mod engine;
pub mod functions;
pub mod lualibs;

pub use engine::Engine;
