//! Interim collection types used while the compact implementations are being built.
use std::collections::VecDeque;

#[derive(Default, Clone, Debug)]
pub struct List(pub VecDeque<Vec<u8>>);
impl List {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn mem_usage(&self) -> usize {
        self.0.iter().map(|v| v.len() + 24).sum()
    }
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }
}
#[derive(Default, Clone, Debug)]
pub struct Stream(pub Vec<u8>);
impl Stream {
    pub fn mem_usage(&self) -> usize {
        self.0.len()
    }
}
