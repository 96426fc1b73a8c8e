//! The review report: a JSON file staff read and fill in. Doubtful decisions first (low
//! confidence, rules vs model disagreement, no evidence, exclusions decided by a heuristic), then
//! a reproducible random sample of confident ones for quality control. Each item carries what a
//! clerk needs to judge it (redacted text when the store keeps snippets, sender domain, where to
//! find the message, the explanation) and empty `corrected_topic`, `tipologia`, `note` fields.
//! The format is versioned; its JSON Schema is `schemas/review-v1.schema.json`. [`names`]
//! matches the topics and tipologie staff write against the taxonomy; [`json_text`] finds lines
//! in the file's text for `learn`'s messages.

pub mod json_text;
pub mod names;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::classify::taxonomy::Taxonomy;
use crate::domain::{ReviewReason, Status};
use crate::store::{Location, ReviewRow};

/// Version of the review file.
pub const REVIEW_SCHEMA_VERSION: u32 = 1;

/// The review file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewFile {
    pub schema_version: u32,
    pub generated_at: String,
    /// Istruzioni per chi compila il file.
    pub istruzioni: String,
    pub taxonomy: String,
    /// Reviewer's name (filled by staff; `learn --reviewer` overrides).
    #[serde(default)]
    pub reviewer: Option<String>,
    /// The topics staff may use in `corrected_topic`.
    pub topics: Vec<TopicLabel>,
    pub items: Vec<ReviewItem>,
}

/// The top-level fields of [`ReviewFile`], as written.
pub const FILE_FIELDS: &[&str] =
    &["schema_version", "generated_at", "istruzioni", "taxonomy", "reviewer", "topics", "items"];

/// The fields of [`ReviewItem`], as written.
pub const ITEM_FIELDS: &[&str] = &[
    "id",
    "date",
    "channel",
    "testo",
    "sender_domain",
    "dove",
    "status",
    "topic",
    "label",
    "confidence",
    "exclusion",
    "motivo",
    "reasons",
    "top_topics",
    "rules",
    "model_terms",
    "corrected_topic",
    "tipologia",
    "note",
];

/// The fields staff fill in: text or null.
pub const STAFF_FIELDS: &[&str] = &["corrected_topic", "tipologia", "note"];

/// A topic id with its label.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicLabel {
    pub id: String,
    pub label: String,
}

/// A scored topic.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scored {
    pub topic: String,
    pub score: f64,
}

/// One message to review.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewItem {
    /// Stable id (the message's content key).
    pub id: String,
    pub date: Option<String>,
    pub channel: String,
    /// Subject and start of the text with personal data redacted (when the store keeps snippets).
    pub testo: Option<String>,
    pub sender_domain: Option<String>,
    /// Where to find the message in the mailbox or archive.
    pub dove: Option<String>,
    /// `classified` or `excluded`.
    pub status: String,
    pub topic: String,
    pub label: String,
    pub confidence: f64,
    pub exclusion: Option<String>,
    /// Why the item is in the report (Italian).
    pub motivo: String,
    pub reasons: Vec<String>,
    pub top_topics: Vec<Scored>,
    pub rules: Vec<String>,
    pub model_terms: Vec<String>,
    /// Filled by staff: the right topic, by id or label (the same as `topic` confirms it); null =
    /// not reviewed. `learn` stores the id.
    pub corrected_topic: Option<String>,
    /// Optional, filled by staff: request type.
    pub tipologia: Option<String>,
    /// Optional, filled by staff.
    pub note: Option<String>,
}

const ISTRUZIONI: &str = "Per ogni messaggio scrivete in corrected_topic il tema giusto: l'id (per esempio tributi) \
o il nome (Tributi e pagamenti) di un tema dell'elenco topics; maiuscole, accenti e spazi non contano. Se il tema \
assegnato e' giusto, ripetetelo: conta come conferma e serve a misurare l'accuratezza. Lasciate null i messaggi che \
non avete controllato. tipologia e note sono facoltativi. Non modificate gli altri campi. Usate un editor di testo \
semplice (Blocco note), non Word: le virgolette intorno a nomi e valori devono restare dritte. Poi: urpmail-staff learn \
questo-file.json sul server del Comune (oppure urpmail learn --config ... questo-file.json).";

fn motivo(r: &ReviewRow) -> (String, Vec<String>) {
    let reasons: Vec<String> = r.review_reasons.iter().map(|x| x.as_str().to_string()).collect();
    let m = if r.status == Status::Excluded {
        "escluso da una regola debole (solo il testo): e' davvero posta automatica?".to_string()
    } else if r.decided_by == "fallback" {
        "nessun indizio sufficiente: assegnato ad Altro".to_string()
    } else if r.review_reasons.contains(&ReviewReason::RulesModelDisagree) {
        "parole chiave e modello indicano temi diversi".to_string()
    } else if r.review {
        "confidenza bassa".to_string()
    } else {
        "campione di controllo (decisione sicura)".to_string()
    };
    (m, reasons)
}

fn dove(l: &Location) -> String {
    match l {
        Location::File { path, mbox_index: Some(i) } => format!("{} (messaggio n. {i})", path.display()),
        Location::File { path, mbox_index: None } => path.display().to_string(),
        Location::Sample { name } => format!("sample:{name}"),
        Location::Imap { account, mailbox, uidvalidity, uid } => {
            format!("account {account}, cartella {mailbox}, UID {uid} (UIDVALIDITY {uidvalidity})")
        }
    }
}

/// Builds an item.
pub fn item(r: &ReviewRow, taxonomy: &Taxonomy) -> ReviewItem {
    let (motivo, reasons) = motivo(r);
    let ex: serde_json::Value =
        r.explanation.as_deref().and_then(|e| serde_json::from_str(e).ok()).unwrap_or_default();
    let list = |key: &str, field: &str| -> Vec<String> {
        ex[key]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x[field].as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    ReviewItem {
        id: r.content_key.clone(),
        date: r.message_date.clone(),
        channel: r.channel.clone(),
        testo: r.snippet.clone(),
        sender_domain: r.sender_domain.clone(),
        dove: r.location.as_ref().map(dove),
        status: r.status.as_str().to_string(),
        topic: r.topic.clone(),
        label: taxonomy.find(&r.topic).map_or_else(|| r.topic.clone(), |t| taxonomy.topic(t).label.clone()),
        confidence: r.confidence,
        exclusion: r.exclusion.clone(),
        motivo,
        reasons,
        top_topics: ex["top"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| {
                        Some(Scored { topic: x["topic"].as_str()?.to_string(), score: x["score"].as_f64()? })
                    })
                    .collect()
            })
            .unwrap_or_default(),
        rules: ex["rules"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| Some(format!("{} -> {}", x["rule"].as_str()?, x["topic"].as_str()?)))
                    .collect()
            })
            .unwrap_or_default(),
        model_terms: list("terms", "term"),
        corrected_topic: None,
        tipologia: None,
        note: None,
    }
}

/// How much a reviewer's answer on this decision would teach the model, in 0..=2: the
/// uncertainty between the two best topics (1 minus their score margin), plus a half when rules
/// and model disagreed (one of them is wrong, whichever the answer) and a quarter when nothing
/// scored (the answer names a topic the model could not see). A weak exclusion teaches about
/// automatic mail, not topics: a fixed low value keeps it in the queue without crowding it.
pub fn information(r: &ReviewRow) -> f64 {
    if r.status == Status::Excluded {
        return 0.3;
    }
    let (first, second) = top_two(r);
    let margin = match (first, second) {
        (Some((_, a)), Some((_, b))) => (a - b).clamp(0.0, 1.0),
        (Some((_, a)), None) => a.clamp(0.0, 1.0),
        _ => 0.0,
    };
    let mut info = 1.0 - margin;
    if r.review_reasons.contains(&ReviewReason::RulesModelDisagree) {
        info += 0.5;
    }
    if r.decided_by == "fallback" || r.review_reasons.contains(&ReviewReason::NoEvidence) {
        info += 0.25;
    }
    info
}

/// A topic with its score in a stored explanation.
type TopicScore = (String, f64);

/// The two best topics of the stored explanation, with their scores.
fn top_two(r: &ReviewRow) -> (Option<TopicScore>, Option<TopicScore>) {
    let ex: serde_json::Value =
        r.explanation.as_deref().and_then(|e| serde_json::from_str(e).ok()).unwrap_or_default();
    let mut top = ex["top"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| Some((x["topic"].as_str()?.to_string(), x["score"].as_f64()?)));
    (top.next(), top.next())
}

/// A queue candidate: its information, topic, confusion pair (its two best topics, sorted).
type Candidate = (f64, String, (String, String), ReviewRow);

/// The doubtful decisions in the order that teaches most: greedily the highest
/// [`information`], discounted for every item already picked that shares its confusion (the
/// same two best topics) or its topic, so twenty items do not all teach the same thing and the
/// topics are covered. Deterministic: ties go by content key. Returns at most `n` rows.
pub fn by_information(rows: Vec<ReviewRow>, n: usize) -> Vec<ReviewRow> {
    let mut left: Vec<Candidate> = rows
        .into_iter()
        .map(|r| {
            let (a, b) = top_two(&r);
            let (a, b) = (a.map_or_else(|| r.topic.clone(), |x| x.0), b.map_or_else(String::new, |x| x.0));
            let pair = if a <= b { (a, b) } else { (b, a) };
            (information(&r), r.topic.clone(), pair, r)
        })
        .collect();
    left.sort_by(|x, y| x.3.content_key.cmp(&y.3.content_key));
    let mut pairs: std::collections::HashMap<(String, String), u32> = std::collections::HashMap::new();
    let mut topics: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(n.min(left.len()));
    while out.len() < n && !left.is_empty() {
        let value = |x: &Candidate| {
            let same_pair = f64::from(pairs.get(&x.2).copied().unwrap_or(0));
            let same_topic = f64::from(topics.get(&x.1).copied().unwrap_or(0));
            x.0 / (1.0 + same_pair + 0.5 * same_topic)
        };
        let mut best = 0;
        for i in 1..left.len() {
            // Strictly greater: the earlier content key wins a tie.
            if value(&left[i]) > value(&left[best]) {
                best = i;
            }
        }
        let (_, topic, pair, row) = left.remove(best);
        *pairs.entry(pair).or_insert(0) += 1;
        *topics.entry(topic).or_insert(0) += 1;
        out.push(row);
    }
    out
}

/// Picks `n` rows pseudo-randomly but reproducibly (the same seed gives the same sample).
pub fn sample(rows: Vec<ReviewRow>, n: usize, seed: &str) -> Vec<ReviewRow> {
    let mut keyed: Vec<([u8; 32], ReviewRow)> = rows
        .into_iter()
        .map(|r| {
            let mut h = Sha256::new();
            h.update(seed.as_bytes());
            h.update(r.content_key.as_bytes());
            (h.finalize().into(), r)
        })
        .collect();
    keyed.sort_by_key(|a| a.0);
    keyed.into_iter().take(n).map(|(_, r)| r).collect()
}

/// Stratified sample: up to `per_topic` rows of each topic.
pub fn stratified(rows: Vec<ReviewRow>, per_topic: usize, seed: &str) -> Vec<ReviewRow> {
    let mut by: std::collections::BTreeMap<String, Vec<ReviewRow>> = std::collections::BTreeMap::new();
    for r in rows {
        by.entry(r.topic.clone()).or_default().push(r);
    }
    by.into_values().flat_map(|v| sample(v, per_topic, seed)).collect()
}

/// The file around the items.
pub fn file(items: Vec<ReviewItem>, taxonomy: &Taxonomy, generated_at: String) -> ReviewFile {
    ReviewFile {
        schema_version: REVIEW_SCHEMA_VERSION,
        generated_at,
        istruzioni: ISTRUZIONI.into(),
        taxonomy: taxonomy.id.clone(),
        reviewer: None,
        topics: taxonomy
            .topics()
            .iter()
            .map(|t| TopicLabel { id: t.id.clone(), label: t.label.clone() })
            .collect(),
        items,
    }
}

/// 95% Wilson score interval for `k` successes in `n` trials.
pub fn wilson(k: u64, n: u64) -> Option<(f64, f64, f64)> {
    if n == 0 {
        return None;
    }
    let z = 1.959_963_984_540_054_f64;
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    Some((p, (centre - half).max(0.0), (centre + half).min(1.0)))
}

#[cfg(test)]
mod tests {
    use super::{FILE_FIELDS, ITEM_FIELDS, STAFF_FIELDS, by_information, file, information, item, wilson};
    use crate::classify::taxonomy::{Taxonomy, Topic};
    use crate::domain::{ReviewReason, Status};
    use crate::store::ReviewRow;

    /// A doubtful decision for `topic` whose two best topics scored `a` and `b`.
    fn row(key: &str, topic: &str, (t1, a): (&str, f64), (t2, b): (&str, f64)) -> ReviewRow {
        ReviewRow {
            id: 0,
            content_key: key.into(),
            message_date: None,
            channel: "email".into(),
            status: Status::Classified,
            topic: topic.into(),
            confidence: a,
            decided_by: "model".into(),
            review: true,
            review_reasons: vec![ReviewReason::LowConfidence],
            tipologia: None,
            exclusion: None,
            exclusion_strong: None,
            snippet: None,
            sender_domain: None,
            explanation: Some(format!(
                r#"{{"top":[{{"score":{a},"topic":"{t1}"}},{{"score":{b},"topic":"{t2}"}}]}}"#
            )),
            location: None,
            model_version: None,
        }
    }

    #[test]
    fn uncertain_and_disputed_decisions_teach_more() {
        let close = row("a", "tributi", ("tributi", 0.45), ("anagrafe", 0.40));
        let clear = row("b", "tributi", ("tributi", 0.80), ("anagrafe", 0.10));
        assert!(information(&close) > information(&clear));
        let mut disputed = clear.clone();
        disputed.review_reasons.push(ReviewReason::RulesModelDisagree);
        assert!((information(&disputed) - information(&clear) - 0.5).abs() < 1e-12);
        let mut excluded = close.clone();
        excluded.status = Status::Excluded;
        assert!((information(&excluded) - 0.3).abs() < 1e-12, "a fixed low value");
        assert!(information(&excluded) < information(&close));
    }

    #[test]
    fn the_queue_spreads_over_confusions_and_topics_and_is_deterministic() {
        // Three near-identical confusions tributi/anagrafe, slightly more uncertain than one
        // scuola/sociale and one mobilita/ambiente: the first three picks cover all three.
        let rows = vec![
            row("k1", "tributi", ("tributi", 0.40), ("anagrafe", 0.39)),
            row("k2", "tributi", ("tributi", 0.41), ("anagrafe", 0.39)),
            row("k3", "anagrafe", ("anagrafe", 0.40), ("tributi", 0.38)),
            row("k4", "scuola", ("scuola", 0.45), ("sociale", 0.35)),
            row("k5", "mobilita", ("mobilita", 0.50), ("ambiente", 0.30)),
        ];
        let picked: Vec<String> =
            by_information(rows.clone(), 3).into_iter().map(|r| r.content_key).collect();
        assert_eq!(picked[0], "k1", "the most uncertain first");
        assert!(picked.contains(&"k4".to_string()) && picked.contains(&"k5".to_string()), "{picked:?}");
        let mut reversed = rows.clone();
        reversed.reverse();
        let again: Vec<String> = by_information(reversed, 3).into_iter().map(|r| r.content_key).collect();
        assert_eq!(again, picked, "input order does not matter");
        assert_eq!(by_information(rows, 10).len(), 5);
    }

    /// The field lists `learn` checks a file against are the fields the report writes.
    #[test]
    fn the_field_lists_are_the_written_fields() {
        let taxonomy =
            Taxonomy::new("t-1".into(), vec![Topic { id: "tributi".into(), label: "Tributi".into() }], None);
        let it = item(&row("k", "tributi", ("tributi", 0.5), ("anagrafe", 0.4)), &taxonomy);
        let written = serde_json::to_value(&it).expect("json");
        let keys: Vec<&str> = written.as_object().expect("object").keys().map(String::as_str).collect();
        let mut expected = ITEM_FIELDS.to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected, "serde_json orders keys");
        assert!(STAFF_FIELDS.iter().all(|f| ITEM_FIELDS.contains(f)));
        let whole =
            serde_json::to_value(file(vec![it], &taxonomy, "2025-01-01T00:00:00Z".into())).expect("json");
        let keys: Vec<&str> = whole.as_object().expect("object").keys().map(String::as_str).collect();
        let mut expected = FILE_FIELDS.to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected);
    }

    #[test]
    fn wilson_interval_matches_known_values() {
        let (p, lo, hi) = wilson(8, 10).expect("interval");
        assert!((p - 0.8).abs() < 1e-12);
        assert!((lo - 0.4902).abs() < 1e-3 && (hi - 0.9433).abs() < 1e-3, "{lo} {hi}");
        let (_, lo, hi) = wilson(0, 5).expect("interval");
        assert!(lo == 0.0 && (hi - 0.4345).abs() < 1e-3, "{hi}");
        assert!(wilson(0, 0).is_none());
    }
}
