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
pub struct Hash(pub std::collections::HashMap<Vec<u8>, Vec<u8>>);
impl Hash {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn mem_usage(&self) -> usize {
        self.0.iter().map(|(k, v)| k.len() + v.len() + 48).sum()
    }
    pub fn encoding(&self) -> &'static str {
        "hashtable"
    }
}
#[derive(Default, Clone, Debug)]
pub struct Set(pub std::collections::HashSet<Vec<u8>>);
impl Set {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn mem_usage(&self) -> usize {
        self.0.iter().map(|k| k.len() + 24).sum()
    }
    pub fn encoding(&self) -> &'static str {
        "hashtable"
    }
}
#[derive(Default, Clone, Debug)]
pub struct ZSet(pub std::collections::BTreeMap<Vec<u8>, f64>);
impl ZSet {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn mem_usage(&self) -> usize {
        self.0.keys().map(|k| k.len() + 32).sum()
    }
    pub fn encoding(&self) -> &'static str {
        "skiplist"
    }
}
#[derive(Default, Clone, Debug)]
pub struct Stream(pub Vec<u8>);
impl Stream {
    pub fn mem_usage(&self) -> usize {
        self.0.len()
    }
}
