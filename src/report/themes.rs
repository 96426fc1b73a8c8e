//! The e-mail theme table ("temi trattati via e-mail"): topics with counts, share and
//! year-on-year change, excluded mail per reason (so the total can be defended), partial years,
//! the review backlog, an optional breakdown (month, channel, tipologia), a taxonomy mapping for
//! years of different taxonomy versions, and small-cell suppression for published tables.
//!
//! Built from the store's counts ([`crate::store::CountRow`]); rendered as text, Markdown, CSV,
//! JSON (`schema_version` 1) here, XLSX and charts in [`super::xlsx`] and [`super::chart`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::Serialize;

use crate::classify::taxonomy::Taxonomy;
use crate::domain::ExclusionReason;
use crate::domain::Status;
use crate::store::CountRow;

/// Version of the JSON theme table.
pub const THEMES_SCHEMA_VERSION: u32 = 1;

/// Italian month abbreviations.
pub const MESI: [&str; 12] =
    ["gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"];

/// Optional breakdown of each topic's count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Month,
    Channel,
    Tipologia,
}

impl By {
    fn heading(self) -> &'static str {
        match self {
            By::Month => "mese",
            By::Channel => "canale",
            By::Tipologia => "tipologia",
        }
    }
}

/// An old topic id → new topic id map, applied when comparing years of different taxonomies.
/// Read from its file by [`crate::config::mapping`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    pub name: String,
    pub map: BTreeMap<String, String>,
}

/// What to build.
#[derive(Debug, Clone)]
pub struct Query {
    pub year: i32,
    pub compare: Vec<i32>,
    pub by: Option<By>,
    /// Cells below this are suppressed (published tables); `None` = show everything.
    pub min_cell: Option<u64>,
    pub mapping: Option<Mapping>,
}

/// Where the numbers come from.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Provenance {
    pub source: String,
    pub taxonomy: String,
    pub rules_version: Option<String>,
    pub model_version: Option<String>,
}

/// One topic row.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub topic: String,
    pub label: String,
    /// `None` when suppressed as a small cell.
    pub count: Option<u64>,
    /// Share of the year's classified total, in [0, 1].
    pub share: Option<f64>,
    pub previous: BTreeMap<String, Option<u64>>,
    /// Absolute change against each compared year.
    pub change: BTreeMap<String, Option<i64>>,
    /// Relative change against each compared year (`None` when the year had none).
    pub change_pct: BTreeMap<String, Option<f64>>,
    /// Breakdown of the count (`--by`), keys in natural order.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub breakdown: BTreeMap<String, u64>,
    pub suppressed: bool,
}

/// A year with data only in part of its months.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Partial {
    pub year: i32,
    pub first_month: u8,
    pub last_month: u8,
}

/// The theme table.
#[derive(Debug, Clone, Serialize)]
pub struct ThemeTable {
    pub schema_version: u32,
    pub year: i32,
    pub compare: Vec<i32>,
    pub by: Option<String>,
    pub rows: Vec<Row>,
    pub total: u64,
    pub previous_totals: BTreeMap<String, u64>,
    pub excluded: BTreeMap<String, u64>,
    pub skipped: u64,
    /// Messages of the year flagged for review (the backlog) and their share.
    pub review: u64,
    pub review_share: f64,
    pub channels: BTreeMap<String, u64>,
    pub partial: Vec<Partial>,
    pub undated: u64,
    /// Small-cell threshold applied, if any.
    pub min_cell: Option<u64>,
    /// Taxonomy mapping applied to compared years, stated in every output.
    pub mapping: Option<String>,
    pub provenance: Provenance,
    /// Accuracy measured on reviewed decisions (`--with-accuracy`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<Accuracy>,
    /// Corrections applied to this year after its last export: (export time, count).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_since_export: Option<(String, u64)>,
}

/// Precision of decisions as staff reviewed them, with 95% Wilson intervals.
#[derive(Debug, Clone, Serialize)]
pub struct Accuracy {
    pub overall: Option<Estimate>,
    pub per_topic: BTreeMap<String, Estimate>,
}

/// A proportion with its interval.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Estimate {
    pub correct: u64,
    pub reviewed: u64,
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

impl Estimate {
    /// From k of n.
    pub fn of(k: u64, n: u64) -> Option<Estimate> {
        super::review::wilson(k, n).map(|(v, lo, hi)| Estimate {
            correct: k,
            reviewed: n,
            value: round4(v),
            low: round4(lo),
            high: round4(hi),
        })
    }
}

/// Accuracy from (predicted topic, was right) pairs.
pub fn accuracy(outcomes: &[(String, bool)]) -> Accuracy {
    let mut per: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (t, ok) in outcomes {
        let e = per.entry(t.clone()).or_insert((0, 0));
        e.0 += u64::from(*ok);
        e.1 += 1;
    }
    let k: u64 = per.values().map(|v| v.0).sum();
    let n: u64 = per.values().map(|v| v.1).sum();
    Accuracy {
        overall: Estimate::of(k, n),
        per_topic: per.into_iter().filter_map(|(t, (k, n))| Estimate::of(k, n).map(|e| (t, e))).collect(),
    }
}

/// Years with classified mail, ascending.
pub fn years(rows: &[CountRow]) -> Vec<i32> {
    rows.iter()
        .filter(|r| r.status == Status::Classified)
        .filter_map(|r| r.year)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Builds the table.
pub fn build(rows: &[CountRow], taxonomy: &Taxonomy, q: &Query, provenance: Provenance) -> ThemeTable {
    let map_topic = |year: i32, t: &str| -> String {
        match &q.mapping {
            Some(m) if year != q.year => m.map.get(t).cloned().unwrap_or_else(|| t.to_string()),
            _ => t.to_string(),
        }
    };
    let mut per_year: BTreeMap<i32, BTreeMap<String, u64>> = BTreeMap::new();
    let mut breakdown: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut excluded = BTreeMap::new();
    let mut channels = BTreeMap::new();
    let (mut skipped, mut review, mut undated) = (0, 0, 0);
    let mut months: BTreeMap<i32, (u8, u8)> = BTreeMap::new();
    for r in rows {
        let Some(y) = r.year else {
            undated += r.count;
            continue;
        };
        if let Some(m) = r.month {
            let e = months.entry(y).or_insert((m, m));
            e.0 = e.0.min(m);
            e.1 = e.1.max(m);
        }
        if y != q.year && !q.compare.contains(&y) {
            continue;
        }
        match r.status {
            Status::Classified => {
                let topic = map_topic(y, &r.key);
                *per_year.entry(y).or_default().entry(topic.clone()).or_insert(0) += r.count;
                if y == q.year {
                    review += r.review;
                    *channels.entry(r.channel.clone()).or_insert(0) += r.count;
                    if let Some(by) = q.by {
                        let k = match by {
                            By::Month => r.month.map_or("?".to_string(), |m| format!("{m:02}")),
                            By::Channel => r.channel.clone(),
                            By::Tipologia => r.tipologia.clone().unwrap_or_else(|| "altro".into()),
                        };
                        *breakdown.entry(topic).or_default().entry(k).or_insert(0) += r.count;
                    }
                }
            }
            Status::Excluded if y == q.year => *excluded.entry(r.key.clone()).or_insert(0) += r.count,
            Status::Skipped if y == q.year => skipped += r.count,
            Status::Excluded | Status::Skipped => {}
        }
    }
    let empty = BTreeMap::new();
    let cur = per_year.get(&q.year).unwrap_or(&empty);
    let total: u64 = cur.values().sum();
    // Topics: the taxonomy's order first, then ids it does not know (older taxonomies).
    let mut topics: Vec<String> = taxonomy.topics().iter().map(|t| t.id.clone()).collect();
    for counts in per_year.values() {
        for t in counts.keys() {
            if !topics.contains(t) {
                topics.push(t.clone());
            }
        }
    }
    let label = |id: &str| {
        taxonomy
            .find(id)
            .map_or_else(|| format!("{id} (fuori tassonomia)"), |t| taxonomy.topic(t).label.clone())
    };
    let small = |n: u64| q.min_cell.is_some_and(|m| n > 0 && n < m);
    let mut out_rows: Vec<Row> = topics
        .iter()
        .filter_map(|t| {
            let c = cur.get(t).copied().unwrap_or(0);
            let prev: BTreeMap<i32, u64> = q
                .compare
                .iter()
                .map(|y| (*y, per_year.get(y).and_then(|m| m.get(t)).copied().unwrap_or(0)))
                .collect();
            if c == 0 && prev.values().all(|p| *p == 0) {
                return None;
            }
            let suppressed = small(c) || prev.values().any(|p| small(*p));
            let hide = |n: u64| if suppressed { None } else { Some(n) };
            Some(Row {
                topic: t.clone(),
                label: label(t),
                count: hide(c),
                share: (!suppressed && total > 0).then(|| round4(c as f64 / total as f64)),
                previous: prev.iter().map(|(y, p)| (y.to_string(), hide(*p))).collect(),
                change: prev
                    .iter()
                    .map(|(y, p)| (y.to_string(), (!suppressed).then(|| c as i64 - *p as i64)))
                    .collect(),
                change_pct: prev
                    .iter()
                    .map(|(y, p)| {
                        (
                            y.to_string(),
                            (!suppressed && *p > 0).then(|| round4((c as f64 - *p as f64) / *p as f64)),
                        )
                    })
                    .collect(),
                breakdown: if suppressed {
                    BTreeMap::new()
                } else {
                    breakdown.get(t).cloned().unwrap_or_default()
                },
                suppressed,
            })
        })
        .collect();
    // Largest first, the residual topic last, as published tables do.
    let fallback = taxonomy.fallback().map(|f| taxonomy.topic(f).id.clone());
    out_rows.sort_by(|a, b| {
        (Some(&a.topic) == fallback.as_ref())
            .cmp(&(Some(&b.topic) == fallback.as_ref()))
            .then(b.count.unwrap_or(0).cmp(&a.count.unwrap_or(0)))
            .then(a.topic.cmp(&b.topic))
    });
    let partial = std::iter::once(q.year)
        .chain(q.compare.iter().copied())
        .filter_map(|y| months.get(&y).map(|(a, b)| (y, *a, *b)))
        .filter(|(_, a, b)| *a > 1 || *b < 12)
        .map(|(year, first_month, last_month)| Partial { year, first_month, last_month })
        .collect();
    ThemeTable {
        schema_version: THEMES_SCHEMA_VERSION,
        year: q.year,
        compare: q.compare.clone(),
        by: q.by.map(|b| b.heading().to_string()),
        rows: out_rows,
        total,
        previous_totals: q
            .compare
            .iter()
            .map(|y| (y.to_string(), per_year.get(y).map_or(0, |m| m.values().sum())))
            .collect(),
        excluded,
        skipped,
        review,
        review_share: if total > 0 { round4(review as f64 / total as f64) } else { 0.0 },
        channels,
        partial,
        undated,
        min_cell: q.min_cell,
        mapping: q.mapping.as_ref().map(|m| m.name.clone()),
        provenance,
        accuracy: None,
        changed_since_export: None,
    }
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// Italian percentage with one decimal and a comma.
pub fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0).replace('.', ",")
}

fn signed(n: i64) -> String {
    if n > 0 { format!("+{n}") } else { n.to_string() }
}

fn signed_pct(x: Option<f64>, count: u64) -> String {
    match x {
        Some(x) => {
            let s = format!("{:+.1}%", x * 100.0).replace('.', ",");
            if s == "+0,0%" || s == "-0,0%" { "0,0%".into() } else { s }
        }
        None if count > 0 => "nuovo".into(),
        None => "-".into(),
    }
}

fn cell(n: Option<u64>) -> String {
    n.map_or("<5".to_string(), |n| n.to_string())
}

/// The keys of the table's breakdown (`--by`), sorted: the order of their columns.
pub(crate) fn breakdown_keys(t: &ThemeTable) -> Vec<String> {
    t.rows.iter().flat_map(|r| r.breakdown.keys().cloned()).collect::<BTreeSet<_>>().into_iter().collect()
}

/// The table's lines as cells (header first): shared by text, Markdown and CSV.
pub fn grid(t: &ThemeTable) -> Vec<Vec<String>> {
    let mut head = vec!["Tema".to_string(), t.year.to_string(), "Quota".to_string()];
    for y in &t.compare {
        head.push(y.to_string());
        head.push(format!("Var. {y}"));
        head.push(format!("Var. % {y}"));
    }
    let keys = breakdown_keys(t);
    for k in &keys {
        head.push(breakdown_heading(t, k));
    }
    if t.accuracy.is_some() {
        head.push("Precisione (IC 95%)".into());
    }
    let acc_cell = |topic: &str| -> String {
        t.accuracy.as_ref().and_then(|a| a.per_topic.get(topic)).map_or("-".into(), |e| {
            format!("{} ({}-{}, n={})", pct(e.value), pct(e.low), pct(e.high), e.reviewed)
        })
    };
    let mut out = vec![head];
    for r in &t.rows {
        let mut line = vec![
            r.label.clone(),
            r.count.map_or(format!("<{}", t.min_cell.unwrap_or(5)), |c| c.to_string()),
            r.share.map_or("-".into(), pct),
        ];
        for y in &t.compare {
            let ys = y.to_string();
            let p = r.previous.get(&ys).copied().flatten();
            line.push(if r.suppressed { format!("<{}", t.min_cell.unwrap_or(5)) } else { cell(p) });
            line.push(r.change.get(&ys).copied().flatten().map_or("-".into(), signed));
            line.push(if r.suppressed {
                "-".into()
            } else {
                signed_pct(r.change_pct.get(&ys).copied().flatten(), r.count.unwrap_or(0))
            });
        }
        for k in &keys {
            line.push(r.breakdown.get(k).map_or("0".into(), |n| n.to_string()));
        }
        if t.accuracy.is_some() {
            line.push(acc_cell(&r.topic));
        }
        out.push(line);
    }
    let mut total = vec![
        "Totale messaggi classificati".to_string(),
        t.total.to_string(),
        if t.total > 0 { "100,0%".into() } else { "-".into() },
    ];
    for y in &t.compare {
        let p = t.previous_totals.get(&y.to_string()).copied().unwrap_or(0);
        total.push(p.to_string());
        total.push(signed(t.total as i64 - p as i64));
        total.push(signed_pct((p > 0).then(|| (t.total as f64 - p as f64) / p as f64), t.total));
    }
    for k in &keys {
        total.push(t.rows.iter().filter_map(|r| r.breakdown.get(k)).sum::<u64>().to_string());
    }
    if let Some(a) = &t.accuracy {
        total.push(a.overall.map_or("-".into(), |e| {
            format!("{} ({}-{}, n={})", pct(e.value), pct(e.low), pct(e.high), e.reviewed)
        }));
    }
    out.push(total);
    out
}

fn breakdown_heading(t: &ThemeTable, k: &str) -> String {
    match t.by.as_deref() {
        Some("mese") => k
            .parse::<usize>()
            .ok()
            .and_then(|m| MESI.get(m.wrapping_sub(1)))
            .map_or(k.to_string(), |m| m.to_string()),
        Some("canale") if k == "pec" => "PEC".into(),
        Some("canale") if k == "email" => "e-mail".into(),
        _ => k.to_string(),
    }
}

/// The notes under the table (exclusions, review backlog, partial years, provenance).
pub fn notes(t: &ThemeTable) -> Vec<String> {
    let mut n = Vec::new();
    let excluded: u64 = t.excluded.values().sum();
    n.push(format!("Esclusi dal conteggio nel {}: {excluded}", t.year));
    for r in ExclusionReason::ALL {
        if let Some(c) = t.excluded.get(r.as_str()) {
            n.push(format!("  {}: {c}", r.label_it()));
        }
    }
    if t.skipped > 0 {
        n.push(format!("  Messaggi illeggibili (scartati): {}", t.skipped));
    }
    n.push(format!("Messaggi ricevuti nel {}: {}", t.year, t.total + excluded + t.skipped));
    n.push(format!("Da rivedere: {} su {} ({})", t.review, t.total, pct(t.review_share)));
    let channels: Vec<String> = t
        .channels
        .iter()
        .map(|(c, k)| format!("{} {k}", if c == "pec" { "PEC" } else { "e-mail" }))
        .collect();
    if !channels.is_empty() {
        n.push(format!("Canale: {}", channels.join(", ")));
    }
    for p in &t.partial {
        n.push(format!(
            "Nota: il {} e' parziale (dati da {} a {}).",
            p.year,
            MESI[usize::from(p.first_month.clamp(1, 12) - 1)],
            MESI[usize::from(p.last_month.clamp(1, 12) - 1)]
        ));
    }
    if let Some(m) = t.min_cell {
        n.push(format!("Celle con meno di {m} messaggi non mostrate (\"<{m}\") per la riservatezza."));
    }
    if let Some(m) = &t.mapping {
        n.push(format!("Anni di confronto riclassificati con la corrispondenza {m}."));
    }
    if let Some((at, changed)) = &t.changed_since_export
        && *changed > 0
    {
        n.push(format!(
            "Attenzione: {changed} decisioni su messaggi del {} cambiate dopo l'ultima esportazione ({at}), da correzioni del personale o da una riclassificazione: i numeri differiscono da quelli esportati.",
            t.year
        ));
    }
    if t.accuracy.is_some() {
        n.push("Precisione: quota di decisioni confermate tra quelle riviste dal personale, con intervallo di confidenza al 95% (Wilson).".into());
    }
    if t.undated > 0 {
        n.push(format!("{} messaggi senza data attendibile non sono attribuiti ad alcun anno.", t.undated));
    }
    let p = &t.provenance;
    n.push(format!(
        "Fonte: {} - tassonomia {} - regole {} - modello {}",
        p.source,
        p.taxonomy,
        p.rules_version.as_deref().unwrap_or("nessuna"),
        p.model_version.as_deref().unwrap_or("nessuno")
    ));
    n
}

/// The table's title, the same in every output format.
pub(crate) fn title(t: &ThemeTable) -> String {
    let cmp = if t.compare.is_empty() {
        String::new()
    } else {
        format!(
            " (confronto con il {})",
            t.compare.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        )
    };
    format!("Temi trattati via e-mail - anno {}{cmp}", t.year)
}

/// Plain-text table for a terminal.
pub fn to_text(t: &ThemeTable) -> String {
    let g = grid(t);
    let widths: Vec<usize> =
        (0..g[0].len()).map(|i| g.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    let line_w: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
    let mut s = String::new();
    let _ = writeln!(s, "{}\n", title(t));
    for (i, row) in g.iter().enumerate() {
        if i == g.len() - 1 || i == 1 {
            let _ = writeln!(s, "{}", "-".repeat(line_w));
        }
        let cells: Vec<String> =
            row.iter()
                .enumerate()
                .map(|(j, c)| {
                    if j == 0 { format!("{c:<w$}", w = widths[0]) } else { format!("{c:>w$}", w = widths[j]) }
                })
                .collect();
        let _ = writeln!(s, "{}", cells.join("  ").trim_end());
    }
    let _ = writeln!(s);
    for n in notes(t) {
        let _ = writeln!(s, "{n}");
    }
    s
}

/// Markdown table (for reports and wikis).
pub fn to_markdown(t: &ThemeTable) -> String {
    let g = grid(t);
    let mut s = format!("### {}\n\n", title(t));
    for (i, row) in g.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(j, c)| if i == g.len() - 1 && j == 0 { format!("**{c}**") } else { c.replace('|', "\\|") })
            .collect();
        let _ = writeln!(s, "| {} |", cells.join(" | "));
        if i == 0 {
            let align: Vec<&str> = (0..row.len()).map(|j| if j == 0 { "---" } else { "---:" }).collect();
            let _ = writeln!(s, "| {} |", align.join(" | "));
        }
    }
    s.push('\n');
    for n in notes(t) {
        let _ = writeln!(s, "{}  ", n.trim_start());
    }
    s
}

/// CSV (comma-separated, RFC 4180 quoting, UTF-8).
pub fn to_csv(t: &ThemeTable) -> String {
    let quote = |c: &str| {
        if c.contains([',', '"', '\n']) { format!("\"{}\"", c.replace('"', "\"\"")) } else { c.to_string() }
    };
    let mut s = String::new();
    for row in grid(t) {
        let _ = writeln!(s, "{}", row.iter().map(|c| quote(c)).collect::<Vec<_>>().join(","));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::taxonomy::Topic;

    fn tax() -> Taxonomy {
        Taxonomy::new(
            "t".into(),
            vec![
                Topic { id: "a".into(), label: "Alfa".into() },
                Topic { id: "b".into(), label: "Beta".into() },
                Topic { id: "z".into(), label: "Altro".into() },
            ],
            Some("z"),
        )
    }

    fn row(year: i32, month: u8, status: &str, key: &str, count: u64) -> CountRow {
        CountRow {
            year: Some(year),
            month: Some(month),
            channel: "email".into(),
            status: Status::parse(status).expect("a test status"),
            key: key.into(),
            count,
            review: u64::from(key == "a"),
            tipologia: Some("informazione".into()),
        }
    }

    fn rows() -> Vec<CountRow> {
        vec![
            row(2024, 3, "classified", "a", 4),
            row(2024, 12, "classified", "old", 6),
            row(2025, 1, "classified", "a", 5),
            row(2025, 12, "classified", "b", 12),
            row(2025, 6, "classified", "z", 1),
            row(2025, 6, "excluded", "bulk", 2),
        ]
    }

    #[test]
    fn year_on_year_with_mapping_and_partial_years() {
        let q = Query {
            year: 2025,
            compare: vec![2024],
            by: None,
            min_cell: None,
            mapping: Some(Mapping {
                name: "m.toml".into(),
                map: [("old".to_string(), "b".to_string())].into(),
            }),
        };
        let t = build(&rows(), &tax(), &q, Provenance::default());
        assert_eq!(t.total, 18);
        assert_eq!(t.rows[0].topic, "b");
        assert_eq!(t.rows[0].previous["2024"], Some(6), "old id mapped to b");
        assert_eq!(t.rows[0].change_pct["2024"], Some(1.0));
        assert_eq!(t.rows.last().map(|r| r.topic.as_str()), Some("z"), "residual last");
        assert_eq!(t.partial, vec![Partial { year: 2024, first_month: 3, last_month: 12 }]);
        assert_eq!(t.excluded["bulk"], 2);
        let text = to_text(&t);
        assert!(
            text.contains("Beta") && text.contains("+100,0%") && text.contains("corrispondenza m.toml"),
            "{text}"
        );
        assert!(text.contains("il 2024 e' parziale (dati da mar a dic)"), "{text}");
        let csv = to_csv(&t);
        assert!(csv.starts_with("Tema,2025,Quota,2024,Var. 2024,Var. % 2024\n"), "{csv}");
        let md = to_markdown(&t);
        assert!(md.contains("| **Totale messaggi classificati** | 18 |"), "{md}");
    }

    #[test]
    fn small_cells_are_suppressed_for_publication() {
        let q =
            Query { year: 2025, compare: vec![2024], by: Some(By::Month), min_cell: Some(5), mapping: None };
        let t = build(&rows(), &tax(), &q, Provenance::default());
        let a = t.rows.iter().find(|r| r.topic == "a").expect("a");
        assert!(a.suppressed && a.count.is_none(), "4 in 2024 is below 5");
        let z = t.rows.iter().find(|r| r.topic == "z").expect("z");
        assert!(z.suppressed);
        let b = t.rows.iter().find(|r| r.topic == "b").expect("b");
        assert_eq!(b.count, Some(12));
        assert_eq!(b.breakdown["12"], 12);
        let text = to_text(&t);
        assert!(text.contains("<5") && text.contains("non mostrate"), "{text}");
        assert!(!to_csv(&t).contains(",4,"), "no small number leaks");
    }
}
