//! The model vocabulary: all terms in one string, with a hash table of ids. One allocation
//! instead of two per term keeps model loading fast and its memory small.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap};

use super::features::BIGRAM_SEPARATOR;

/// Terms by id, ids by term.
#[derive(Clone, Default)]
pub struct Vocab {
    blob: String,
    /// `offsets[i]..offsets[i + 1]` is term `i` in `blob`.
    offsets: Vec<u32>,
    table: HashTable<u32>,
    hasher: FxBuildHasher,
    /// Bigram terms (`a_b`) by the ids of their two words: scoring finds a bigram from two
    /// integer ids instead of building, hashing and comparing its string. `None` when there are
    /// no bigrams, or when a bigram's words are not both terms (then [`Vocab::pair`] cannot
    /// answer and callers look the string up).
    pairs: Option<FxHashMap<u64, u32>>,
}

impl std::fmt::Debug for Vocab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vocab").field("terms", &self.len()).finish()
    }
}

impl Vocab {
    /// Builds a vocabulary; ids follow the iteration order. Duplicates keep their first id.
    pub fn new<'a>(terms: impl IntoIterator<Item = &'a str>) -> Vocab {
        let terms = terms.into_iter();
        let n = terms.size_hint().0;
        let mut v = Vocab { offsets: Vec::with_capacity(n + 1), ..Vocab::default() };
        v.offsets.push(0);
        v.table.reserve(n, |_| 0);
        v.blob.reserve(n * 8);
        for t in terms {
            v.push(t);
        }
        v.pairs = v.index_pairs();
        v
    }

    fn index_pairs(&self) -> Option<FxHashMap<u64, u32>> {
        if !self.blob.contains(BIGRAM_SEPARATOR) {
            return None;
        }
        let mut pairs = FxHashMap::default();
        for (id, term) in self.iter().enumerate() {
            let Some((a, b)) = term.split_once(BIGRAM_SEPARATOR) else { continue };
            // Words never contain the separator (the analyzer splits on it), so a bigram splits one way.
            let (Some(a), Some(b)) = (self.get(a), self.get(b)) else { return None };
            pairs.insert(pair_key(a, b), id as u32);
        }
        Some(pairs)
    }

    /// Whether [`Vocab::pair`] answers for every bigram.
    pub fn has_pair_index(&self) -> bool {
        self.pairs.is_some()
    }

    /// The id of the bigram of words `a` and `b` (ids), when indexed.
    pub fn pair(&self, a: u32, b: u32) -> Option<u32> {
        self.pairs.as_ref().and_then(|p| p.get(&pair_key(a, b)).copied())
    }

    fn push(&mut self, term: &str) {
        // One hash and one probe per term: model loading pushes every term of the file.
        let hash = self.hasher.hash_one(term);
        let id = (self.offsets.len() - 1) as u32;
        let Vocab { table, offsets, blob, hasher, .. } = self;
        let span = |i: u32| offsets[i as usize] as usize..offsets[i as usize + 1] as usize;
        match table.entry(hash, |&i| &blob[span(i)] == term, |&i| hasher.hash_one(&blob[span(i)])) {
            hashbrown::hash_table::Entry::Occupied(_) => {}
            hashbrown::hash_table::Entry::Vacant(slot) => {
                slot.insert(id);
                blob.push_str(term);
                offsets.push(blob.len() as u32);
            }
        }
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

fn pair_key(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
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
        assert!(!v.has_pair_index());
    }

    #[test]
    fn bigrams_are_indexed_by_word_ids() {
        let v = Vocab::new(["buca", "strada", "buca_strada", "via", "via_buca"]);
        assert!(v.has_pair_index());
        assert_eq!(v.pair(0, 1), Some(2));
        assert_eq!(v.pair(3, 0), Some(4));
        assert_eq!(v.pair(1, 0), None);
        // A bigram whose word is not a term: no index, callers fall back to strings.
        let v = Vocab::new(["buca", "buca_strada"]);
        assert!(!v.has_pair_index());
        assert_eq!(v.get("buca_strada"), Some(1));
    }
}
