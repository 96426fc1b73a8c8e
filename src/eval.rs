//! Evaluation metrics: accuracy, macro-F1, per-label precision/recall/F1, confusion matrix, the
//! share flagged for review and the accuracy of unflagged decisions.
//!
//! Multi-label items (the same message filed under several labels) count as right when the
//! prediction is any of their labels, as the Italian evaluation data prescribes.

use std::collections::BTreeMap;

use serde::Serialize;

/// One evaluated item.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    /// Label indices the item belongs to (at least one).
    pub truth: Vec<usize>,
    pub predicted: usize,
    pub review: bool,
}

/// Per-label figures.
#[derive(Debug, Clone, Serialize)]
pub struct LabelMetrics {
    pub label: String,
    pub support: u64,
    pub predicted: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// The evaluation report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub items: u64,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub review_share: f64,
    pub unflagged_accuracy: Option<f64>,
    pub per_label: Vec<LabelMetrics>,
    /// `confusion[true][predicted]`, labels in `labels` order.
    pub labels: Vec<String>,
    pub confusion: Vec<Vec<u64>>,
    /// Extra facts (model version, skipped files...).
    pub notes: BTreeMap<String, String>,
}

/// Computes the report. For a multi-label item the "true" label of the confusion matrix is the
/// predicted one when it is among the item's labels, else its first label.
pub(crate) fn evaluate(labels: &[String], items: &[Item]) -> Report {
    let n = labels.len();
    let mut confusion = vec![vec![0u64; n]; n];
    let mut correct = 0u64;
    let mut flagged = 0u64;
    let mut unflagged = 0u64;
    let mut unflagged_correct = 0u64;
    for it in items {
        let ok = it.truth.contains(&it.predicted);
        let t = if ok { it.predicted } else { it.truth.first().copied().unwrap_or(0) };
        if t < n && it.predicted < n {
            confusion[t][it.predicted] += 1;
        }
        correct += u64::from(ok);
        if it.review {
            flagged += 1;
        } else {
            unflagged += 1;
            unflagged_correct += u64::from(ok);
        }
    }
    let per_label: Vec<LabelMetrics> = (0..n)
        .map(|i| {
            let tp = confusion[i][i];
            let support: u64 = confusion[i].iter().sum();
            let predicted: u64 = confusion.iter().map(|r| r[i]).sum();
            let precision = ratio(tp, predicted);
            let recall = ratio(tp, support);
            let f1 =
                if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
            LabelMetrics {
                label: labels[i].clone(),
                support,
                predicted,
                precision: r4(precision),
                recall: r4(recall),
                f1: r4(f1),
            }
        })
        .collect();
    let with_support: Vec<&LabelMetrics> = per_label.iter().filter(|m| m.support > 0).collect();
    let macro_f1 = if with_support.is_empty() {
        0.0
    } else {
        with_support.iter().map(|m| m.f1).sum::<f64>() / with_support.len() as f64
    };
    let total = items.len() as u64;
    Report {
        schema_version: 1,
        items: total,
        accuracy: r4(ratio(correct, total)),
        macro_f1: r4(macro_f1),
        review_share: r4(ratio(flagged, total)),
        unflagged_accuracy: (unflagged > 0).then(|| r4(ratio(unflagged_correct, unflagged))),
        per_label,
        labels: labels.to_vec(),
        confusion,
        notes: BTreeMap::new(),
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn r4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// The report as a plain-text table.
pub(crate) fn to_table(r: &Report) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "items {}  accuracy {:.4}  macro-F1 {:.4}", r.items, r.accuracy, r.macro_f1);
    let _ = writeln!(
        s,
        "flagged for review {:.1}%  accuracy of unflagged {}",
        r.review_share * 100.0,
        r.unflagged_accuracy.map_or("-".to_string(), |a| format!("{a:.4}"))
    );
    for (k, v) in &r.notes {
        let _ = writeln!(s, "{k}: {v}");
    }
    let w = r.per_label.iter().map(|m| m.label.chars().count()).max().unwrap_or(5).max(5);
    let _ =
        writeln!(s, "\n{:<w$}  {:>7}  {:>9}  {:>6}  {:>6}", "label", "support", "precision", "recall", "f1");
    for m in &r.per_label {
        let _ = writeln!(
            s,
            "{:<w$}  {:>7}  {:>9.3}  {:>6.3}  {:>6.3}",
            m.label, m.support, m.precision, m.recall, m.f1
        );
    }
    let _ = writeln!(s, "\nconfusion (rows: true, columns: predicted, in label order)");
    for (i, row) in r.confusion.iter().enumerate() {
        let cells: Vec<String> = row.iter().map(|c| format!("{c:>4}")).collect();
        let _ = writeln!(s, "{:<w$} {}", r.labels[i], cells.join(""));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_on_a_known_case() {
        let labels = vec!["a".to_string(), "b".to_string()];
        let items = vec![
            Item { truth: vec![0], predicted: 0, review: false },
            Item { truth: vec![0], predicted: 1, review: true },
            Item { truth: vec![1], predicted: 1, review: false },
            Item { truth: vec![1, 0], predicted: 0, review: false },
        ];
        let r = evaluate(&labels, &items);
        assert_eq!(r.accuracy, 0.75);
        assert_eq!(r.confusion, vec![vec![2, 1], vec![0, 1]]);
        assert_eq!(r.per_label[0].precision, 1.0);
        assert_eq!(r.per_label[0].recall, 0.6667);
        assert_eq!(r.review_share, 0.25);
        assert_eq!(r.unflagged_accuracy, Some(1.0));
    }
}
