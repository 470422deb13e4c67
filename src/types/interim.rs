//! Interim collection types used while the compact implementations are being built.

#[derive(Default, Clone, Debug)]
pub struct Stream(pub Vec<u8>);
impl Stream {
    pub fn mem_usage(&self) -> usize {
        self.0.len()
    }
}
