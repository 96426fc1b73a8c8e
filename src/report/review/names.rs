//! Names staff write in a review file: a topic or a tipologia given by its id or its Italian
//! label, in any case, with or without accents or apostrophes, with stray spaces, all resolve to
//! the canonical id; a near miss gets a suggestion. The one place where `learn` matches what
//! staff typed against a list of names (topics, tipologie, field names).

/// The longest input (in characters) compared by edit distance: a name is short, and a longer
/// text is not a near miss of one.
const MAX_COMPARED: usize = 80;

/// At most this many suggestions; more hits than that suggest nothing useful.
const MAX_SUGGESTIONS: usize = 3;

/// A name as defined (id and label) with its normalised forms.
#[derive(Debug, Clone)]
pub struct Name<'a> {
    pub id: &'a str,
    pub label: &'a str,
    norm_id: String,
    norm_label: String,
}

/// A list of names to match staff input against.
#[derive(Debug, Clone)]
pub struct Names<'a> {
    names: Vec<Name<'a>>,
}

impl<'a> Names<'a> {
    /// Names from `(id, label)` pairs, in the order suggestions are listed.
    pub fn new(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let names = pairs
            .into_iter()
            .map(|(id, label)| Name { id, label, norm_id: normalise(id), norm_label: normalise(label) })
            .collect();
        Names { names }
    }

    /// The ids, in order.
    pub fn ids(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.names.iter().map(|n| n.id)
    }

    /// The canonical id `input` names: the id itself, else the id or label equal to it once both
    /// are normalised (ids first).
    pub fn resolve(&self, input: &str) -> Option<&'a str> {
        if let Some(n) = self.names.iter().find(|n| n.id == input) {
            return Some(n.id);
        }
        let wanted = normalise(input);
        if wanted.is_empty() {
            return None;
        }
        let by_id = self.names.iter().find(|n| n.norm_id == wanted);
        by_id.or_else(|| self.names.iter().find(|n| n.norm_label == wanted)).map(|n| n.id)
    }

    /// What `input` probably meant when it names nothing: the names within a small edit distance
    /// (one edit for words up to four letters, else two) of an id or a label, the closest ones;
    /// else the names one of whose words starts with it (`rifiuti`, `polizia`). Empty when nothing
    /// is close or too many are.
    pub fn suggest(&self, input: &str) -> Vec<&Name<'a>> {
        let wanted = normalise(input);
        let len = wanted.chars().count();
        if len == 0 || len > MAX_COMPARED {
            return Vec::new();
        }
        let near: Vec<(usize, &Name<'a>)> = self
            .names
            .iter()
            .map(|n| (distance(&wanted, &n.norm_id).min(distance(&wanted, &n.norm_label)), n))
            .collect();
        let limit = if len <= 4 { 1 } else { 2 };
        if let Some(best) = near.iter().map(|x| x.0).min().filter(|&d| d <= limit) {
            let hits: Vec<_> = near.iter().filter(|x| x.0 == best).map(|x| x.1).collect();
            return if hits.len() <= MAX_SUGGESTIONS { hits } else { Vec::new() };
        }
        if len < 3 {
            return Vec::new();
        }
        let hits: Vec<_> = self
            .names
            .iter()
            .filter(|n| starts_a_word(&n.norm_id, &wanted) || starts_a_word(&n.norm_label, &wanted))
            .collect();
        if hits.len() <= MAX_SUGGESTIONS { hits } else { Vec::new() }
    }
}

/// True when one of the words of `text` starts with `prefix` (both normalised).
fn starts_a_word(text: &str, prefix: &str) -> bool {
    text.split(' ').any(|w| w.starts_with(prefix)) || text.starts_with(prefix)
}

/// The form names are compared in: lower case, Italian accents folded (`à` = `a`), apostrophes,
/// hyphens and other punctuation turned into spaces, runs of spaces collapsed, no space at
/// either end. `"  Mobilità, traffico "` -> `"mobilita traffico"`, `"mobilita'"` -> `"mobilita"`.
pub fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        if ('\u{300}'..='\u{36f}').contains(&c) {
            // A combining accent (text in decomposed form): the letter before it stays.
            continue;
        }
        let c = fold_accent(c);
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ä' => 'a',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ò' | 'ó' | 'ô' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        _ => c,
    }
}

/// The edit distance between two strings, in characters: insertions, deletions, substitutions
/// and transpositions of two neighbours each count one (optimal string alignment).
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows of the table: two back (for transpositions), one back, this one.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (previous[j] + 1).min(current[j - 1] + 1).min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::{Names, distance, normalise};

    fn topics() -> Names<'static> {
        Names::new([
            ("tributi", "Tributi e pagamenti"),
            ("mobilita", "Mobilità, traffico e sosta"),
            ("polizia-municipale", "Polizia municipale, sanzioni e sicurezza"),
            ("ambiente", "Ambiente, rifiuti e verde pubblico"),
            ("rapporti-ente", "Accesso agli atti, trasparenza e rapporti con l'ente"),
            ("altro", "Altro / non classificabile"),
        ])
    }

    #[test]
    fn normalising_folds_case_accents_apostrophes_and_spaces() {
        assert_eq!(normalise("  Mobilità,  traffico e SOSTA "), "mobilita traffico e sosta");
        assert_eq!(normalise("mobilita'"), "mobilita");
        assert_eq!(normalise("mobilita\u{300}"), "mobilita", "decomposed accent");
        assert_eq!(normalise("rapporti con l’ente"), normalise("rapporti con l'ente"));
        assert_eq!(normalise("polizia-municipale"), "polizia municipale");
        assert_eq!(normalise(" \t "), "");
    }

    #[test]
    fn ids_and_labels_resolve_in_any_case_with_or_without_accents() {
        let t = topics();
        for input in [
            "tributi",
            "Tributi",
            "tributi ",
            " TRIBUTI",
            "Tributi e pagamenti",
            "TRIBUTI E PAGAMENTI",
            "tributi  e pagamenti",
        ] {
            assert_eq!(t.resolve(input), Some("tributi"), "{input:?}");
        }
        for input in ["mobilità", "mobilita", "Mobilità", "MOBILITA'", "mobilita, traffico e sosta"] {
            assert_eq!(t.resolve(input), Some("mobilita"), "{input:?}");
        }
        assert_eq!(t.resolve("Polizia municipale"), Some("polizia-municipale"));
        assert_eq!(t.resolve("Accesso agli atti, trasparenza e rapporti con l’ente"), Some("rapporti-ente"));
        assert_eq!(t.resolve("altro / non classificabile"), Some("altro"));
        for input in ["", "  ", "tribut", "parcheggi", "tributi pagamenti"] {
            assert_eq!(t.resolve(input), None, "{input:?}");
        }
    }

    #[test]
    fn near_misses_get_the_closest_names_and_far_ones_none() {
        let t = topics();
        let ids = |input: &str| t.suggest(input).iter().map(|n| n.id).collect::<Vec<_>>();
        assert_eq!(ids("tribbuti"), ["tributi"]);
        assert_eq!(ids("tirbuti"), ["tributi"], "a transposition is one edit");
        assert_eq!(ids("Tributi e pagamento"), ["tributi"]);
        assert_eq!(ids("mobilta"), ["mobilita"]);
        assert_eq!(ids("rifiuti"), ["ambiente"], "a word of the label");
        assert_eq!(ids("polizia"), ["polizia-municipale"]);
        assert_eq!(ids("altr"), ["altro"]);
        assert!(ids("parcheggi").is_empty());
        assert!(ids("xyz").is_empty());
        assert!(ids("").is_empty());
        assert!(ids(&"tributi ".repeat(50)).is_empty(), "a long text is no near miss");
    }

    #[test]
    fn edit_distance_counts_each_edit_once() {
        assert_eq!(distance("", ""), 0);
        assert_eq!(distance("abc", ""), 3);
        assert_eq!(distance("", "ab"), 2);
        assert_eq!(distance("tributi", "tributi"), 0);
        assert_eq!(distance("tribbuti", "tributi"), 1);
        assert_eq!(distance("tirbuti", "tributi"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("mobilità", "mobilita"), 1, "characters, not bytes");
    }
}
