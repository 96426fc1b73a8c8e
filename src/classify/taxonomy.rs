//! The topic taxonomy: ids, Italian labels and a content hash so a model trained for one
//! taxonomy is refused with another. After load a topic is a [`TopicId`].

use sha2::{Digest, Sha256};

/// Index of a topic in its [`Taxonomy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicId(pub u16);

impl TopicId {
    /// Index into the taxonomy's topic list.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// One topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    /// Stable id (`anagrafe`, `tributi`, ...; for `--rules none`, the training folder name).
    pub id: String,
    /// Label shown to staff.
    pub label: String,
}

/// A versioned list of topics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taxonomy {
    /// Taxonomy id and version, e.g. `urp-it-1`.
    pub id: String,
    topics: Vec<Topic>,
    /// The residual topic assigned when nothing scores, if the taxonomy has one.
    fallback: Option<TopicId>,
}

impl Taxonomy {
    /// Builds a taxonomy. Ids must be unique (checked by the loaders that build it).
    pub fn new(id: String, topics: Vec<Topic>, fallback: Option<&str>) -> Self {
        let fallback = fallback.and_then(|f| topics.iter().position(|t| t.id == f)).map(to_id);
        Taxonomy { id, topics, fallback }
    }

    /// A taxonomy made of bare labels (model-only classification of any corpus).
    pub fn from_labels(id: &str, labels: &[String]) -> Self {
        let topics = labels.iter().map(|l| Topic { id: l.clone(), label: l.clone() }).collect();
        Taxonomy::new(id.to_string(), topics, None)
    }

    /// All topics in order.
    pub fn topics(&self) -> &[Topic] {
        &self.topics
    }

    /// Number of topics.
    pub fn len(&self) -> usize {
        self.topics.len()
    }

    /// True when there are no topics.
    pub fn is_empty(&self) -> bool {
        self.topics.is_empty()
    }

    /// Looks a topic id up.
    pub fn find(&self, id: &str) -> Option<TopicId> {
        self.topics.iter().position(|t| t.id == id).map(to_id)
    }

    /// The topic behind an id.
    pub fn topic(&self, id: TopicId) -> &Topic {
        &self.topics[id.index()]
    }

    /// The residual topic, if any.
    pub fn fallback(&self) -> Option<TopicId> {
        self.fallback
    }

    /// Content hash of ids and labels: a model records it and is refused with another taxonomy.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.id.as_bytes());
        for t in &self.topics {
            h.update(b"\n");
            h.update(t.id.as_bytes());
            h.update(b"\t");
            h.update(t.label.as_bytes());
        }
        hex(&h.finalize()[..8])
    }
}

fn to_id(i: usize) -> TopicId {
    TopicId(u16::try_from(i).unwrap_or(u16::MAX))
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
