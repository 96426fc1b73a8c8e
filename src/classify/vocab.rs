//! The model vocabulary: all terms in one string, with a hash table of ids. One allocation
//! instead of two per term keeps model loading fast and its memory small.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

/// Terms by id, ids by term.
#[derive(Clone, Default)]
pub struct Vocab {
    blob: String,
    /// `offsets[i]..offsets[i + 1]` is term `i` in `blob`.
    offsets: Vec<u32>,
    table: HashTable<u32>,
    hasher: FxBuildHasher,
}

impl std::fmt::Debug for Vocab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vocab").field("terms", &self.len()).finish()
    }
}

impl Vocab {
    /// Builds a vocabulary; ids follow the iteration order. Duplicates keep their first id.
    pub fn new<'a>(terms: impl IntoIterator<Item = &'a str>) -> Vocab {
        let mut v = Vocab { offsets: vec![0], ..Vocab::default() };
        for t in terms {
            v.push(t);
        }
        v
    }

    fn push(&mut self, term: &str) {
        if self.get(term).is_some() {
            return;
        }
        let id = (self.offsets.len() - 1) as u32;
        self.blob.push_str(term);
        self.offsets.push(self.blob.len() as u32);
        let hash = self.hasher.hash_one(term);
        let Vocab { table, offsets, blob, hasher } = self;
        table.insert_unique(hash, id, |&i| {
            hasher.hash_one(&blob[offsets[i as usize] as usize..offsets[i as usize + 1] as usize])
        });
    }

    /// Number of terms.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The term with id `i`.
    pub fn term(&self, i: u32) -> &str {
        &self.blob[self.offsets[i as usize] as usize..self.offsets[i as usize + 1] as usize]
    }

    /// The id of `term`.
    pub fn get(&self, term: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(term);
        self.table.find(hash, |&i| self.term(i) == term).copied()
    }

    /// All terms in id order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len() as u32).map(|i| self.term(i))
    }
}

#[cfg(test)]
mod tests {
    use super::Vocab;

    #[test]
    fn ids_and_terms_round_trip() {
        let v = Vocab::new(["anagraf", "tari", "città", "tari"]);
        assert_eq!(v.len(), 3);
        assert_eq!(v.get("tari"), Some(1));
        assert_eq!(v.term(2), "città");
        assert_eq!(v.get("imu"), None);
        assert_eq!(v.iter().collect::<Vec<_>>(), ["anagraf", "tari", "città"]);
    }
}
