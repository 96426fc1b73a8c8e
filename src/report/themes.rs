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

use super::suppress::{CellId, Hidden, Suppressor};

/// Version of the JSON theme table.
pub const THEMES_SCHEMA_VERSION: u32 = 2;

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
    /// The ente whose mail it is, when the store records one: printed in the title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ente: Option<String>,
    pub source: String,
    pub taxonomy: String,
    pub rules_version: Option<String>,
    pub model_version: Option<String>,
}

/// A count as the table shows it: the number, or hidden for publication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Shown(u64),
    /// Below the publication threshold (the threshold): printed `<5`.
    Small(u64),
    /// Hidden so that a small cell cannot be derived from a total: printed `*`.
    Secondary,
}

impl Count {
    /// The number, when it is shown.
    pub fn value(self) -> Option<u64> {
        match self {
            Count::Shown(n) => Some(n),
            Count::Small(_) | Count::Secondary => None,
        }
    }

    /// As printed: `12`, `<5` or `*`.
    pub fn text(self) -> String {
        match self {
            Count::Shown(n) => n.to_string(),
            Count::Small(m) => format!("<{m}"),
            Count::Secondary => "*".into(),
        }
    }
}

/// JSON: a number when shown, else the text printed in its place (`"<5"`, `"*"`).
impl Serialize for Count {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Count::Shown(n) => s.serialize_u64(*n),
            _ => s.serialize_str(&self.text()),
        }
    }
}

/// One topic row.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub topic: String,
    pub label: String,
    /// `None` when the table's year has no data at all.
    pub count: Option<Count>,
    /// Share of the year's classified total, in [0, 1] (`None` when either is hidden).
    pub share: Option<f64>,
    /// Each compared year's count (`None`: that year has no data).
    pub previous: BTreeMap<String, Option<Count>>,
    /// Absolute change against each compared year (`None` when either side is hidden or missing).
    pub change: BTreeMap<String, Option<i64>>,
    /// Relative change against each compared year (`None` also when the year had none).
    pub change_pct: BTreeMap<String, Option<f64>>,
    /// Breakdown of the count (`--by`), keys in natural order, every key of the table.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub breakdown: BTreeMap<String, Count>,
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
    /// Classified messages of the year (`None`: the year has no data).
    pub total: Option<Count>,
    pub previous_totals: BTreeMap<String, Option<Count>>,
    /// The breakdown's column totals (`--by`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub breakdown_totals: BTreeMap<String, Count>,
    pub excluded: BTreeMap<String, Count>,
    pub excluded_total: Count,
    pub skipped: Count,
    /// Every message of the year: classified, excluded and skipped.
    pub received: Count,
    /// Messages of the year flagged for review (the backlog) and their share.
    pub review: Count,
    pub review_share: Option<f64>,
    pub channels: BTreeMap<String, Count>,
    pub partial: Vec<Partial>,
    /// The table's year and compared years of which nothing at all was recorded.
    pub no_data: Vec<i32>,
    pub undated: Count,
    /// Small-cell threshold applied, if any.
    pub min_cell: Option<u64>,
    /// Whether cells were hidden so that small ones cannot be derived from totals.
    pub secondary_suppression: bool,
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

/// The exact numbers of a table, before publication.
#[derive(Default)]
struct Exact {
    per_year: BTreeMap<i32, BTreeMap<String, u64>>,
    breakdown: BTreeMap<String, BTreeMap<String, u64>>,
    excluded: BTreeMap<String, u64>,
    channels: BTreeMap<String, u64>,
    skipped: u64,
    review: u64,
    undated: u64,
    months: BTreeMap<i32, (u8, u8)>,
    /// Years with any stored message (classified, excluded or skipped).
    with_data: BTreeSet<i32>,
}

impl Exact {
    fn collect(rows: &[CountRow], q: &Query) -> Exact {
        let map_topic = |year: i32, t: &str| -> String {
            match &q.mapping {
                Some(m) if year != q.year => m.map.get(t).cloned().unwrap_or_else(|| t.to_string()),
                _ => t.to_string(),
            }
        };
        let mut e = Exact::default();
        for r in rows {
            let Some(y) = r.year else {
                e.undated += r.count;
                continue;
            };
            e.with_data.insert(y);
            if let Some(m) = r.month {
                let span = e.months.entry(y).or_insert((m, m));
                span.0 = span.0.min(m);
                span.1 = span.1.max(m);
            }
            if y != q.year && !q.compare.contains(&y) {
                continue;
            }
            match r.status {
                Status::Classified => {
                    let topic = map_topic(y, &r.key);
                    *e.per_year.entry(y).or_default().entry(topic.clone()).or_insert(0) += r.count;
                    if y == q.year {
                        e.review += r.review;
                        *e.channels.entry(r.channel.clone()).or_insert(0) += r.count;
                        if let Some(by) = q.by {
                            let k = match by {
                                By::Month => r.month.map_or("?".to_string(), |m| format!("{m:02}")),
                                By::Channel => r.channel.clone(),
                                By::Tipologia => r.tipologia.clone().unwrap_or_else(|| "altro".into()),
                            };
                            *e.breakdown.entry(topic).or_default().entry(k).or_insert(0) += r.count;
                        }
                    }
                }
                Status::Excluded if y == q.year => *e.excluded.entry(r.key.clone()).or_insert(0) += r.count,
                Status::Skipped if y == q.year => e.skipped += r.count,
                Status::Excluded | Status::Skipped => {}
            }
        }
        e
    }

    fn count(&self, year: i32, topic: &str) -> u64 {
        self.per_year.get(&year).and_then(|m| m.get(topic)).copied().unwrap_or(0)
    }

    fn total(&self, year: i32) -> u64 {
        self.per_year.get(&year).map_or(0, |m| m.values().sum())
    }

    /// Excluded messages of the table's year.
    fn excluded_total(&self) -> u64 {
        self.excluded.values().sum()
    }

    /// Every message of `year` the table counts: classified, excluded and skipped (the
    /// exclusions and skips are collected for the table's year only).
    fn received(&self, year: i32) -> u64 {
        self.total(year) + self.excluded_total() + self.skipped
    }

    /// The table's year's count in one breakdown column (`--by`).
    fn column_total(&self, key: &str) -> u64 {
        self.breakdown.values().filter_map(|b| b.get(key)).sum()
    }
}

/// The cells of one topic row in the suppressor.
struct RowCells {
    topic: String,
    count: Option<CellId>,
    previous: BTreeMap<i32, Option<CellId>>,
    breakdown: BTreeMap<String, CellId>,
}

/// The suppressor's cells of a table: one per published count, grouped where they add up to a
/// total (a column and its total, a topic's breakdown and its count, ...).
struct Cells {
    rows: Vec<RowCells>,
    total: Option<CellId>,
    previous_totals: BTreeMap<i32, Option<CellId>>,
    breakdown_totals: BTreeMap<String, CellId>,
    channels: BTreeMap<String, CellId>,
    excluded: BTreeMap<String, CellId>,
    excluded_total: CellId,
    skipped: CellId,
    received: CellId,
    review: CellId,
    undated: CellId,
}

impl Cells {
    /// Registers every count of the table and its groups in `s`.
    fn register(e: &Exact, topics: &[String], keys: &[String], q: &Query, s: &mut Suppressor) -> Cells {
        let has_data = |y: i32| e.with_data.contains(&y);
        let cell_if = |s: &mut Suppressor, y: i32, v: u64| has_data(y).then(|| s.cell(v));
        let cells: Vec<RowCells> = topics
            .iter()
            .map(|t| RowCells {
                topic: t.clone(),
                count: cell_if(s, q.year, e.count(q.year, t)),
                previous: q.compare.iter().map(|y| (*y, cell_if(s, *y, e.count(*y, t)))).collect(),
                breakdown: keys
                    .iter()
                    .map(|k| {
                        (k.clone(), s.cell(e.breakdown.get(t).and_then(|b| b.get(k)).copied().unwrap_or(0)))
                    })
                    .collect(),
            })
            .collect();
        let total = has_data(q.year).then(|| s.total(e.total(q.year)));
        let previous_totals: BTreeMap<i32, Option<CellId>> =
            q.compare.iter().map(|y| (*y, has_data(*y).then(|| s.total(e.total(*y))))).collect();
        let breakdown_totals: BTreeMap<String, CellId> =
            keys.iter().map(|k| (k.clone(), s.total(e.column_total(k)))).collect();
        if let Some(total) = total {
            let column: Vec<CellId> = cells.iter().filter_map(|r| r.count).collect();
            s.group(&column, total);
            if !keys.is_empty() {
                s.group(&breakdown_totals.values().copied().collect::<Vec<_>>(), total);
            }
        }
        for (y, t) in &previous_totals {
            if let Some(t) = t {
                let column: Vec<CellId> =
                    cells.iter().filter_map(|r| r.previous.get(y).copied().flatten()).collect();
                s.group(&column, *t);
            }
        }
        for r in &cells {
            if let (Some(c), false) = (r.count, r.breakdown.is_empty()) {
                s.group(&r.breakdown.values().copied().collect::<Vec<_>>(), c);
            }
        }
        for (k, t) in &breakdown_totals {
            let column: Vec<CellId> = cells.iter().filter_map(|r| r.breakdown.get(k).copied()).collect();
            s.group(&column, *t);
        }
        // The notes' numbers: channels (the breakdown's totals when broken down by channel),
        // exclusions, the year's received mail.
        let channels: BTreeMap<String, CellId> = if q.by == Some(By::Channel) {
            breakdown_totals.clone()
        } else {
            let ch: BTreeMap<String, CellId> =
                e.channels.iter().map(|(c, n)| (c.clone(), s.cell(*n))).collect();
            if let Some(total) = total {
                s.group(&ch.values().copied().collect::<Vec<_>>(), total);
            }
            ch
        };
        let excluded: BTreeMap<String, CellId> =
            e.excluded.iter().map(|(k, n)| (k.clone(), s.cell(*n))).collect();
        let excluded_total = s.total(e.excluded_total());
        s.group(&excluded.values().copied().collect::<Vec<_>>(), excluded_total);
        let skipped = s.cell(e.skipped);
        let received = s.total(e.received(q.year));
        let mut parts = vec![excluded_total, skipped];
        parts.extend(total);
        s.group(&parts, received);
        let review = s.cell(e.review);
        let undated = s.cell(e.undated);
        Cells {
            rows: cells,
            total,
            previous_totals,
            breakdown_totals,
            channels,
            excluded,
            excluded_total,
            skipped,
            received,
            review,
            undated,
        }
    }
}

/// Builds the table; with `q.min_cell`, every count is published with small-cell suppression
/// (the `report::suppress` module): the table holds no hidden number.
pub fn build(rows: &[CountRow], taxonomy: &Taxonomy, q: &Query, provenance: Provenance) -> ThemeTable {
    let e = Exact::collect(rows, q);
    let has_data = |y: i32| e.with_data.contains(&y);
    // Topics: the taxonomy's order first, then ids it does not know (older taxonomies); only
    // those with a message in one of the years.
    let mut topics: Vec<String> = taxonomy.topics().iter().map(|t| t.id.clone()).collect();
    for counts in e.per_year.values() {
        for t in counts.keys() {
            if !topics.contains(t) {
                topics.push(t.clone());
            }
        }
    }
    topics.retain(|t| std::iter::once(&q.year).chain(&q.compare).any(|y| e.count(*y, t) > 0));
    let keys: Vec<String> =
        e.breakdown.values().flat_map(|m| m.keys().cloned()).collect::<BTreeSet<_>>().into_iter().collect();

    // Every published number is a cell; cells that add up to a total form a group.
    let mut s = Suppressor::default();
    let c = Cells::register(&e, &topics, &keys, q, &mut s);
    if let Some(m) = q.min_cell {
        s.run(m);
    }

    let m = q.min_cell.unwrap_or(5);
    let publish = |id: CellId, v: u64| match s.hidden(id) {
        None => Count::Shown(v),
        Some(Hidden::Primary) => Count::Small(m),
        Some(Hidden::Secondary) => Count::Secondary,
    };
    let total_count = c.total.map(|id| publish(id, e.total(q.year)));
    let label = |id: &str| {
        taxonomy
            .find(id)
            .map_or_else(|| format!("{id} (fuori tassonomia)"), |t| taxonomy.topic(t).label.clone())
    };
    let mut out_rows: Vec<Row> = c
        .rows
        .iter()
        .map(|r| {
            let count = r.count.map(|id| publish(id, e.count(q.year, &r.topic)));
            let previous: BTreeMap<i32, Option<Count>> = r
                .previous
                .iter()
                .map(|(y, id)| (*y, id.map(|id| publish(id, e.count(*y, &r.topic)))))
                .collect();
            let shown_pair =
                |y: &i32| match (count.and_then(Count::value), previous[y].and_then(Count::value)) {
                    (Some(c), Some(p)) => Some((c, p)),
                    _ => None,
                };
            Row {
                topic: r.topic.clone(),
                label: label(&r.topic),
                share: match (count.and_then(Count::value), total_count.and_then(Count::value)) {
                    (Some(c), Some(t)) if t > 0 => Some(round4(c as f64 / t as f64)),
                    _ => None,
                },
                change: previous
                    .keys()
                    .map(|y| (y.to_string(), shown_pair(y).map(|(c, p)| c as i64 - p as i64)))
                    .collect(),
                change_pct: previous
                    .keys()
                    .map(|y| {
                        let pct = shown_pair(y)
                            .filter(|(_, p)| *p > 0)
                            .map(|(c, p)| round4((c as f64 - p as f64) / p as f64));
                        (y.to_string(), pct)
                    })
                    .collect(),
                breakdown: r
                    .breakdown
                    .iter()
                    .map(|(k, id)| {
                        let v = e.breakdown.get(&r.topic).and_then(|b| b.get(k)).copied().unwrap_or(0);
                        (k.clone(), publish(*id, v))
                    })
                    .collect(),
                previous: previous.into_iter().map(|(y, c)| (y.to_string(), c)).collect(),
                count,
            }
        })
        .collect();
    // Largest first, the residual topic last, as published tables do. Hidden counts are ordered
    // by topic after the shown ones: their place must not tell their size.
    let fallback = taxonomy.fallback().map(|f| taxonomy.topic(f).id.clone());
    let shown = |r: &Row| r.count.and_then(Count::value);
    out_rows.sort_by(|a, b| {
        (Some(&a.topic) == fallback.as_ref())
            .cmp(&(Some(&b.topic) == fallback.as_ref()))
            .then(shown(a).is_none().cmp(&shown(b).is_none()))
            .then(shown(b).unwrap_or(0).cmp(&shown(a).unwrap_or(0)))
            .then(a.topic.cmp(&b.topic))
    });
    let partial = std::iter::once(q.year)
        .chain(q.compare.iter().copied())
        .filter_map(|y| e.months.get(&y).map(|(a, b)| (y, *a, *b)))
        .filter(|(_, a, b)| *a > 1 || *b < 12)
        .map(|(year, first_month, last_month)| Partial { year, first_month, last_month })
        .collect();
    let review_count = publish(c.review, e.review);
    ThemeTable {
        schema_version: THEMES_SCHEMA_VERSION,
        year: q.year,
        compare: q.compare.clone(),
        by: q.by.map(|b| b.heading().to_string()),
        rows: out_rows,
        total: total_count,
        previous_totals: c
            .previous_totals
            .iter()
            .map(|(y, id)| (y.to_string(), id.map(|id| publish(id, e.total(*y)))))
            .collect(),
        breakdown_totals: c
            .breakdown_totals
            .iter()
            .map(|(k, id)| (k.clone(), publish(*id, e.column_total(k))))
            .collect(),
        excluded: c.excluded.iter().map(|(k, id)| (k.clone(), publish(*id, e.excluded[k]))).collect(),
        excluded_total: publish(c.excluded_total, e.excluded_total()),
        skipped: publish(c.skipped, e.skipped),
        received: publish(c.received, e.received(q.year)),
        review: review_count,
        review_share: match (review_count.value(), total_count.and_then(Count::value)) {
            (Some(r), Some(t)) if t > 0 => Some(round4(r as f64 / t as f64)),
            _ => None,
        },
        channels: c
            .channels
            .iter()
            .map(|(c, id)| (c.clone(), publish(*id, e.channels.get(c).copied().unwrap_or(0))))
            .collect(),
        partial,
        no_data: std::iter::once(q.year).chain(q.compare.iter().copied()).filter(|y| !has_data(*y)).collect(),
        undated: publish(c.undated, e.undated),
        min_cell: q.min_cell,
        secondary_suppression: s.any_secondary(),
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

/// How numbers are written: Italian (`13,1%`, for people and Italian Excel) or plain (`0.1307`,
/// for scripts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbers {
    Italian,
    Plain,
}

/// A cell of the laid-out table, typed so that the workbook writes numbers as numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// A heading, a label or a composed text (the precision with its interval).
    Text(String),
    Count(Count),
    /// The year has no data at all.
    NoData,
    Share(f64),
    Change(i64),
    ChangePct(f64),
    /// A topic that had no message in the compared year.
    New,
    /// Nothing to show (hidden, or not applicable).
    Dash,
}

impl Cell {
    /// The cell as text.
    pub fn text(&self, numbers: Numbers) -> String {
        let italian = numbers == Numbers::Italian;
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Count(c) => c.text(),
            Cell::NoData => "nessun dato".into(),
            Cell::Share(x) if italian => pct(*x),
            Cell::Share(x) => format!("{x:.4}"),
            Cell::Change(n) if *n > 0 => format!("+{n}"),
            Cell::Change(n) => n.to_string(),
            Cell::ChangePct(x) if italian => {
                let s = format!("{:+.1}%", x * 100.0).replace('.', ",");
                if s == "+0,0%" || s == "-0,0%" { "0,0%".into() } else { s }
            }
            Cell::ChangePct(x) => format!("{x:.4}"),
            Cell::New => "nuovo".into(),
            Cell::Dash => "-".into(),
        }
    }
}

/// The compared-year cells of a row: the count, its change and relative change.
fn compared(
    current: Option<Count>,
    previous: Option<Count>,
    change: Option<i64>,
    pct: Option<f64>,
) -> [Cell; 3] {
    let Some(previous) = previous else {
        return [Cell::Dash, Cell::Dash, Cell::Dash];
    };
    let relative = match (pct, previous.value(), current.and_then(Count::value)) {
        (Some(x), ..) => Cell::ChangePct(x),
        (None, Some(0), Some(c)) if c > 0 => Cell::New,
        _ => Cell::Dash,
    };
    [Cell::Count(previous), change.map_or(Cell::Dash, Cell::Change), relative]
}

/// The keys of the table's breakdown (`--by`), sorted: the order of their columns.
pub(crate) fn breakdown_keys(t: &ThemeTable) -> Vec<String> {
    t.breakdown_totals.keys().cloned().collect()
}

/// The precision cell of a topic (or of the whole table): value and interval; too few reviews
/// for a published table are not shown.
fn accuracy_cell(t: &ThemeTable, e: Option<&Estimate>) -> Cell {
    match e {
        Some(e) if t.min_cell.is_none_or(|m| e.reviewed >= m) => {
            Cell::Text(format!("{} ({}-{}, n={})", pct(e.value), pct(e.low), pct(e.high), e.reviewed))
        }
        _ => Cell::Dash,
    }
}

/// The table laid out as cells, header first and the total last: shared by every format.
pub fn grid(t: &ThemeTable) -> Vec<Vec<Cell>> {
    let mut head =
        vec![Cell::Text("Tema".into()), Cell::Text(t.year.to_string()), Cell::Text("Quota".into())];
    for y in &t.compare {
        head.push(Cell::Text(y.to_string()));
        head.push(Cell::Text(format!("Var. {y}")));
        head.push(Cell::Text(format!("Var. % {y}")));
    }
    let keys = breakdown_keys(t);
    for k in &keys {
        head.push(Cell::Text(breakdown_heading(t, k)));
    }
    if t.accuracy.is_some() {
        head.push(Cell::Text("Precisione (IC 95%)".into()));
    }
    let mut out = vec![head];
    for r in &t.rows {
        let mut line = vec![
            Cell::Text(r.label.clone()),
            r.count.map_or(Cell::Dash, Cell::Count),
            r.share.map_or(Cell::Dash, Cell::Share),
        ];
        for y in &t.compare {
            let ys = y.to_string();
            line.extend(compared(
                r.count,
                r.previous.get(&ys).copied().flatten(),
                r.change.get(&ys).copied().flatten(),
                r.change_pct.get(&ys).copied().flatten(),
            ));
        }
        for k in &keys {
            line.push(r.breakdown.get(k).map_or(Cell::Dash, |c| Cell::Count(*c)));
        }
        if let Some(a) = &t.accuracy {
            line.push(accuracy_cell(t, a.per_topic.get(&r.topic)));
        }
        out.push(line);
    }
    let total_value = t.total.and_then(Count::value);
    let mut total = vec![
        Cell::Text("Totale messaggi classificati".into()),
        t.total.map_or(Cell::NoData, Cell::Count),
        if total_value.is_some_and(|n| n > 0) { Cell::Share(1.0) } else { Cell::Dash },
    ];
    for y in &t.compare {
        let previous = t.previous_totals.get(&y.to_string()).copied().flatten();
        let pair = total_value.zip(previous.and_then(Count::value));
        match previous {
            None => total.extend([Cell::NoData, Cell::Dash, Cell::Dash]),
            Some(_) => total.extend(compared(
                t.total,
                previous,
                pair.map(|(c, p)| c as i64 - p as i64),
                pair.filter(|(_, p)| *p > 0).map(|(c, p)| (c as f64 - p as f64) / p as f64),
            )),
        }
    }
    for k in &keys {
        total.push(t.breakdown_totals.get(k).map_or(Cell::Dash, |c| Cell::Count(*c)));
    }
    if let Some(a) = &t.accuracy {
        total.push(accuracy_cell(t, a.overall.as_ref()));
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
        Some("canale") => channel_label(k),
        _ => k.to_string(),
    }
}

fn channel_label(k: &str) -> String {
    match k {
        "pec" => "PEC".into(),
        "email" => "e-mail".into(),
        _ => k.to_string(),
    }
}

/// The notes under the table (exclusions, review backlog, partial years and years without
/// data, suppression, provenance).
pub fn notes(t: &ThemeTable) -> Vec<String> {
    let mut n = Vec::new();
    if t.no_data.contains(&t.year) {
        n.push(format!("Nessun dato per il {}: nessun messaggio registrato con data di quell'anno.", t.year));
    }
    n.push(format!("Esclusi dal conteggio nel {}: {}", t.year, t.excluded_total.text()));
    for r in ExclusionReason::ALL {
        if let Some(c) = t.excluded.get(r.as_str()) {
            n.push(format!("  {}: {}", r.label_it(), c.text()));
        }
    }
    // Reasons this version does not know (older stores), by their identifier.
    for (k, c) in t.excluded.iter().filter(|(k, _)| ExclusionReason::parse(k).is_none()) {
        n.push(format!("  {k}: {}", c.text()));
    }
    if t.skipped != Count::Shown(0) {
        n.push(format!("  Messaggi illeggibili (scartati): {}", t.skipped.text()));
    }
    n.push(format!("Messaggi ricevuti nel {}: {}", t.year, t.received.text()));
    let total = t.total.map_or_else(|| "nessun dato".into(), Count::text);
    let share = t.review_share.map(|x| format!(" ({})", pct(x))).unwrap_or_default();
    n.push(format!("Da rivedere: {} su {total}{share}", t.review.text()));
    let channels: Vec<String> =
        t.channels.iter().map(|(c, k)| format!("{} {}", channel_label(c), k.text())).collect();
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
    for y in t.no_data.iter().filter(|y| **y != t.year) {
        n.push(format!("Il {y} non ha dati (nessun messaggio registrato): nessun confronto con quell'anno."));
    }
    if let Some(m) = t.min_cell {
        n.push(format!("Celle con meno di {m} messaggi non mostrate (\"<{m}\") per la riservatezza."));
        if t.secondary_suppression {
            n.push(format!(
                "Celle \"*\": non mostrate perché, con i totali, permetterebbero di ricavare una cella con meno di {m} messaggi (soppressione secondaria)."
            ));
        }
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
    if t.undated != Count::Shown(0) {
        n.push(format!(
            "{} messaggi senza data attendibile non sono attribuiti ad alcun anno.",
            t.undated.text()
        ));
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
    match &t.provenance.ente {
        Some(ente) => format!("{ente} - Temi trattati via e-mail - anno {}{cmp}", t.year),
        None => format!("Temi trattati via e-mail - anno {}{cmp}", t.year),
    }
}

/// Plain-text table for a terminal.
pub fn to_text(t: &ThemeTable) -> String {
    render_text(&title(t), &grid(t), &notes(t))
}

/// A laid-out table as text: the title, the grid with rules under the header and above the
/// last (total) row, the notes.
pub(crate) fn render_text(title: &str, grid: &[Vec<Cell>], notes: &[String]) -> String {
    let g = texts(grid, Numbers::Italian);
    let widths: Vec<usize> =
        (0..g[0].len()).map(|i| g.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    let line_w: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
    let mut s = String::new();
    let _ = writeln!(s, "{title}\n");
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
    for n in notes {
        let _ = writeln!(s, "{n}");
    }
    s
}

/// Markdown table (for reports and wikis).
pub fn to_markdown(t: &ThemeTable) -> String {
    render_markdown(&title(t), &grid(t), &notes(t))
}

/// A laid-out table as Markdown, the last row (the total) in bold.
pub(crate) fn render_markdown(title: &str, grid: &[Vec<Cell>], notes: &[String]) -> String {
    let g = texts(grid, Numbers::Italian);
    let mut s = format!("### {title}\n\n");
    for (i, row) in g.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(j, c)| {
                let c = c.replace('|', "\\|").replace('*', "\\*");
                if i == g.len() - 1 && j == 0 { format!("**{c}**") } else { c }
            })
            .collect();
        let _ = writeln!(s, "| {} |", cells.join(" | "));
        if i == 0 {
            let align: Vec<&str> = (0..row.len()).map(|j| if j == 0 { "---" } else { "---:" }).collect();
            let _ = writeln!(s, "| {} |", align.join(" | "));
        }
    }
    s.push('\n');
    for n in notes {
        let n = n.trim_start().replace('*', "\\*");
        let _ = writeln!(s, "{n}  ");
    }
    s
}

/// Grid cells as text.
fn texts(grid: &[Vec<Cell>], numbers: Numbers) -> Vec<Vec<String>> {
    grid.iter().map(|row| row.iter().map(|c| c.text(numbers)).collect()).collect()
}

/// CSV flavours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvStyle {
    /// For Italian Excel: UTF-8 with a byte-order mark, `;` between fields, `,` decimals.
    Excel,
    /// RFC 4180: UTF-8 without a mark, `,` between fields, `.` decimals, shares as fractions.
    Plain,
}

/// The table as CSV: the grid; for Excel also the notes under it (one per line, in the first
/// column), so a published file carries its footnotes.
pub fn to_csv(t: &ThemeTable, style: CsvStyle) -> String {
    render_csv(&grid(t), &notes(t), style)
}

/// A laid-out table as CSV (for Excel, with the notes under it).
pub(crate) fn render_csv(grid: &[Vec<Cell>], notes: &[String], style: CsvStyle) -> String {
    let (sep, numbers, bom) = match style {
        CsvStyle::Excel => (';', Numbers::Italian, "\u{feff}"),
        CsvStyle::Plain => (',', Numbers::Plain, ""),
    };
    let quote = |c: &str| {
        if c.contains([sep, '"', '\n', '\r']) {
            format!("\"{}\"", c.replace('"', "\"\""))
        } else {
            c.to_string()
        }
    };
    let line = |row: &[String]| row.iter().map(|c| quote(c)).collect::<Vec<_>>().join(&sep.to_string());
    let mut s = String::from(bom);
    let g = texts(grid, numbers);
    let width = g.first().map_or(1, Vec::len);
    for row in &g {
        let _ = write!(s, "{}\r\n", line(row));
    }
    if style == CsvStyle::Plain {
        return s;
    }
    s.push_str("\r\n");
    for n in notes {
        let mut row = vec![n.trim_start().to_string()];
        row.resize(width, String::new());
        let _ = write!(s, "{}\r\n", line(&row));
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

    fn query(compare: Vec<i32>, by: Option<By>, min_cell: Option<u64>) -> Query {
        Query { year: 2025, compare, by, min_cell, mapping: None }
    }

    #[test]
    fn year_on_year_with_mapping_and_partial_years() {
        let mut q = query(vec![2024], None, None);
        q.mapping =
            Some(Mapping { name: "m.toml".into(), map: [("old".to_string(), "b".to_string())].into() });
        let t = build(&rows(), &tax(), &q, Provenance::default());
        assert_eq!(t.total, Some(Count::Shown(18)));
        assert_eq!(t.rows[0].topic, "b");
        assert_eq!(t.rows[0].previous["2024"], Some(Count::Shown(6)), "old id mapped to b");
        assert_eq!(t.rows[0].change_pct["2024"], Some(1.0));
        assert_eq!(t.rows.last().map(|r| r.topic.as_str()), Some("z"), "residual last");
        assert_eq!(t.partial, vec![Partial { year: 2024, first_month: 3, last_month: 12 }]);
        assert_eq!(t.excluded["bulk"], Count::Shown(2));
        let text = to_text(&t);
        assert!(
            text.contains("Beta") && text.contains("+100,0%") && text.contains("corrispondenza m.toml"),
            "{text}"
        );
        assert!(text.contains("il 2024 e' parziale (dati da mar a dic)"), "{text}");
        let md = to_markdown(&t);
        assert!(md.contains("| **Totale messaggi classificati** | 18 |"), "{md}");
    }

    #[test]
    fn csv_for_italian_excel_and_plain_csv_for_scripts() {
        let t = build(&rows(), &tax(), &query(vec![2024], None, None), Provenance::default());
        let excel = to_csv(&t, CsvStyle::Excel);
        assert!(excel.starts_with("\u{feff}Tema;2025;Quota;2024;Var. 2024;Var. % 2024\r\n"), "{excel}");
        assert!(excel.contains("\r\nBeta;12;66,7%;0;+12;nuovo\r\n"), "{excel}");
        assert!(excel.contains("\r\nEsclusi dal conteggio nel 2025: 2;;;;;\r\n"), "notes below: {excel}");
        let plain = to_csv(&t, CsvStyle::Plain);
        assert!(plain.starts_with("Tema,2025,Quota,2024,Var. 2024,Var. % 2024\r\n"), "{plain}");
        assert!(plain.contains("\r\nBeta,12,0.6667,0,+12,nuovo\r\n"), "{plain}");
        assert!(!plain.contains("Esclusi"), "no notes for scripts: {plain}");
    }

    /// The groups of a published table that add up to a total, rebuilt from what it shows.
    fn groups(t: &ThemeTable) -> Vec<(String, Vec<Count>)> {
        let mut g: Vec<(String, Vec<Count>)> = Vec::new();
        let with = |mut v: Vec<Count>, total: Option<Count>| {
            v.extend(total);
            v
        };
        g.push(("year".into(), with(t.rows.iter().filter_map(|r| r.count).collect(), t.total)));
        for y in &t.compare {
            let ys = y.to_string();
            let column = t.rows.iter().filter_map(|r| r.previous[&ys]).collect();
            g.push((ys.clone(), with(column, t.previous_totals[&ys])));
        }
        for r in t.rows.iter().filter(|r| !r.breakdown.is_empty()) {
            g.push((r.topic.clone(), with(r.breakdown.values().copied().collect(), r.count)));
        }
        for (k, total) in &t.breakdown_totals {
            let column = t.rows.iter().map(|r| r.breakdown[k]).collect();
            g.push((format!("by {k}"), with(column, Some(*total))));
        }
        if !t.breakdown_totals.is_empty() {
            g.push(("by totals".into(), with(t.breakdown_totals.values().copied().collect(), t.total)));
        }
        g.push(("channels".into(), with(t.channels.values().copied().collect(), t.total)));
        g.push(("excluded".into(), with(t.excluded.values().copied().collect(), Some(t.excluded_total))));
        g.push(("received".into(), with(vec![t.excluded_total, t.skipped, t.received], t.total)));
        g
    }

    /// What a published table must hold: no count from 1 to 4 shown anywhere, no group with a
    /// lone hidden cell (it could be derived from its total), nothing derived from a hidden count.
    fn assert_publishable(t: &ThemeTable) {
        let small = |c: &Count| c.value().is_some_and(|n| (1..5).contains(&n));
        for (name, cells) in groups(t) {
            assert!(!cells.iter().any(small), "a small count shown in {name}: {cells:?}");
            let hidden = cells.iter().filter(|c| c.value().is_none()).count();
            assert_ne!(hidden, 1, "one hidden cell in {name} can be derived from its total: {cells:?}");
        }
        assert!(!small(&t.review) && !small(&t.undated));
        for r in &t.rows {
            if r.count.and_then(Count::value).is_none() {
                assert!(r.share.is_none() && r.change.values().all(Option::is_none), "{r:?}");
            }
            for (y, p) in &r.previous {
                if p.and_then(Count::value).is_none() {
                    assert!(r.change[y].is_none() && r.change_pct[y].is_none(), "{r:?}");
                }
            }
        }
    }

    #[test]
    fn publication_hides_every_small_cell_and_what_would_give_it_away() {
        for by in [None, Some(By::Month), Some(By::Channel), Some(By::Tipologia)] {
            let t = build(&rows(), &tax(), &query(vec![2024], by, Some(5)), Provenance::default());
            assert_publishable(&t);
            let a = t.rows.iter().find(|r| r.topic == "a").expect("a");
            assert_eq!(a.previous["2024"], Some(Count::Small(5)), "4 in 2024 is below 5");
            let z = t.rows.iter().find(|r| r.topic == "z").expect("z");
            assert_eq!(z.count, Some(Count::Small(5)));
            let b = t.rows.iter().find(|r| r.topic == "b").expect("b");
            assert_eq!(b.count, Some(Count::Shown(12)), "a row's counts of 5 or more stay");
            // z (1) is alone in the 2025 column: the smallest other count, a's 5, goes too.
            assert_eq!(a.count, Some(Count::Secondary));
            assert!(t.secondary_suppression);
            let text = to_text(&t);
            assert!(
                text.contains("<5")
                    && text.contains("non mostrate")
                    && text.contains("soppressione secondaria"),
                "{text}"
            );
            if by == Some(By::Month) {
                assert_eq!(b.breakdown["12"], Count::Shown(12));
                // A hidden row does not print zeros where its months are hidden.
                assert_eq!(z.breakdown["06"], Count::Small(5));
            }
        }
    }

    #[test]
    fn publication_holds_on_many_random_stores() {
        let mut x: u64 = 11;
        let mut next = |m: u64| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 33) % m
        };
        let topics = ["a", "b", "z"];
        for _ in 0..100 {
            let mut data = Vec::new();
            for year in [2024, 2025] {
                for t in topics {
                    for month in 1..=12u8 {
                        let n = next(4);
                        if n > 0 {
                            let mut r = row(year, month, "classified", t, n);
                            r.channel = if next(3) == 0 { "pec".into() } else { "email".into() };
                            data.push(r);
                        }
                    }
                }
            }
            data.push(row(2025, 5, "excluded", "bulk", next(6)));
            data.push(row(2025, 5, "excluded", "auto-reply", next(6)));
            for by in [None, Some(By::Month), Some(By::Channel)] {
                let t = build(&data, &tax(), &query(vec![2024], by, Some(5)), Provenance::default());
                assert_publishable(&t);
            }
        }
    }

    #[test]
    fn years_without_data_are_said_so() {
        // 2023 was never collected: no zeros, no "nuovo", no -100%.
        let t = build(&rows(), &tax(), &query(vec![2024, 2023], None, None), Provenance::default());
        assert_eq!(t.no_data, vec![2023]);
        assert!(t.rows.iter().all(|r| r.previous["2023"].is_none() && r.change_pct["2023"].is_none()));
        assert_eq!(t.previous_totals["2023"], None);
        let text = to_text(&t);
        assert!(text.contains("nessun dato") && text.contains("Il 2023 non ha dati"), "{text}");
        let g = grid(&t);
        let total = g.last().expect("total row");
        assert_eq!(total[6], Cell::NoData, "{total:?}");
        assert!(g[1..g.len() - 1].iter().all(|r| r[6..9] == [Cell::Dash, Cell::Dash, Cell::Dash]));

        // The table's own year without data, compared with one that has it.
        let mut q = query(vec![2025], None, None);
        q.year = 2026;
        let t = build(&rows(), &tax(), &q, Provenance::default());
        assert_eq!(t.total, None);
        assert!(t.rows.iter().all(|r| r.count.is_none() && r.change["2025"].is_none()));
        let text = to_text(&t);
        assert!(text.contains("Nessun dato per il 2026") && !text.contains("-100"), "{text}");
        // A partial year is still flagged.
        let t = build(&rows(), &tax(), &query(vec![2024, 2023], None, None), Provenance::default());
        assert!(t.partial.iter().any(|p| p.year == 2024));
    }
}
