//! The enti side by side (`report themes --all-enti`): for one year, the e-mail messages of each
//! topic in each ente of a shared database, with each ente's total and the topic's total
//! across them. One column per ente, in the order of their names; topics by their total.
//!
//! A published table (`--publish`) hides small cells like the single-ente table: primary below
//! the threshold, and secondary so that no topic row, no ente column, and neither the row of
//! ente totals nor the column of topic totals has a lone hidden cell.

use std::collections::BTreeMap;

use serde::Serialize;

use super::suppress::{CellId, Hidden, Suppressor};
use super::themes::{Cell, Count, CsvStyle, render_csv, render_markdown, render_text};
use crate::classify::taxonomy::Taxonomy;
use crate::domain::Status;
use crate::store::CountRow;

/// Version of the JSON document.
pub const ENTI_SCHEMA_VERSION: u32 = 1;

/// One ente's counts, as its store gives them.
#[derive(Debug, Clone)]
pub struct EnteCounts {
    pub id: String,
    pub name: String,
    pub rows: Vec<CountRow>,
    pub rules_version: Option<String>,
    pub model_version: Option<String>,
}

/// One ente's column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnteColumn {
    pub id: String,
    pub name: String,
    /// Classified messages of the year.
    pub total: Count,
    pub rules_version: Option<String>,
    pub model_version: Option<String>,
}

/// One topic across the enti.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntiRow {
    pub topic: String,
    pub label: String,
    /// One count per ente, in the order of [`EntiTable::enti`].
    pub counts: Vec<Count>,
    pub total: Count,
}

/// The side-by-side table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntiTable {
    pub schema_version: u32,
    pub year: i32,
    pub enti: Vec<EnteColumn>,
    pub rows: Vec<EntiRow>,
    /// Classified messages of the year in all enti.
    pub total: Count,
    pub min_cell: Option<u64>,
    pub secondary_suppression: bool,
    pub taxonomy: String,
    /// Where the numbers come from (the database, without host or user when published).
    pub source: String,
}

/// Builds the table of `year` from each ente's counts.
pub fn build(
    enti: &[EnteCounts],
    taxonomy: &Taxonomy,
    year: i32,
    min_cell: Option<u64>,
    source: String,
) -> EntiTable {
    let mut enti: Vec<&EnteCounts> = enti.iter().collect();
    enti.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    // Exact counts per topic and ente.
    let mut exact: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (j, e) in enti.iter().enumerate() {
        for r in e.rows.iter().filter(|r| r.year == Some(year) && r.status == Status::Classified) {
            exact.entry(r.key.clone()).or_insert_with(|| vec![0; enti.len()])[j] += r.count;
        }
    }
    let mut topics: Vec<(String, Vec<u64>)> = exact.into_iter().collect();
    topics.sort_by(|a, b| b.1.iter().sum::<u64>().cmp(&a.1.iter().sum()).then(a.0.cmp(&b.0)));
    let column_totals: Vec<u64> = (0..enti.len()).map(|j| topics.iter().map(|(_, c)| c[j]).sum()).collect();
    let grand: u64 = column_totals.iter().sum();

    // Every published number is a cell; rows, columns and the margins add up to totals.
    let mut s = Suppressor::default();
    let cells: Vec<Vec<CellId>> =
        topics.iter().map(|(_, c)| c.iter().map(|v| s.cell(*v)).collect()).collect();
    let row_totals: Vec<CellId> = topics.iter().map(|(_, c)| s.total(c.iter().sum())).collect();
    let col_totals: Vec<CellId> = column_totals.iter().map(|v| s.total(*v)).collect();
    let grand_id = s.total(grand);
    for (row, total) in cells.iter().zip(&row_totals) {
        s.group(row, *total);
    }
    for (j, total) in col_totals.iter().enumerate() {
        let column: Vec<CellId> = cells.iter().map(|r| r[j]).collect();
        s.group(&column, *total);
    }
    s.group(&row_totals, grand_id);
    s.group(&col_totals, grand_id);
    if let Some(m) = min_cell {
        s.run(m);
    }
    let m = min_cell.unwrap_or(5);
    let publish = |id: CellId, v: u64| match s.hidden(id) {
        None => Count::Shown(v),
        Some(Hidden::Primary) => Count::Small(m),
        Some(Hidden::Secondary) => Count::Secondary,
    };
    let label = |id: &str| {
        taxonomy
            .find(id)
            .map_or_else(|| format!("{id} (fuori tassonomia)"), |t| taxonomy.topic(t).label.clone())
    };
    let rows = topics
        .iter()
        .zip(&cells)
        .zip(&row_totals)
        .map(|(((topic, counts), ids), total)| EntiRow {
            topic: topic.clone(),
            label: label(topic),
            counts: ids.iter().zip(counts).map(|(id, v)| publish(*id, *v)).collect(),
            total: publish(*total, counts.iter().sum()),
        })
        .collect();
    EntiTable {
        schema_version: ENTI_SCHEMA_VERSION,
        year,
        enti: enti
            .iter()
            .zip(&col_totals)
            .zip(&column_totals)
            .map(|((e, id), v)| EnteColumn {
                id: e.id.clone(),
                name: e.name.clone(),
                total: publish(*id, *v),
                rules_version: e.rules_version.clone(),
                model_version: e.model_version.clone(),
            })
            .collect(),
        rows,
        total: publish(grand_id, grand),
        min_cell,
        secondary_suppression: s.any_secondary(),
        taxonomy: taxonomy.id.clone(),
        source,
    }
}

/// The title, the same in every format.
pub fn title(t: &EntiTable) -> String {
    format!("Temi trattati via e-mail - anno {} - {} enti a confronto", t.year, t.enti.len())
}

/// Header, one row per topic, the total row.
pub fn grid(t: &EntiTable) -> Vec<Vec<Cell>> {
    let mut g = Vec::with_capacity(t.rows.len() + 2);
    let mut head = vec![Cell::Text("Tema".into())];
    head.extend(t.enti.iter().map(|e| Cell::Text(e.name.clone())));
    head.push(Cell::Text("Totale".into()));
    g.push(head);
    for r in &t.rows {
        let mut line = vec![Cell::Text(r.label.clone())];
        line.extend(r.counts.iter().map(|c| Cell::Count(*c)));
        line.push(Cell::Count(r.total));
        g.push(line);
    }
    let mut total = vec![Cell::Text("Totale messaggi classificati".into())];
    total.extend(t.enti.iter().map(|e| Cell::Count(e.total)));
    total.push(Cell::Count(t.total));
    g.push(total);
    g
}

/// The notes under the table.
pub fn notes(t: &EntiTable) -> Vec<String> {
    let mut n = vec![format!(
        "Messaggi classificati per tema nel {}; ogni ente ha il proprio archivio, la propria casella e le proprie correzioni.",
        t.year
    )];
    if let Some(m) = t.min_cell {
        n.push(format!("Celle con meno di {m} messaggi non mostrate (\"<{m}\") per la riservatezza."));
        if t.secondary_suppression {
            n.push(format!(
                "Celle \"*\": non mostrate perché, con i totali, permetterebbero di ricavare una cella con meno di {m} messaggi (soppressione secondaria)."
            ));
        }
    }
    for e in &t.enti {
        n.push(format!(
            "{}: regole {} - modello {}",
            e.name,
            e.rules_version.as_deref().unwrap_or("nessuna"),
            e.model_version.as_deref().unwrap_or("nessuno")
        ));
    }
    n.push(format!("Fonte: {} - tassonomia {}", t.source, t.taxonomy));
    n
}

/// Text for a terminal.
pub fn to_text(t: &EntiTable) -> String {
    render_text(&title(t), &grid(t), &notes(t))
}

/// Markdown.
pub fn to_markdown(t: &EntiTable) -> String {
    render_markdown(&title(t), &grid(t), &notes(t))
}

/// CSV for Italian Excel or for scripts.
pub fn to_csv(t: &EntiTable, style: CsvStyle) -> String {
    render_csv(&grid(t), &notes(t), style)
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

    fn ente(id: &str, name: &str, counts: &[(&str, u64)]) -> EnteCounts {
        EnteCounts {
            id: id.into(),
            name: name.into(),
            rows: counts
                .iter()
                .map(|(k, n)| CountRow {
                    year: Some(2025),
                    month: Some(3),
                    channel: "email".into(),
                    status: Status::Classified,
                    key: (*k).into(),
                    count: *n,
                    review: 0,
                    tipologia: None,
                })
                .chain(std::iter::once(CountRow {
                    year: Some(2024),
                    month: Some(1),
                    channel: "email".into(),
                    status: Status::Classified,
                    key: "a".into(),
                    count: 1000,
                    review: 0,
                    tipologia: None,
                }))
                .collect(),
            rules_version: Some("r1".into()),
            model_version: None,
        }
    }

    #[test]
    fn enti_side_by_side_add_up_and_small_cells_cannot_be_derived() {
        let enti = [
            ente("b2", "Comune di Bravo", &[("a", 30), ("b", 2), ("z", 9)]),
            ente("a1", "Comune di Alfa", &[("a", 12), ("b", 20)]),
        ];
        let t = build(&enti, &tax(), 2025, None, "urp (PostgreSQL)".into());
        assert_eq!(
            t.enti.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
            ["Comune di Alfa", "Comune di Bravo"]
        );
        assert_eq!(t.rows[0].topic, "a", "topics by their total");
        assert_eq!(t.rows[0].counts, [Count::Shown(12), Count::Shown(30)]);
        assert_eq!(t.total, Count::Shown(73), "2024 is another year");
        let text = to_text(&t);
        assert!(text.contains("2 enti a confronto") && text.contains("Comune di Bravo"), "{text}");

        let p = build(&enti, &tax(), 2025, Some(5), "urp (PostgreSQL)".into());
        let beta = p.rows.iter().find(|r| r.topic == "b").expect("beta");
        assert_eq!(beta.counts[1], Count::Small(5));
        // No row, column or margin with exactly one hidden cell.
        let hidden = |c: &Count| c.value().is_none();
        for r in &p.rows {
            let n = r.counts.iter().filter(|c| hidden(c)).count() + usize::from(hidden(&r.total));
            assert_ne!(n, 1, "{r:?}");
        }
        for j in 0..p.enti.len() {
            let n = p.rows.iter().filter(|r| hidden(&r.counts[j])).count()
                + usize::from(hidden(&p.enti[j].total));
            assert_ne!(n, 1, "column {j}");
        }
        assert!(p.secondary_suppression);
        let csv = to_csv(&p, CsvStyle::Excel);
        assert!(csv.starts_with('\u{feff}') && csv.contains("<5") && csv.contains('*'), "{csv}");
    }
}
