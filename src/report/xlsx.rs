//! The theme table as an Excel workbook staff paste into reports.
//!
//! Sheet "Temi {year}": title, header, one row per topic with real numbers (counts, shares and
//! changes with their number formats), hidden cells of a published table as the text `<5` or
//! `*`, the total and the notes in italics. Sheet "Grafico": horizontal bars of the topics per
//! year, on a page of its own. Printed on A4 landscape, one page wide, the header row repeated. Sheet
//! "Esclusi": excluded mail per reason. Sheet "Info": provenance and the parameters the table was
//! built with. The document properties carry title, subject and versions, never a server path.
//!
//! Rendered to memory; the creation time (document properties and the Info sheet) is passed in,
//! so the command decides between `SOURCE_DATE_EPOCH` and now.

use rust_xlsxwriter::{
    Chart, ChartAxisCrossing, ChartFormat, ChartLegendPosition, ChartSolidFill, ChartType, ColNum, Color,
    DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, RowNum, Workbook, Worksheet, XlsxError,
};

use super::ExportError;
use super::chart::years_with_colours;
use super::enti::EntiTable;
use super::themes::{Cell, Count, Numbers, ThemeTable, grid, notes, title};
use crate::domain::ExclusionReason;

const FMT_SHARE: &str = "0.0%";
const FMT_CHANGE: &str = "+0;-0;0";
const FMT_CHANGE_PCT: &str = "+0.0%;-0.0%;0.0%";
const FMT_COUNT: &str = "#,##0";
/// Excel's paper size code for A4.
const PAPER_A4: u8 = 9;
/// Light blue fill of the header row.
const HEADER_FILL: u32 = 0xDDEBF7;

/// The table as the bytes of an `.xlsx` workbook made at `generated_at`.
pub fn to_bytes(t: &ThemeTable, generated_at: time::OffsetDateTime) -> Result<Vec<u8>, ExportError> {
    let mut wb = build_workbook(t, generated_at).map_err(ExportError::render)?;
    wb.save_to_buffer().map_err(ExportError::render)
}

/// The enti side by side as the bytes of an `.xlsx` workbook made at `generated_at`: one sheet,
/// numbers as numbers, hidden cells as `<5` or `*`, the notes under it, printed like the theme
/// table.
pub fn enti_to_bytes(t: &EntiTable, generated_at: time::OffsetDateTime) -> Result<Vec<u8>, ExportError> {
    let build = || -> Result<Workbook, XlsxError> {
        let f = Formats::new();
        let mut wb = Workbook::new();
        let title = super::enti::title(t);
        let mut props = DocProperties::new()
            .set_title(&title)
            .set_subject("Temi trattati via e-mail: enti a confronto")
            .set_author("URP - urpmail")
            .set_category("Statistiche URP");
        if let Ok(dt) = ExcelDateTime::from_timestamp(generated_at.unix_timestamp()) {
            props = props.set_creation_datetime(&dt);
        }
        wb.set_properties(&props);
        let g = super::enti::grid(t);
        let ws = wb.add_worksheet();
        ws.set_name(format!("Enti {}", t.year))?;
        ws.write_string_with_format(0, 0, &title, &f.title)?;
        let header_row: RowNum = 2;
        for (i, line) in g.iter().enumerate() {
            let row = header_row + row_num(i)?;
            let (is_head, is_total) = (i == 0, i + 1 == g.len());
            for (j, c) in line.iter().enumerate() {
                let col = col_num(j)?;
                let text = c.text(Numbers::Italian);
                match (is_head, j) {
                    (true, 0) => ws.write_string_with_format(row, col, text, &f.header_left).map(drop)?,
                    (true, _) => ws.write_string_with_format(row, col, text, &f.header).map(drop)?,
                    (false, 0) => ws
                        .write_string_with_format(
                            row,
                            col,
                            text,
                            if is_total { &f.total_label } else { &f.label },
                        )
                        .map(drop)?,
                    (false, _) => write_cell(ws, row, col, c, &f, is_total)?,
                }
            }
        }
        ws.set_freeze_panes(header_row + 1, 1)?;
        let labels = t.rows.iter().map(|r| r.label.as_str()).chain(["Totale messaggi classificati"]);
        ws.set_column_width(0, width_for(labels, 20, 60))?;
        for (j, e) in t.enti.iter().enumerate() {
            ws.set_column_width(col_num(j + 1)?, width_for(std::iter::once(e.name.as_str()), 9, 24))?;
        }
        let last = header_row + row_num(g.len())?;
        for (row, n) in (last + 1..).zip(super::enti::notes(t)) {
            ws.write_string_with_format(row, 0, &n, &f.note)?;
        }
        print_setup(ws, &title, Some(header_row))?;
        Ok(wb)
    };
    let mut wb = build().map_err(ExportError::render)?;
    wb.save_to_buffer().map_err(ExportError::render)
}

/// The sheet with the table; its name also appears in the chart's ranges.
pub(crate) fn table_sheet_name(t: &ThemeTable) -> String {
    format!("Temi {}", t.year)
}

/// Formats shared by the sheets.
struct Formats {
    title: Format,
    header: Format,
    header_left: Format,
    label: Format,
    count: Format,
    share: Format,
    change: Format,
    change_pct: Format,
    text_num: Format,
    total_label: Format,
    total_count: Format,
    total_share: Format,
    total_change: Format,
    total_change_pct: Format,
    total_text: Format,
    note: Format,
    note_indented: Format,
    subtitle: Format,
}

impl Formats {
    fn new() -> Self {
        let header = Format::new()
            .set_bold()
            .set_border_bottom(FormatBorder::Thin)
            .set_background_color(Color::RGB(HEADER_FILL))
            .set_align(FormatAlign::Right)
            .set_text_wrap();
        let total = Format::new().set_bold().set_border_top(FormatBorder::Thin);
        let right = Format::new().set_align(FormatAlign::Right);
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            header_left: header.clone().set_align(FormatAlign::Left),
            header,
            label: Format::new(),
            count: Format::new().set_num_format(FMT_COUNT),
            share: Format::new().set_num_format(FMT_SHARE),
            change: Format::new().set_num_format(FMT_CHANGE),
            change_pct: Format::new().set_num_format(FMT_CHANGE_PCT),
            text_num: right.clone(),
            total_label: total.clone(),
            total_count: total.clone().set_num_format(FMT_COUNT),
            total_share: total.clone().set_num_format(FMT_SHARE),
            total_change: total.clone().set_num_format(FMT_CHANGE),
            total_change_pct: total.clone().set_num_format(FMT_CHANGE_PCT),
            total_text: total.set_align(FormatAlign::Right),
            note: Format::new().set_italic(),
            note_indented: Format::new().set_italic().set_indent(1),
            subtitle: Format::new().set_bold(),
        }
    }
}

/// Writes a cell of the table: numbers as numbers with their format, the rest as text.
fn write_cell(
    ws: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    c: &Cell,
    f: &Formats,
    total: bool,
) -> Result<(), XlsxError> {
    let pick = |plain: &Format, bold: &'_ Format| if total { bold.clone() } else { plain.clone() };
    // Counts fit an f64 exactly up to 2^53, far beyond any mailbox.
    match c {
        Cell::Count(Count::Shown(n)) => {
            ws.write_number_with_format(row, col, *n as f64, &pick(&f.count, &f.total_count))
        }
        Cell::Share(x) => ws.write_number_with_format(row, col, *x, &pick(&f.share, &f.total_share)),
        Cell::Change(n) => {
            ws.write_number_with_format(row, col, *n as f64, &pick(&f.change, &f.total_change))
        }
        Cell::ChangePct(x) => {
            ws.write_number_with_format(row, col, *x, &pick(&f.change_pct, &f.total_change_pct))
        }
        other => ws.write_string_with_format(
            row,
            col,
            other.text(Numbers::Italian),
            &pick(&f.text_num, &f.total_text),
        ),
    }?;
    Ok(())
}

/// Column width (in characters) fitting the longest text, within limits.
fn width_for<'a>(texts: impl Iterator<Item = &'a str>, min: usize, max: usize) -> f64 {
    let longest = texts.map(|s| s.chars().count()).max().unwrap_or(0);
    (longest + 2).clamp(min, max) as f64
}

/// The workbook's document properties (no server path: the file may be published).
fn properties(t: &ThemeTable, when: time::OffsetDateTime) -> DocProperties {
    let mut props = DocProperties::new()
        .set_title(title(t))
        .set_subject("Temi trattati via e-mail dall'Ufficio Relazioni con il Pubblico")
        .set_author("URP - urpmail")
        .set_category("Statistiche URP")
        .set_keywords(format!("URP, temi, e-mail, {}", t.year))
        .set_comment(format!(
            "Tassonomia {} - regole {} - modello {}{}",
            t.provenance.taxonomy,
            t.provenance.rules_version.as_deref().unwrap_or("nessuna"),
            t.provenance.model_version.as_deref().unwrap_or("nessuno"),
            t.min_cell.map(|m| format!(" - celle sotto {m} non mostrate")).unwrap_or_default()
        ));
    if let Ok(dt) = ExcelDateTime::from_timestamp(when.unix_timestamp()) {
        props = props.set_creation_datetime(&dt);
    }
    props
}

/// A4 landscape, one page wide, the title and page numbers in the page header and footer, and
/// the table's header row (if any) on every page.
fn print_setup(ws: &mut Worksheet, title: &str, header_row: Option<RowNum>) -> Result<(), XlsxError> {
    ws.set_paper_size(PAPER_A4)
        .set_landscape()
        .set_print_fit_to_pages(1, 0)
        .set_header(format!("&L&\"-,Bold\"{}", title.replace('&', "&&")))
        .set_footer("&LURP - urpmail&RPagina &P di &N");
    if let Some(row) = header_row {
        ws.set_repeat_rows(row, row)?;
    }
    Ok(())
}

fn build_workbook(t: &ThemeTable, when: time::OffsetDateTime) -> Result<Workbook, XlsxError> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    wb.set_properties(&properties(t, when));
    let sheet = table_sheet_name(t);
    let g = grid(t);

    let ws = wb.add_worksheet();
    ws.set_name(&sheet)?;
    ws.write_string_with_format(0, 0, title(t), &f.title)?;
    let header_row: RowNum = 2;
    let first_row = header_row + 1;
    let total_row = first_row + row_num(t.rows.len())?;
    for (i, line) in g.iter().enumerate() {
        let row = header_row + row_num(i)?;
        let (is_head, is_total) = (i == 0, i + 1 == g.len());
        for (j, c) in line.iter().enumerate() {
            let col = col_num(j)?;
            match (is_head, j) {
                (true, 0) => ws
                    .write_string_with_format(row, col, c.text(Numbers::Italian), &f.header_left)
                    .map(drop)?,
                (true, _) => {
                    ws.write_string_with_format(row, col, c.text(Numbers::Italian), &f.header).map(drop)?
                }
                (false, 0) => ws
                    .write_string_with_format(
                        row,
                        col,
                        c.text(Numbers::Italian),
                        if is_total { &f.total_label } else { &f.label },
                    )
                    .map(drop)?,
                (false, _) => write_cell(ws, row, col, c, &f, is_total)?,
            }
        }
    }
    ws.set_freeze_panes(first_row, 1)?;

    // Column widths: the labels, then the numbers under their headings.
    let head = g.first().cloned().unwrap_or_default();
    let labels = t.rows.iter().map(|r| r.label.as_str()).chain(["Totale messaggi classificati"]);
    ws.set_column_width(0, width_for(labels, 20, 60))?;
    for (j, h) in head.iter().enumerate().skip(1) {
        ws.set_column_width(
            col_num(j)?,
            width_for(std::iter::once(h.text(Numbers::Italian).as_str()), 9, 16),
        )?;
    }

    // Notes under the table.
    for (row, n) in (total_row + 2..).zip(notes(t)) {
        match n.strip_prefix("  ") {
            Some(rest) => ws.write_string_with_format(row, 0, rest, &f.note_indented)?,
            None => ws.write_string_with_format(row, 0, &n, &f.note)?,
        };
    }

    print_setup(ws, &title(t), Some(header_row))?;

    chart_sheet(&mut wb, t, &f, &sheet, (header_row, first_row, total_row))?;
    excluded_sheet(&mut wb, t, &f)?;
    info_sheet(&mut wb, t, &f, when)?;
    Ok(wb)
}

/// Where the chart reads its data.
struct ChartSource {
    sheet: String,
    header_row: RowNum,
    first_row: RowNum,
    last_row: RowNum,
    /// Value column of each year, with its colour.
    series: Vec<(ColNum, u32)>,
}

/// Sheet "Grafico": the chart on a landscape page of its own. It reads the table sheet when
/// every number it draws is shown there; otherwise a block of the shown numbers under the chart
/// (hidden ones left empty, so the chart leaves a gap instead of drawing a zero).
fn chart_sheet(
    wb: &mut Workbook,
    t: &ThemeTable,
    f: &Formats,
    table_sheet: &str,
    (header_row, first_row, total_row): (RowNum, RowNum, RowNum),
) -> Result<(), XlsxError> {
    let years = years_with_colours(t);
    let value = |r: &super::themes::Row, y: i32| {
        if y == t.year { r.count } else { r.previous.get(&y.to_string()).copied().flatten() }
    };
    let shown = |r: &super::themes::Row, y: i32| value(r, y).and_then(Count::value);
    if !t.rows.iter().any(|r| years.iter().any(|(y, _)| shown(r, *y).is_some())) {
        return Ok(());
    }
    let ws = wb.add_worksheet();
    ws.set_name("Grafico")?;
    let height = chart_height(t.rows.len());
    // Rows are 20 pixels high: the block starts on the page after the chart.
    let block_title = RowNum::from(height / 20 + 2);
    let source = if t.rows.iter().all(|r| years.iter().all(|(y, _)| shown(r, *y).is_some())) {
        // Column of each year in the table: the table's year, then the first column of each
        // compared year.
        let col_of = |y: i32| -> Option<ColNum> {
            if y == t.year {
                Some(1)
            } else {
                t.compare.iter().position(|c| *c == y).and_then(|p| ColNum::try_from(3 + 3 * p).ok())
            }
        };
        ChartSource {
            sheet: table_sheet.to_string(),
            header_row,
            first_row,
            last_row: total_row - 1,
            series: years.iter().filter_map(|(y, c)| col_of(*y).map(|col| (col, *c))).collect(),
        }
    } else {
        ws.write_string_with_format(
            block_title,
            0,
            "Dati del grafico (celle non mostrate lasciate vuote)",
            &f.subtitle,
        )?;
        let block_header = block_title + 1;
        ws.write_string_with_format(block_header, 0, "Tema", &f.header_left)?;
        for (j, (y, _)) in years.iter().enumerate() {
            ws.write_string_with_format(block_header, col_num(j + 1)?, y.to_string(), &f.header)?;
        }
        for (i, r) in t.rows.iter().enumerate() {
            let brow = block_header + 1 + row_num(i)?;
            ws.write_string_with_format(brow, 0, &r.label, &f.label)?;
            for (j, (y, _)) in years.iter().enumerate() {
                if let Some(v) = shown(r, *y) {
                    write_cell(ws, brow, col_num(j + 1)?, &Cell::Count(Count::Shown(v)), f, false)?;
                }
            }
        }
        let labels = t.rows.iter().map(|r| r.label.as_str());
        ws.set_column_width(0, width_for(labels, 20, 60))?;
        ws.set_page_breaks(&[block_title])?;
        ChartSource {
            sheet: "Grafico".into(),
            header_row: block_header,
            first_row: block_header + 1,
            last_row: block_header + row_num(t.rows.len())?,
            series: years
                .iter()
                .enumerate()
                .filter_map(|(j, (_, c))| col_num(j + 1).ok().map(|col| (col, *c)))
                .collect(),
        }
    };
    ws.insert_chart(0, 0, &bar_chart(t, &source, height))?;
    print_setup(ws, &title(t), None)
}

/// The chart's height in pixels: room for every topic, within an A4 landscape page.
fn chart_height(topics: usize) -> u32 {
    (160 + 30 * u32::try_from(topics).unwrap_or(40)).min(640)
}

/// Horizontal bars, one group per topic in the table's order (largest on top), one bar per year.
fn bar_chart(t: &ThemeTable, s: &ChartSource, height: u32) -> Chart {
    let mut chart = Chart::new(ChartType::Bar);
    for (col, colour) in &s.series {
        chart
            .add_series()
            .set_name((s.sheet.as_str(), s.header_row, *col))
            .set_categories((s.sheet.as_str(), s.first_row, 0, s.last_row, 0))
            .set_values((s.sheet.as_str(), s.first_row, *col, s.last_row, *col))
            .set_format(
                ChartFormat::new().set_solid_fill(ChartSolidFill::new().set_color(Color::RGB(*colour))),
            )
            .set_gap(60);
    }
    chart.title().set_name(&format!("Temi trattati via e-mail - {}", t.year));
    // Categories top-down in the table's order; the value axis at the bottom.
    chart.y_axis().set_reverse().set_crossing(ChartAxisCrossing::Max);
    chart.x_axis().set_name("Messaggi").set_num_format("0");
    chart.legend().set_position(ChartLegendPosition::Bottom);
    chart.set_width(1000).set_height(height);
    chart
}

fn excluded_sheet(wb: &mut Workbook, t: &ThemeTable, f: &Formats) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name("Esclusi")?;
    ws.write_string_with_format(0, 0, format!("Messaggi esclusi dal conteggio nel {}", t.year), &f.title)?;
    ws.write_string_with_format(2, 0, "Motivo", &f.header_left)?;
    ws.write_string_with_format(2, 1, "Messaggi", &f.header)?;
    // Known reasons in the order reports list them, then keys this version does not know.
    let mut keys: Vec<&String> = t.excluded.keys().collect();
    keys.sort_by_key(|k| {
        ExclusionReason::ALL.iter().position(|r| r.as_str() == k.as_str()).unwrap_or(usize::MAX)
    });
    let mut row: RowNum = 3;
    let mut labels = vec!["Motivo".to_string(), "Totale esclusi".to_string()];
    for k in keys {
        let label = ExclusionReason::parse(k).map_or_else(|| k.clone(), |r| r.label_it().to_string());
        ws.write_string_with_format(row, 0, &label, &f.label)?;
        write_cell(ws, row, 1, &Cell::Count(t.excluded[k]), f, false)?;
        labels.push(label);
        row += 1;
    }
    ws.write_string_with_format(row, 0, "Totale esclusi", &f.total_label)?;
    write_cell(ws, row, 1, &Cell::Count(t.excluded_total), f, true)?;
    row += 2;
    if t.skipped != Count::Shown(0) {
        let label = "Messaggi illeggibili (scartati)";
        ws.write_string_with_format(row, 0, label, &f.label)?;
        write_cell(ws, row, 1, &Cell::Count(t.skipped), f, false)?;
        labels.push(label.to_string());
    }
    ws.set_column_width(0, width_for(labels.iter().map(String::as_str), 20, 60))?;
    ws.set_column_width(1, 12)?;
    ws.set_freeze_panes(3, 0)?;
    Ok(())
}

fn info_sheet(
    wb: &mut Workbook,
    t: &ThemeTable,
    f: &Formats,
    when: time::OffsetDateTime,
) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name("Info")?;
    let p = &t.provenance;
    let generated = when
        .format(time::macros::format_description!("[day]/[month]/[year] [hour]:[minute]:[second] UTC"))
        .unwrap_or_else(|_| "-".into());
    let compare = if t.compare.is_empty() {
        "nessuno".to_string()
    } else {
        t.compare.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    };
    let items: Vec<(&str, String)> = vec![
        ("Anno", t.year.to_string()),
        ("Anni di confronto", compare),
        ("Fonte", p.source.clone()),
        ("Tassonomia", p.taxonomy.clone()),
        ("Versione delle regole", p.rules_version.clone().unwrap_or_else(|| "nessuna".into())),
        ("Versione del modello", p.model_version.clone().unwrap_or_else(|| "nessuno".into())),
        ("Generato il", generated),
        (
            "Soglia celle piccole",
            t.min_cell.map_or_else(
                || "nessuna (tutti i valori mostrati)".into(),
                |m| format!("{m} (celle sotto la soglia mostrate come \"<{m}\")"),
            ),
        ),
        ("Corrispondenza tra tassonomie", t.mapping.clone().unwrap_or_else(|| "nessuna".into())),
        ("Versione dello schema", t.schema_version.to_string()),
    ];
    ws.write_string_with_format(0, 0, "Informazioni sulla tabella", &f.title)?;
    ws.write_string_with_format(2, 0, "Voce", &f.header_left)?;
    ws.write_string_with_format(2, 1, "Valore", &f.header_left)?;
    for (i, (k, v)) in items.iter().enumerate() {
        let row = 3 + row_num(i)?;
        ws.write_string_with_format(row, 0, *k, &f.subtitle)?;
        ws.write_string_with_format(row, 1, v, &f.label)?;
    }
    ws.set_column_width(0, width_for(items.iter().map(|(k, _)| *k), 20, 40))?;
    ws.set_column_width(1, width_for(items.iter().map(|(_, v)| v.as_str()), 20, 80))?;
    Ok(())
}

fn row_num(i: usize) -> Result<RowNum, XlsxError> {
    RowNum::try_from(i).map_err(|_| XlsxError::RowColumnLimitError)
}

fn col_num(j: usize) -> Result<ColNum, XlsxError> {
    ColNum::try_from(j).map_err(|_| XlsxError::RowColumnLimitError)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use calamine::{Data, Reader, Xlsx};

    use super::*;
    use crate::report::fixture;

    const WHEN: time::OffsetDateTime = time::macros::datetime!(2026-01-01 00:00 UTC);

    fn read(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
        Xlsx::new(Cursor::new(bytes)).expect("the workbook opens")
    }

    fn text(r: &calamine::Range<Data>, pos: (u32, u32)) -> String {
        match r.get_value(pos) {
            Some(Data::String(s)) => s.clone(),
            other => panic!("{pos:?}: expected a text, found {other:?}"),
        }
    }

    fn number(r: &calamine::Range<Data>, pos: (u32, u32)) -> f64 {
        match r.get_value(pos) {
            Some(Data::Float(x)) => *x,
            Some(Data::Int(n)) => *n as f64,
            other => panic!("{pos:?}: expected a number, found {other:?}"),
        }
    }

    #[test]
    fn the_precision_column_is_filled_on_every_row() {
        let mut t = fixture::table(None);
        let outcomes: Vec<(String, bool)> = (0..10)
            .map(|i| ("tributi".to_string(), i < 9))
            .chain([("anagrafe".to_string(), false)])
            .collect();
        t.accuracy = Some(crate::report::themes::accuracy(&outcomes));
        let mut wb = read(to_bytes(&t, WHEN).expect("rendered"));
        let r = wb.worksheet_range("Temi 2025").expect("table sheet");
        assert_eq!(text(&r, (2, 6)), "Precisione (IC 95%)");
        assert_eq!(text(&r, (3, 0)), "Tributi e tasse locali");
        assert!(
            text(&r, (3, 6)).starts_with("90,0% (") && text(&r, (3, 6)).ends_with("n=10)"),
            "{}",
            text(&r, (3, 6))
        );
        assert!(text(&r, (4, 6)).starts_with("0,0% ("), "{}", text(&r, (4, 6)));
        assert_eq!(text(&r, (5, 6)), "-", "a topic nobody reviewed");
        assert!(text(&r, (7, 6)).ends_with("n=11)"), "the total row: {}", text(&r, (7, 6)));
    }

    #[test]
    fn workbook_has_the_table_with_real_numbers() {
        let t = fixture::table(None);
        let bytes = to_bytes(&t, WHEN).expect("rendered");
        assert_eq!(to_bytes(&t, WHEN).expect("rendered again"), bytes, "same table and time, same bytes");

        let mut wb = read(bytes.clone());
        assert_eq!(wb.sheet_names(), vec!["Temi 2025", "Grafico", "Esclusi", "Info"]);
        let r = wb.worksheet_range("Temi 2025").expect("table sheet");
        assert_eq!(text(&r, (0, 0)), "Temi trattati via e-mail - anno 2025 (confronto con il 2024)");
        let head: Vec<String> = (0..6).map(|c| text(&r, (2, c))).collect();
        assert_eq!(head, ["Tema", "2025", "Quota", "2024", "Var. 2024", "Var. % 2024"]);
        // Largest first, the residual topic last.
        assert_eq!(text(&r, (3, 0)), "Tributi e tasse locali");
        assert_eq!(number(&r, (3, 1)), 40.0);
        assert!((number(&r, (3, 2)) - 40.0 / 75.0).abs() < 1e-4, "share as a fraction");
        assert_eq!(number(&r, (3, 3)), 30.0);
        assert_eq!(number(&r, (3, 4)), 10.0);
        assert!((number(&r, (3, 5)) - 1.0 / 3.0).abs() < 1e-4);
        assert_eq!(text(&r, (5, 0)), "Strade e lavori pubblici");
        assert_eq!(number(&r, (5, 1)), 3.0, "no suppression without min_cell");
        assert_eq!(number(&r, (5, 4)), -6.0);
        assert_eq!(text(&r, (6, 0)), "Altro");
        assert_eq!(text(&r, (7, 0)), "Totale messaggi classificati");
        assert_eq!(number(&r, (7, 1)), 75.0);
        assert_eq!(number(&r, (7, 2)), 1.0);
        assert_eq!(number(&r, (7, 3)), 65.0);
        assert_eq!(number(&r, (7, 4)), 10.0);
        // The notes follow in italics.
        assert_eq!(text(&r, (9, 0)), "Esclusi dal conteggio nel 2025: 20");
        let all: Vec<String> =
            r.rows().flat_map(|row| row.iter().map(ToString::to_string).collect::<Vec<_>>()).collect();
        assert!(
            all.iter().any(|c| c.starts_with("Fonte: urp.sqlite - tassonomia urp-2025 - regole regole-3")),
            "{all:?}"
        );
        assert!(!all.iter().any(|c| c.starts_with("Dati del grafico")), "no chart block without suppression");

        let styles = wb.worksheet_style("Temi 2025").expect("styles");
        let bold =
            |pos: (u32, u32)| styles.get(pos).and_then(|s| s.font.as_ref()).is_some_and(|f| f.is_bold());
        assert!(
            bold((0, 0)) && bold((2, 1)) && bold((7, 0)) && bold((7, 1)),
            "title, header and total are bold"
        );
        let fmt = |pos: (u32, u32)| {
            styles
                .get(pos)
                .and_then(|s| s.number_format.as_ref())
                .map(|n| n.format_code.clone())
                .unwrap_or_default()
        };
        assert_eq!(fmt((3, 2)), "0.0%");
        assert_eq!(fmt((3, 4)), "+0;-0;0");
        assert_eq!(fmt((3, 5)), "+0.0%;-0.0%;0.0%");
        let italic = styles.get((9, 0)).and_then(|s| s.font.as_ref()).is_some_and(|f| f.is_italic());
        assert!(italic, "notes in italics");

        let e = wb.worksheet_range("Esclusi").expect("exclusions sheet");
        assert_eq!(text(&e, (3, 0)), "Ricevute e avvisi PEC");
        assert_eq!(number(&e, (3, 1)), 8.0);
        assert_eq!(text(&e, (4, 0)), "Newsletter e posta massiva");
        assert_eq!(number(&e, (4, 1)), 11.0);
        assert_eq!(text(&e, (5, 0)), "legacy-reason", "unknown reasons keep their key");
        assert_eq!(text(&e, (6, 0)), "Totale esclusi");
        assert_eq!(number(&e, (6, 1)), 20.0);
        assert_eq!(text(&e, (8, 0)), "Messaggi illeggibili (scartati)");
        assert_eq!(number(&e, (8, 1)), 2.0);

        let i = wb.worksheet_range("Info").expect("info sheet");
        let info: Vec<(String, String)> =
            (3..13).map(|row| (text(&i, (row, 0)), text(&i, (row, 1)))).collect();
        let get = |k: &str| info.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone()).unwrap_or_default();
        assert_eq!(get("Fonte"), "urp.sqlite");
        assert_eq!(get("Tassonomia"), "urp-2025");
        assert_eq!(get("Versione delle regole"), "regole-3");
        assert_eq!(get("Versione del modello"), "nessuno");
        assert_eq!(get("Corrispondenza tra tassonomie"), "nessuna");
        assert_eq!(get("Versione dello schema"), "2");
        assert_eq!(get("Generato il"), "01/01/2026 00:00:00 UTC", "the time passed in");

        // The chart is in the package (file names are stored uncompressed in a zip).
        assert!(bytes.windows(20).any(|w| w == b"xl/charts/chart1.xml"), "a chart is embedded");
    }

    #[test]
    fn small_cells_are_written_as_text() {
        let t = fixture::table(Some(5));
        let mut wb = read(to_bytes(&t, WHEN).expect("rendered"));
        let r = wb.worksheet_range("Temi 2025").expect("table sheet");
        assert_eq!(text(&r, (5, 0)), "Strade e lavori pubblici");
        assert_eq!(text(&r, (5, 1)), "<5");
        assert_eq!(text(&r, (5, 2)), "-");
        assert_eq!(number(&r, (5, 3)), 9.0, "its 2024 count of 9 is shown");
        assert_eq!(text(&r, (5, 4)), "-", "the change would give 2025 away");
        assert_eq!(text(&r, (6, 0)), "Altro");
        assert_eq!(text(&r, (6, 1)), "*", "hidden so that 2025's small cell cannot be derived");
        assert_eq!(number(&r, (7, 1)), 75.0, "the total still counts every message");
        let numbers: Vec<f64> = r
            .used_cells()
            .filter_map(|(_, _, d)| match d {
                Data::Float(x) => Some(*x),
                Data::Int(n) => Some(*n as f64),
                _ => None,
            })
            .collect();
        assert!(!numbers.contains(&3.0) && !numbers.contains(&7.0), "no hidden number leaks: {numbers:?}");
        // The chart reads a block of the shown numbers, hidden ones left empty, on its sheet.
        let r = wb.worksheet_range("Grafico").expect("chart sheet");
        let block = r
            .used_cells()
            .find(|(_, _, d)| d.to_string().starts_with("Dati del grafico"))
            .map(|(row, _, _)| row);
        let block =
            u32::try_from(block.expect("chart data block")).expect("row fits") + r.start().map_or(0, |s| s.0);
        assert_eq!(text(&r, (block + 1, 1)), "2024");
        assert_eq!(text(&r, (block + 1, 2)), "2025");
        assert_eq!(text(&r, (block + 2, 0)), "Tributi e tasse locali");
        assert_eq!(number(&r, (block + 2, 2)), 40.0);
        assert_eq!(text(&r, (block + 4, 0)), "Strade e lavori pubblici");
        assert_eq!(number(&r, (block + 4, 1)), 9.0);
        assert!(matches!(r.get_value((block + 4, 2)), None | Some(Data::Empty)), "hidden: a gap, not a zero");

        let i = wb.worksheet_range("Info").expect("info sheet");
        assert_eq!(text(&i, (10, 1)), "5 (celle sotto la soglia mostrate come \"<5\")");
    }

    /// The parts of the workbook's zip, as text.
    fn part(bytes: &[u8], name: &str) -> String {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
        let mut s = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).expect("the part"), &mut s).expect("text");
        s
    }

    #[test]
    fn the_table_prints_on_a4_landscape_one_page_wide_with_the_chart_on_a_sheet_of_its_own() {
        let t = fixture::table(None);
        let bytes = to_bytes(&t, WHEN).expect("rendered");
        let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(sheet.contains(r#"<pageSetUpPr fitToPage="1"/>"#), "{sheet}");
        assert!(
            sheet.contains(r#"paperSize="9""#) && sheet.contains(r#"orientation="landscape""#),
            "{sheet}"
        );
        assert!(sheet.contains(r#"fitToHeight="0""#), "as many pages high as needed: {sheet}");
        assert!(sheet.contains("<oddFooter>") && sheet.contains("Pagina &amp;P di &amp;N"), "{sheet}");
        let chart = part(&bytes, "xl/worksheets/sheet2.xml");
        assert!(chart.contains(r#"orientation="landscape""#) && chart.contains("<drawing "), "{chart}");
        let published = to_bytes(&fixture::table(Some(5)), WHEN).expect("rendered");
        let chart = part(&published, "xl/worksheets/sheet2.xml");
        assert!(chart.contains("<rowBreaks"), "the chart's data block on a page after the chart: {chart}");
        let book = part(&bytes, "xl/workbook.xml");
        assert!(
            book.contains("_xlnm.Print_Titles") && book.contains("'Temi 2025'!$3:$3"),
            "header row repeated: {book}"
        );
        let core = part(&bytes, "docProps/core.xml");
        assert!(core.contains("<dc:title>Temi trattati via e-mail - anno 2025"), "{core}");
        assert!(core.contains("<dc:creator>URP - urpmail</dc:creator>"), "{core}");
        assert!(!core.contains("urp.sqlite"), "no store path in the properties: {core}");
    }

    #[test]
    fn breakdown_columns_follow_the_grid() {
        let t = fixture::table_by(None, Some(crate::report::themes::By::Month));
        let mut wb = read(to_bytes(&t, WHEN).expect("rendered"));
        let r = wb.worksheet_range("Temi 2025").expect("table sheet");
        let head: Vec<String> = (6..10).map(|c| text(&r, (2, c))).collect();
        assert_eq!(head, ["gen", "apr", "lug", "dic"]);
        assert_eq!(text(&r, (3, 0)), "Tributi e tasse locali");
        assert_eq!(number(&r, (3, 6)), 40.0, "tributi in January");
        assert_eq!(number(&r, (3, 9)), 0.0);
        assert_eq!(number(&r, (4, 9)), 25.0, "anagrafe in December");
        assert_eq!(number(&r, (7, 7)), 3.0, "April's total");
    }
}
