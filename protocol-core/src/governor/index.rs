//! A set of peer addresses with O(1) insert, remove, membership and uniform random pick.
//! Iteration order depends only on the sequence of operations (never on hashing), which keeps
//! governor runs reproducible from their seed.

use std::collections::HashMap;
use std::net::SocketAddr;

#[derive(Debug, Default, Clone)]
pub(crate) struct IndexedSet {
    items: Vec<SocketAddr>,
    pos: HashMap<SocketAddr, usize>,
}

impl IndexedSet {
    pub(crate) fn insert(&mut self, addr: SocketAddr) -> bool {
        if self.pos.contains_key(&addr) {
            return false;
        }
        self.pos.insert(addr, self.items.len());
        self.items.push(addr);
        true
    }

    pub(crate) fn remove(&mut self, addr: &SocketAddr) -> bool {
        let Some(i) = self.pos.remove(addr) else { return false };
        self.items.swap_remove(i);
        if let Some(moved) = self.items.get(i) {
            self.pos.insert(*moved, i);
        }
        true
    }

    pub(crate) fn contains(&self, addr: &SocketAddr) -> bool {
        self.pos.contains_key(addr)
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub(crate) fn get(&self, i: usize) -> Option<SocketAddr> {
        self.items.get(i).copied()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &SocketAddr> {
        self.items.iter()
    }

    /// Same members, order ignored.
    pub(crate) fn same_members(&self, other: &IndexedSet) -> bool {
        self.len() == other.len() && self.items.iter().all(|a| other.contains(a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_remove_keeps_positions_consistent() {
        let mut s = IndexedSet::default();
        let a: Vec<SocketAddr> = (0..10).map(|i| SocketAddr::from(([10, 0, 0, i], 1))).collect();
        for x in &a {
            assert!(s.insert(*x));
        }
        assert!(!s.insert(a[3]));
        assert!(s.remove(&a[0]));
        assert!(s.remove(&a[9]));
        assert!(!s.remove(&a[0]));
        assert_eq!(s.len(), 8);
        for i in 0..s.len() {
            let x = s.get(i).unwrap();
            assert_eq!(s.pos[&x], i);
        }
    }
}
