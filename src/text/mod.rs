//! Text analysis: body cleaning ([`clean`]) and the tokenizer/stemmer chain ([`analyze`]) that
//! turns a message into the terms the rules and the model see. Pure functions, no I/O.

pub mod analyze;
pub mod clean;
pub mod redact;
pub mod stopwords;

pub use analyze::{Analyzer, Language, Term, with_analyzer};
