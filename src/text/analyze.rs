//! The analyzer: a chain of small filters over the text (after tantivy's design).
//!
//! lower-case → split on non-letters → elisions (`dell'anagrafe` → `dell` + `anagrafe`) →
//! apostrophe-accents (`perche'` → `perché`) → stop words → Snowball stem → accent folding.
//!
//! Stemming dominates the cost, so each distinct word is stemmed once per analyzer (a cache);
//! create one analyzer per thread.

use std::collections::HashSet;

use rustc_hash::FxHashMap;
use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};

use super::stopwords;

/// A normalised term. Stems are short, so a [`SmolStr`](smol_str::SmolStr) holds them inline: a
/// message's terms are copies of the analyzer's cached stems that touch no other memory (no
/// reference count to bump, no heap string to compare), which matters because looking terms up
/// is memory-bound.
pub type Term = smol_str::SmolStr;

/// Language of the stop list and stemmer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    Italian,
    English,
}

impl Language {
    /// Stable identifier (`it`, `en`).
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Italian => "it",
            Language::English => "en",
        }
    }

    /// Parses `it` / `en`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "it" => Some(Language::Italian),
            "en" => Some(Language::English),
            _ => None,
        }
    }
}

fn stop_set(lang: Language) -> &'static HashSet<&'static str> {
    static IT: OnceLock<HashSet<&'static str>> = OnceLock::new();
    static EN: OnceLock<HashSet<&'static str>> = OnceLock::new();
    match lang {
        Language::Italian => IT.get_or_init(|| stopwords::ITALIAN.iter().copied().collect()),
        Language::English => EN.get_or_init(|| stopwords::ENGLISH.iter().copied().collect()),
    }
}

/// Stems cached per analyzer; bounded so a hostile message cannot grow it without limit (a
/// full cache starts over, so the words of current mail stay cached).
const CACHE_LIMIT: usize = 200_000;

/// Runs `f` with this thread's analyzer for `lang`, which lives as long as the thread, so its
/// stem cache serves every batch the thread processes (a daemon's worker threads stem each
/// distinct word once, not once per batch). Re-entrant calls get a fresh analyzer.
pub fn with_analyzer<R>(lang: Language, f: impl FnOnce(&mut Analyzer) -> R) -> R {
    use std::cell::RefCell;
    thread_local! {
        static ANALYZERS: RefCell<Vec<Analyzer>> = const { RefCell::new(Vec::new()) };
    }
    let taken =
        ANALYZERS.with_borrow_mut(|v| v.iter().position(|a| a.lang == lang).map(|i| v.swap_remove(i)));
    let mut analyzer = taken.unwrap_or_else(|| Analyzer::new(lang));
    let r = f(&mut analyzer);
    ANALYZERS.with_borrow_mut(|v| v.push(analyzer));
    r
}

/// Turns text into terms. Not `Sync`: one per thread.
pub struct Analyzer {
    lang: Language,
    stemmer: Stemmer,
    cache: FxHashMap<Term, Option<Term>>,
    word: String,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer").field("lang", &self.lang).field("cached", &self.cache.len()).finish()
    }
}

impl Analyzer {
    /// A new analyzer for `lang`.
    pub fn new(lang: Language) -> Self {
        let algo = match lang {
            Language::Italian => Algorithm::Italian,
            Language::English => Algorithm::English,
        };
        Analyzer { lang, stemmer: Stemmer::create(algo), cache: FxHashMap::default(), word: String::new() }
    }

    /// The analyzer's language.
    pub fn language(&self) -> Language {
        self.lang
    }

    /// Distinct words in the stem cache (tests check that the cache outlives batches).
    #[cfg(test)]
    fn cached_words(&self) -> usize {
        self.cache.len()
    }

    /// Appends the terms of `text` to `out`, stopping after `max_terms` terms in `out`.
    pub fn terms_into(&mut self, text: &str, out: &mut Vec<Term>, max_terms: usize) {
        let bytes = text.as_bytes();
        let mut word = std::mem::take(&mut self.word);
        word.clear();
        let mut i = 0;
        loop {
            if out.len() >= max_terms {
                break;
            }
            // ASCII (most of every message) is classified byte by byte; other characters are
            // decoded. `i` always sits on a character boundary.
            let next = match bytes.get(i) {
                None => None,
                Some(&b) if b < 0x80 => {
                    i += 1;
                    if b.is_ascii_alphanumeric() {
                        word.push(char::from(b.to_ascii_lowercase()));
                        continue;
                    }
                    Some(char::from(b))
                }
                Some(_) => {
                    let c = text[i..].chars().next();
                    i += c.map_or(1, char::len_utf8);
                    c
                }
            };
            match next {
                Some(c) if c.is_alphanumeric() => {
                    for l in c.to_lowercase() {
                        word.push(l);
                    }
                }
                Some(c) if is_apostrophe(c) && !word.is_empty() => {
                    let followed_by_letter =
                        text.get(i..).and_then(|r| r.chars().next()).is_some_and(char::is_alphabetic);
                    if self.lang == Language::Italian && !followed_by_letter {
                        // "perche'", "piu'", "citta'": an accent typed as an apostrophe.
                        accent_last_vowel(&mut word);
                    }
                    // Elision ("dell'anagrafe", "l'IMU") or English clitic ("don't"): the part
                    // before the apostrophe is a word of its own (usually a stop word).
                    self.emit(&word, out);
                    word.clear();
                }
                other => {
                    if !word.is_empty() {
                        self.emit(&word, out);
                        word.clear();
                    }
                    if other.is_none() {
                        break;
                    }
                }
            }
        }
        word.clear();
        self.word = word;
    }

    /// Terms of `text` as a new vector.
    pub fn terms(&mut self, text: &str) -> Vec<Term> {
        let mut out = Vec::new();
        self.terms_into(text, &mut out, usize::MAX);
        out
    }

    fn emit(&mut self, word: &str, out: &mut Vec<Term>) {
        if let Some(cached) = self.cache.get(word) {
            if let Some(t) = cached {
                out.push(t.clone());
            }
            return;
        }
        let term: Option<Term> = self.analyze_word(word).map(Term::from);
        if self.cache.len() >= CACHE_LIMIT {
            self.cache.clear();
        }
        self.cache.insert(Term::from(word), term.clone());
        if let Some(t) = term {
            out.push(t);
        }
    }

    fn analyze_word(&self, word: &str) -> Option<String> {
        let count = word.chars().count();
        if !(2..=40).contains(&count) {
            return None;
        }
        if word.chars().all(|c| c.is_ascii_digit()) {
            // Three-digit numbers name forms and laws ("730", "104", "241"); others (dates,
            // amounts, phone numbers) are noise.
            return (count == 3).then(|| word.to_string());
        }
        let folded = fold_accents(word);
        if stop_set(self.lang).contains(folded.as_str()) {
            return None;
        }
        let stem = self.stemmer.stem(word);
        let stem = fold_accents(&stem);
        (stem.chars().count() >= 2).then_some(stem)
    }
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '`' | '\u{b4}')
}

fn accent_last_vowel(word: &mut String) {
    let Some(last) = word.pop() else { return };
    let acute = matches!(word.as_str(), "perch" | "poich" | "affinch" | "bench" | "sicch" | "n" | "finch");
    let accented = match last {
        'a' => 'à',
        'e' if acute => 'é',
        'e' => 'è',
        'i' => 'ì',
        'o' => 'ò',
        'u' => 'ù',
        other => other,
    };
    word.push(accented);
}

/// Folds Latin accents to ASCII (`città` → `citta`), leaving other letters alone.
pub fn fold_accents(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    s.chars().map(fold_char).collect()
}

/// [`fold_accents`] of one character.
pub fn fold_char(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => 'a',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(v: Vec<Term>) -> Vec<String> {
        v.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn elisions_and_accents_meet_the_same_term() {
        let mut a = Analyzer::new(Language::Italian);
        assert_eq!(a.terms("dell'anagrafe"), a.terms("anagrafe"));
        assert_eq!(a.terms("dell’anagrafe"), a.terms("Anagrafe"));
        assert_eq!(a.terms("citta'"), a.terms("città"));
        assert!(a.terms("perche'").is_empty());
        assert_eq!(a.terms("PIU' e' l'IMU"), a.terms("imu"));
    }

    #[test]
    fn stems_and_drops_stop_words_and_noise() {
        let mut a = Analyzer::new(Language::Italian);
        let t = a.terms("Vorrei sapere come pagare la TARI del 2024, tel. 3331234567");
        assert_eq!(t, a.terms("pagamento Tari"));
        assert_eq!(t.len(), 2);
        // topic words the Snowball list drops are kept
        assert!(!a.terms("lavoro casa comune").is_empty());
        assert_eq!(strs(a.terms("modello 730")), ["modell", "730"]);
    }

    #[test]
    fn english_analyzer() {
        let mut a = Analyzer::new(Language::English);
        assert_eq!(strs(a.terms("The engines are running; don't stop")), ["engin", "run", "stop"]);
    }

    #[test]
    fn max_terms_bounds_the_output() {
        let mut a = Analyzer::new(Language::Italian);
        let mut out = Vec::new();
        a.terms_into(&"anagrafe ".repeat(1000), &mut out, 10);
        assert_eq!(out.len(), 10);
    }

    #[test]
    fn the_thread_analyzer_keeps_its_cache_and_allows_reentry() {
        std::thread::spawn(|| {
            let terms = with_analyzer(Language::Italian, |a| a.terms("certificato di residenza"));
            assert_eq!(terms.len(), 2);
            let cached = with_analyzer(Language::Italian, |a| a.cached_words());
            assert!(cached >= 3, "the second call sees the first call's cache: {cached}");
            assert_eq!(with_analyzer(Language::English, |a| a.cached_words()), 0, "one per language");
            let inner =
                with_analyzer(Language::Italian, |_| with_analyzer(Language::Italian, |a| a.cached_words()));
            assert_eq!(inner, 0, "a re-entrant call gets a fresh analyzer");
        })
        .join()
        .expect("thread");
    }
}
