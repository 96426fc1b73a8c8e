//! Small-cell suppression for published tables, as statistical offices do it.
//!
//! Primary: every count from 1 to `min_cell - 1` is hidden (printed `<5`). Secondary: a table
//! publishes totals, and a total with exactly one hidden member gives that member away (total
//! minus the shown ones), so in every group of cells that add up to a total (a column and its
//! total, a topic's months and the topic's count, ...) the number of hidden cells, the total
//! included, must be 0 or at least 2. Where one is alone, the visible member that costs least is
//! hidden too (printed `*`): a small non-zero cell, a total only when nothing else can be hidden.
//! Hiding only adds, so repeating over the groups until nothing changes ends, and at the end no
//! group has a lone hidden cell.

/// A cell's index in a [`Suppressor`].
pub(crate) type CellId = usize;

/// Why a cell is hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hidden {
    /// Below the threshold.
    Primary,
    /// Hidden so that a primary cell cannot be derived from a total.
    Secondary,
}

#[derive(Debug, Clone)]
struct Cell {
    value: u64,
    /// Totals cost more to hide than the cells inside them.
    total: bool,
    hidden: Option<Hidden>,
}

/// The cells of a table and the groups that add up to a total.
#[derive(Debug, Clone, Default)]
pub(crate) struct Suppressor {
    cells: Vec<Cell>,
    groups: Vec<Vec<CellId>>,
}

impl Suppressor {
    /// A cell inside a table (a topic's count, a month of a topic).
    pub(crate) fn cell(&mut self, value: u64) -> CellId {
        self.push(value, false)
    }

    /// A total (of a column, a row, the table).
    pub(crate) fn total(&mut self, value: u64) -> CellId {
        self.push(value, true)
    }

    fn push(&mut self, value: u64, total: bool) -> CellId {
        self.cells.push(Cell { value, total, hidden: None });
        self.cells.len() - 1
    }

    /// Cells that add up to `total` (the total's own id among `members` or not).
    pub(crate) fn group(&mut self, members: &[CellId], total: CellId) {
        let mut g: Vec<CellId> = members.to_vec();
        if !g.contains(&total) {
            g.push(total);
        }
        self.groups.push(g);
    }

    /// Applies primary then secondary suppression with the threshold `min_cell`.
    pub(crate) fn run(&mut self, min_cell: u64) {
        for c in &mut self.cells {
            if c.value > 0 && c.value < min_cell {
                c.hidden = Some(Hidden::Primary);
            }
        }
        loop {
            let mut changed = false;
            for g in 0..self.groups.len() {
                let hidden = self.groups[g].iter().filter(|&&id| self.cells[id].hidden.is_some()).count();
                if hidden != 1 {
                    continue;
                }
                if let Some(id) = self.cheapest_visible(&self.groups[g]) {
                    self.cells[id].hidden = Some(Hidden::Secondary);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// The visible member whose hiding tells least: inner cells before totals, non-zero before
    /// zero (a hidden zero protects nothing a reader can see as zero), the smallest first.
    fn cheapest_visible(&self, group: &[CellId]) -> Option<CellId> {
        group.iter().copied().filter(|&id| self.cells[id].hidden.is_none()).min_by_key(|&id| {
            let c = &self.cells[id];
            (c.total, c.value == 0, c.value, id)
        })
    }

    /// Whether and why a cell is hidden.
    pub(crate) fn hidden(&self, id: CellId) -> Option<Hidden> {
        self.cells[id].hidden
    }

    /// Whether any cell was hidden by secondary suppression (for the footnote).
    pub(crate) fn any_secondary(&self) -> bool {
        self.cells.iter().any(|c| c.hidden == Some(Hidden::Secondary))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rows × columns table with row totals, column totals and the grand total; returns the
    /// suppressor and the ids (cells by row, row totals, column totals, grand total).
    fn table(values: &[&[u64]]) -> (Suppressor, Vec<Vec<CellId>>, Vec<CellId>, Vec<CellId>, CellId) {
        let mut s = Suppressor::default();
        let ids: Vec<Vec<CellId>> = values.iter().map(|r| r.iter().map(|&v| s.cell(v)).collect()).collect();
        let row_totals: Vec<CellId> = values.iter().map(|r| s.total(r.iter().sum())).collect();
        let cols = values[0].len();
        let col_totals: Vec<CellId> = (0..cols).map(|j| s.total(values.iter().map(|r| r[j]).sum())).collect();
        let grand = s.total(values.iter().flat_map(|r| r.iter()).sum());
        for (i, r) in ids.iter().enumerate() {
            s.group(r, row_totals[i]);
        }
        for j in 0..cols {
            let col: Vec<CellId> = ids.iter().map(|r| r[j]).collect();
            s.group(&col, col_totals[j]);
        }
        s.group(&row_totals, grand);
        s.group(&col_totals, grand);
        (s, ids, row_totals, col_totals, grand)
    }

    /// No group of a suppressed table has exactly one hidden cell.
    fn no_lone_hidden(s: &Suppressor) {
        for g in &s.groups {
            let n = g.iter().filter(|&&id| s.hidden(id).is_some()).count();
            assert_ne!(n, 1, "a lone hidden cell in {g:?}");
        }
    }

    #[test]
    fn a_lone_small_cell_takes_the_smallest_other_cell_of_its_row_and_column() {
        let (mut s, ids, ..) = table(&[&[3, 10, 20], &[8, 12, 30], &[9, 40, 50]]);
        s.run(5);
        assert_eq!(s.hidden(ids[0][0]), Some(Hidden::Primary));
        // Row 0: 10 is the smallest other; column 0: 8.
        assert_eq!(s.hidden(ids[0][1]), Some(Hidden::Secondary));
        assert_eq!(s.hidden(ids[1][0]), Some(Hidden::Secondary));
        no_lone_hidden(&s);
        assert!(s.any_secondary());
    }

    #[test]
    fn two_small_cells_in_a_row_need_nothing_more_there() {
        let mut s = Suppressor::default();
        let a = s.cell(2);
        let b = s.cell(3);
        let c = s.cell(40);
        let t = s.total(45);
        s.group(&[a, b, c], t);
        s.run(5);
        assert_eq!(s.hidden(c), None);
        assert_eq!(s.hidden(t), None);
        assert!(!s.any_secondary());
    }

    #[test]
    fn zeros_are_shown_and_a_total_is_hidden_only_when_nothing_else_can_be() {
        let mut s = Suppressor::default();
        let a = s.cell(3);
        let z = s.cell(0);
        let t = s.total(3);
        s.group(&[a, z], t);
        s.run(5);
        // The total is itself small: two hidden, nothing derivable, the zero stays.
        assert_eq!(s.hidden(t), Some(Hidden::Primary));
        assert_eq!(s.hidden(z), None);

        let mut s = Suppressor::default();
        let a = s.cell(3);
        let b = s.cell(0);
        let t = s.total(8);
        let other = s.cell(5);
        s.group(&[a, b, other], t);
        s.run(5);
        assert_eq!(s.hidden(other), Some(Hidden::Secondary), "non-zero before zero");
        assert_eq!(s.hidden(t), None);
    }

    #[test]
    fn bigger_tables_end_with_no_lone_hidden_cell() {
        // Deterministic pseudo-random tables with many small cells.
        let mut x: u64 = 7;
        for _ in 0..200 {
            let mut rows: Vec<Vec<u64>> = Vec::new();
            for _ in 0..6 {
                rows.push(
                    (0..5)
                        .map(|_| {
                            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                            (x >> 33) % 12
                        })
                        .collect(),
                );
            }
            let refs: Vec<&[u64]> = rows.iter().map(Vec::as_slice).collect();
            let (mut s, ids, ..) = table(&refs);
            s.run(5);
            no_lone_hidden(&s);
            for (i, r) in rows.iter().enumerate() {
                for (j, v) in r.iter().enumerate() {
                    if (1..5).contains(v) {
                        assert_eq!(s.hidden(ids[i][j]), Some(Hidden::Primary));
                    }
                }
            }
        }
    }
}
