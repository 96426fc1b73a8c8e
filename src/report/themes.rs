//! The e-mail theme table: topics with counts, share and year-on-year change, excluded mail per
//! reason (so the total can be defended), and the share flagged for review.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::classify::taxonomy::{Taxonomy, TopicId};
use crate::domain::{Channel, ExclusionReason};

/// Counts of one calendar year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YearCounts {
    pub by_topic: BTreeMap<TopicId, u64>,
    pub excluded: BTreeMap<ExclusionReason, u64>,
    pub by_channel: BTreeMap<Channel, u64>,
    pub review: u64,
    pub skipped: u64,
    /// First and last month (1-12) with any message.
    pub months: Option<(u8, u8)>,
}

impl YearCounts {
    /// Classified (counted) messages.
    pub fn classified(&self) -> u64 {
        self.by_topic.values().sum()
    }

    /// Records a month with data.
    pub fn saw_month(&mut self, m: u8) {
        self.months = Some(match self.months {
            Some((a, b)) => (a.min(m), b.max(m)),
            None => (m, m),
        });
    }
}

/// Counts per year.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub years: BTreeMap<i32, YearCounts>,
    /// Messages without a plausible date (not in any year).
    pub undated: u64,
}

/// Facts printed under the table so every number can be traced.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    pub source: String,
    pub taxonomy: String,
    pub rules_version: Option<String>,
    pub model_version: Option<String>,
}

const MESI: [&str; 12] = ["gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"];

/// Renders the table for `year` compared with `previous` as plain text (Italian).
pub fn render_text(
    taxonomy: &Taxonomy,
    tally: &Tally,
    year: i32,
    previous: Option<i32>,
    prov: &Provenance,
) -> String {
    let empty = YearCounts::default();
    let cur = tally.years.get(&year).unwrap_or(&empty);
    let prev = previous.map(|p| tally.years.get(&p).unwrap_or(&empty));
    let total = cur.classified();
    let mut rows: Vec<(TopicId, u64, Option<u64>)> = taxonomy
        .topics()
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let t = TopicId(i as u16);
            (
                t,
                cur.by_topic.get(&t).copied().unwrap_or(0),
                prev.map(|p| p.by_topic.get(&t).copied().unwrap_or(0)),
            )
        })
        .filter(|(_, c, p)| *c > 0 || p.is_some_and(|p| p > 0))
        .collect();
    // Largest first; the residual topic last, as published tables do.
    let fallback = taxonomy.fallback();
    rows.sort_by(|a, b| {
        (Some(a.0) == fallback).cmp(&(Some(b.0) == fallback)).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0))
    });

    let label_w = rows.iter().map(|r| taxonomy.topic(r.0).label.chars().count()).max().unwrap_or(10).max(30);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Temi trattati via e-mail - anno {year}{}",
        previous.map(|p| format!(" (confronto con il {p})")).unwrap_or_default()
    );
    let _ = writeln!(s);
    let head_prev = previous.map(|p| format!("{:>8} {:>8} {:>8}", p, "var.", "var. %")).unwrap_or_default();
    let _ = writeln!(s, "{:<label_w$} {:>8} {:>7} {head_prev}", "Tema", year, "quota");
    let _ = writeln!(s, "{}", "-".repeat(label_w + 17 + if previous.is_some() { 27 } else { 0 }));
    for (t, c, p) in &rows {
        let _ = write!(s, "{:<label_w$} {:>8} {:>7}", taxonomy.topic(*t).label, c, pct(*c, total));
        if let Some(p) = p {
            let _ = write!(s, " {:>8} {:>8} {:>8}", p, delta(*c, *p), delta_pct(*c, *p));
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s, "{}", "-".repeat(label_w + 17 + if previous.is_some() { 27 } else { 0 }));
    let _ = write!(
        s,
        "{:<label_w$} {:>8} {:>7}",
        "Totale messaggi classificati",
        total,
        if total > 0 { "100,0%" } else { "-" }
    );
    if let Some(p) = prev {
        let pt = p.classified();
        let _ = write!(s, " {:>8} {:>8} {:>8}", pt, delta(total, pt), delta_pct(total, pt));
    }
    let _ = writeln!(s);
    let _ = writeln!(s);
    let excluded: u64 = cur.excluded.values().sum();
    let _ = writeln!(s, "Esclusi dal conteggio nel {year}: {excluded}");
    for r in ExclusionReason::ALL {
        let n = cur.excluded.get(&r).copied().unwrap_or(0);
        if n > 0 {
            let _ = writeln!(s, "  {:<40} {:>6}", r.label_it(), n);
        }
    }
    if cur.skipped > 0 {
        let _ = writeln!(s, "  {:<40} {:>6}", "Messaggi illeggibili (scartati)", cur.skipped);
    }
    let _ = writeln!(s, "Messaggi ricevuti nel {year}: {}", total + excluded + cur.skipped);
    let _ = writeln!(s, "Da rivedere: {} su {} ({})", cur.review, total, pct(cur.review, total));
    let channels: Vec<String> = cur
        .by_channel
        .iter()
        .map(|(c, n)| format!("{} {n}", if *c == Channel::Pec { "PEC" } else { "e-mail" }))
        .collect();
    if !channels.is_empty() {
        let _ = writeln!(s, "Canale: {}", channels.join(", "));
    }
    for (y, c) in [(Some(year), Some(cur)), (previous, prev)] {
        if let (Some(y), Some(c)) = (y, c)
            && let Some((a, b)) = c.months
            && (a > 1 || b < 12)
        {
            let _ = writeln!(
                s,
                "Nota: il {y} e' parziale (dati da {} a {}).",
                MESI[usize::from(a - 1)],
                MESI[usize::from(b - 1)]
            );
        }
    }
    if tally.undated > 0 {
        let _ = writeln!(
            s,
            "Nota: {} messaggi senza data attendibile non sono attribuiti ad alcun anno.",
            tally.undated
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Fonte: {} - tassonomia {} - regole {} - modello {}",
        prov.source,
        prov.taxonomy,
        prov.rules_version.as_deref().unwrap_or("nessuna"),
        prov.model_version.as_deref().unwrap_or("nessuno")
    );
    s
}

/// Italian percentage with one decimal and a comma.
pub fn pct(n: u64, total: u64) -> String {
    if total == 0 {
        return "-".into();
    }
    format!("{:.1}%", n as f64 * 100.0 / total as f64).replace('.', ",")
}

fn delta(c: u64, p: u64) -> String {
    let d = c as i64 - p as i64;
    if d > 0 { format!("+{d}") } else { d.to_string() }
}

fn delta_pct(c: u64, p: u64) -> String {
    if p == 0 {
        return if c == 0 { "-".into() } else { "nuovo".into() };
    }
    let d = (c as f64 - p as f64) * 100.0 / p as f64;
    let s = format!("{d:+.1}%").replace('.', ",");
    if s == "+0,0%" || s == "-0,0%" { "0,0%".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::taxonomy::Topic;

    #[test]
    fn renders_year_on_year() {
        let tax = Taxonomy::new(
            "t".into(),
            vec![
                Topic { id: "a".into(), label: "Alfa".into() },
                Topic { id: "z".into(), label: "Altro".into() },
            ],
            Some("z"),
        );
        let mut tally = Tally::default();
        let y24 = tally.years.entry(2024).or_default();
        y24.by_topic.insert(TopicId(0), 4);
        y24.saw_month(3);
        y24.saw_month(12);
        let y25 = tally.years.entry(2025).or_default();
        y25.by_topic.insert(TopicId(0), 5);
        y25.by_topic.insert(TopicId(1), 1);
        y25.excluded.insert(ExclusionReason::Bulk, 2);
        y25.review = 1;
        y25.saw_month(1);
        y25.saw_month(12);
        let s = render_text(&tax, &tally, 2025, Some(2024), &Provenance::default());
        assert!(s.contains("Alfa"), "{s}");
        let alfa = s.lines().find(|l| l.starts_with("Alfa")).expect("row");
        assert!(alfa.contains("83,3%") && alfa.contains("+1") && alfa.contains("+25,0%"), "{alfa}");
        let altro = s.lines().find(|l| l.starts_with("Altro")).expect("row");
        assert!(altro.contains("nuovo"), "{altro}");
        assert!(s.contains("Newsletter e posta massiva"));
        assert!(s.contains("il 2024 e' parziale (dati da mar a dic)"), "{s}");
        assert!(s.contains("Da rivedere: 1 su 6 (16,7%)"), "{s}");
    }
}
