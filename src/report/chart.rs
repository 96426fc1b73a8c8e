//! The theme table as a horizontal bar chart, rendered to memory as SVG or PNG.
//!
//! One group per topic (largest first, as in the table), one bar per year. A count hidden in a
//! published table is written as in the table (`<5`, `*`) where its bar would start; the caption
//! explains the marks. The chart is laid out here rather than with plotters'
//! `ChartBuilder`, whose captions and axis labels measure text with a registered font: the SVG
//! only writes `<text>` elements and so needs no font at all. The PNG rasterises text with the
//! DejaVu Sans bytes the caller passes in ([`Fonts`]); nothing here reads a file.

use std::sync::{Mutex, PoisonError};

use image::ImageEncoder;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::ExportError;
use super::themes::{Count, MESI, Row, ThemeTable};

/// Font family name used for every text; the PNG's font is registered under it.
const FAMILY: &str = "sans-serif";
/// Colour of the table's year.
const MAIN_COLOUR: u32 = 0x1F4E79;
/// Colours of the compared years, in turn.
const OTHER_COLOURS: [u32; 5] = [0x9DC3E6, 0xF4B183, 0xA9D18E, 0xFFD966, 0xB4A7D6];

/// A TrueType font's bytes, with a name (its file, as the caller found it) for error messages.
#[derive(Clone)]
pub struct Font {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Font {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Font").field("name", &self.name).field("bytes", &self.bytes.len()).finish()
    }
}

/// The PNG's fonts: DejaVu Sans and, when the caller has it, its bold face (without it, bold
/// text falls back to the regular face).
#[derive(Debug, Clone)]
pub struct Fonts {
    pub regular: Font,
    pub bold: Option<Font>,
}

/// The years drawn, oldest first, each with its colour (the table's year in dark blue).
/// Shared with the workbook's chart so both look alike.
pub(crate) fn years_with_colours(t: &ThemeTable) -> Vec<(i32, u32)> {
    let mut others = OTHER_COLOURS.iter().cycle();
    let mut years: Vec<(i32, u32)> = std::iter::once((t.year, MAIN_COLOUR))
        .chain(
            t.compare
                .iter()
                .filter(|y| **y != t.year)
                .map(|y| (*y, *others.next().unwrap_or(&OTHER_COLOURS[0]))),
        )
        .collect();
    years.sort_by_key(|(y, _)| *y);
    years.dedup_by_key(|(y, _)| *y);
    years
}

/// The chart as an SVG document.
pub fn svg(t: &ThemeTable) -> Result<String, ExportError> {
    let layout = Layout::new(t);
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (layout.width, layout.height)).into_drawing_area();
        draw(&root, &layout).map_err(ExportError::render)?;
        root.present().map_err(ExportError::render)?;
    }
    Ok(out)
}

/// The chart as a PNG image, its text drawn with `fonts`.
///
/// plotters keeps fonts for the whole process: the first call registers `fonts`, later calls
/// draw with those whatever they pass.
pub fn png(t: &ThemeTable, fonts: &Fonts) -> Result<Vec<u8>, ExportError> {
    ensure_font(fonts)?;
    let layout = Layout::new(t);
    let (w, h) = (layout.width, layout.height);
    let len = usize::try_from(u64::from(w) * u64::from(h) * 3)
        .map_err(|_| ExportError::Render(format!("a {w}x{h} image does not fit in memory")))?;
    let mut pixels = vec![0u8; len];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        draw(&root, &layout).map_err(ExportError::render)?;
        root.present().map_err(ExportError::render)?;
    }
    // The same encoder, with the same settings, plotters uses when it saves a PNG file itself.
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&pixels, w, h, image::ColorType::Rgb8)
        .map_err(ExportError::render)?;
    Ok(out)
}

/// Whether the PNG font has been registered with plotters (once per process).
static FONT_READY: Mutex<bool> = Mutex::new(false);

/// Registers the PNG fonts with plotters, unless done before.
fn ensure_font(fonts: &Fonts) -> Result<(), ExportError> {
    let mut ready = FONT_READY.lock().unwrap_or_else(PoisonError::into_inner);
    if *ready {
        return Ok(());
    }
    register(&fonts.regular, FontStyle::Normal)?;
    if let Some(bold) = &fonts.bold {
        register(bold, FontStyle::Bold)?;
    }
    *ready = true;
    Ok(())
}

fn register(font: &Font, style: FontStyle) -> Result<(), ExportError> {
    // plotters keeps fonts for the whole process and wants 'static bytes: leaked once, guarded
    // by FONT_READY.
    let bytes: &'static [u8] = Box::leak(font.bytes.clone().into_boxed_slice());
    plotters::style::register_font(FAMILY, style, bytes).map_err(|_| ExportError::Font(font.name.clone()))
}

// Geometry, in pixels (font sizes are plotters' sizes: the SVG writes them divided by 1.24).
const WIDTH: u32 = 1000;
const MARGIN: i32 = 24;
const TITLE_SIZE: f64 = 26.0;
const SUBTITLE_SIZE: f64 = 17.0;
const LABEL_SIZE: f64 = 16.0;
const VALUE_SIZE: f64 = 14.0;
const CAPTION_SIZE: f64 = 14.0;
const BAR_H: i32 = 16;
const BAR_GAP: i32 = 2;
const GROUP_GAP: i32 = 14;
const LINE_H: i32 = 20;
/// Average character width, as a fraction of the font size.
const CHAR_W: f64 = 0.47;

/// Rough text width for layout: DejaVu Sans averages a little under half the plotters size per
/// character (measured on Italian labels, with room for capitals and wide letters).
fn text_width(s: &str, size: f64) -> i32 {
    (s.chars().count() as f64 * size * CHAR_W).ceil() as i32
}

/// Shortens `s` with an ellipsis to fit `width` pixels.
fn fit(s: &str, size: f64, width: i32) -> String {
    if text_width(s, size) <= width {
        return s.to_string();
    }
    let keep = ((f64::from(width) / (size * CHAR_W)) as usize).saturating_sub(1);
    let mut out: String = s.chars().take(keep).collect();
    out.push('…');
    out
}

/// Breaks `s` into lines of at most `width` pixels, at spaces.
fn wrap(s: &str, size: f64, width: i32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if text_width(&candidate, size) > width && !line.is_empty() {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A "nice" tick step (1, 2 or 5 times a power of ten) giving about five ticks up to `max`.
fn tick_step(max: u64) -> u64 {
    let rough = (max as f64 / 5.0).max(1.0);
    let pow = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * pow).find(|s| *s >= rough).unwrap_or(10.0 * pow);
    (step as u64).max(1)
}

/// One topic group.
struct Group {
    label: String,
    /// Bar per year, in the order of [`Layout::years`].
    values: Vec<Bar>,
}

/// A bar: its value, or the text shown instead (`<5`, `*`, `nessun dato`).
enum Bar {
    Value(u64),
    Hidden(String),
}

/// A topic's count in one of the table's years (`None`: that year has no data).
fn value(t: &ThemeTable, r: &Row, y: i32) -> Option<Count> {
    if y == t.year { r.count } else { r.previous.get(&y.to_string()).copied().flatten() }
}

/// Everything to draw, measured.
struct Layout {
    width: u32,
    height: u32,
    title: String,
    subtitle: String,
    years: Vec<(i32, RGBColor)>,
    groups: Vec<Group>,
    caption: Vec<String>,
    /// Left edge of the bars (right edge of the topic labels).
    plot_left: i32,
    plot_right: i32,
    plot_top: i32,
    axis_max: u64,
    step: u64,
}

impl Layout {
    fn new(t: &ThemeTable) -> Self {
        let years: Vec<(i32, RGBColor)> = years_with_colours(t)
            .into_iter()
            .map(|(y, c)| (y, RGBColor((c >> 16) as u8, (c >> 8) as u8, c as u8)))
            .collect();
        let width = WIDTH as i32;
        let label_max = width * 9 / 20;
        // Every topic with a number to draw; a hidden or missing one is written where its bar
        // would start.
        let drawn: Vec<&Row> = t
            .rows
            .iter()
            .filter(|r| years.iter().any(|(y, _)| value(t, r, *y).and_then(Count::value).is_some()))
            .collect();
        let label_w =
            drawn.iter().map(|r| text_width(&r.label, LABEL_SIZE)).max().unwrap_or(0).min(label_max);
        let groups: Vec<Group> = drawn
            .iter()
            .map(|r| Group {
                label: fit(&r.label, LABEL_SIZE, label_max),
                values: years
                    .iter()
                    .map(|(y, _)| match value(t, r, *y) {
                        Some(Count::Shown(n)) => Bar::Value(n),
                        Some(c) => Bar::Hidden(c.text()),
                        None => Bar::Hidden("nessun dato".into()),
                    })
                    .collect(),
            })
            .collect();
        let max = groups
            .iter()
            .flat_map(|g| g.values.iter().filter_map(|b| if let Bar::Value(v) = b { Some(*v) } else { None }))
            .max()
            .unwrap_or(0)
            .max(1);
        let step = tick_step(max);
        let axis_max = max.div_ceil(step) * step;

        let total_text = |c: Option<Count>| c.map_or_else(|| "nessun dato".into(), Count::text);
        let others: Vec<String> = years
            .iter()
            .filter(|(y, _)| *y != t.year)
            .map(|(y, _)| {
                format!("{y}: {}", total_text(t.previous_totals.get(&y.to_string()).copied().flatten()))
            })
            .collect();
        let subtitle = if others.is_empty() {
            format!("Totale messaggi classificati: {}", total_text(t.total))
        } else {
            format!("Totale messaggi classificati: {} (confronto {})", total_text(t.total), others.join(", "))
        };

        let mut notes = Vec::new();
        let hidden: Vec<&str> = t
            .rows
            .iter()
            .filter(|r| !drawn.iter().any(|d| d.topic == r.topic))
            .map(|r| r.label.as_str())
            .collect();
        if let Some(m) = t.min_cell {
            notes.push(format!("\"<{m}\": meno di {m} messaggi, non mostrati per la riservatezza."));
            if t.secondary_suppression {
                notes.push(format!(
                    "\"*\": non mostrato perché, con i totali, permetterebbe di ricavare una cella con meno di {m} messaggi."
                ));
            }
        }
        if !hidden.is_empty() {
            notes.push(format!("Senza alcun numero da mostrare: {}.", hidden.join(", ")));
        }
        if let Some(m) = &t.mapping {
            notes.push(format!("Anni di confronto riclassificati con la corrispondenza {m}."));
        }
        for p in &t.partial {
            let mese = |m: u8| MESI[usize::from(m.clamp(1, 12) - 1)];
            notes.push(format!(
                "Il {} e' parziale (dati da {} a {}).",
                p.year,
                mese(p.first_month),
                mese(p.last_month)
            ));
        }
        notes.push(format!("Fonte: {} - tassonomia {}", t.provenance.source, t.provenance.taxonomy));
        let caption: Vec<String> =
            notes.iter().flat_map(|n| wrap(n, CAPTION_SIZE, width - 2 * MARGIN)).collect();

        let plot_left = MARGIN + label_w + 12;
        // Room at the right for the value after the longest bar.
        let plot_right = width - MARGIN - text_width(&axis_max.to_string(), VALUE_SIZE) - 12;
        // Title, subtitle, legend.
        let plot_top = MARGIN + 34 + 26 + 30;
        let n_years = years.len().max(1) as i32;
        let group_h = n_years * BAR_H + (n_years - 1) * BAR_GAP + GROUP_GAP;
        let plot_h = (groups.len().max(1) as i32) * group_h;
        let height = plot_top + plot_h + 28 + 10 + caption.len() as i32 * LINE_H + MARGIN;
        Layout {
            width: WIDTH,
            height: u32::try_from(height).unwrap_or(1).max(1),
            title: format!("Temi trattati via e-mail - {}", t.year),
            subtitle,
            years,
            groups,
            caption,
            plot_left,
            plot_right,
            plot_top,
            axis_max,
            step,
        }
    }

    fn group_h(&self) -> i32 {
        let n = self.years.len().max(1) as i32;
        n * BAR_H + (n - 1) * BAR_GAP + GROUP_GAP
    }

    fn plot_bottom(&self) -> i32 {
        self.plot_top + (self.groups.len().max(1) as i32) * self.group_h()
    }

    fn x(&self, v: u64) -> i32 {
        let span = f64::from(self.plot_right - self.plot_left);
        self.plot_left + (v as f64 / self.axis_max as f64 * span).round() as i32
    }
}

fn text_style(size: f64, colour: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&colour).pos(Pos::new(h, v))
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &Layout,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let black = RGBColor(0x20, 0x20, 0x20);
    let grey = RGBColor(0x60, 0x60, 0x60);
    let grid = RGBColor(0xDD, 0xDD, 0xDD);
    root.fill(&WHITE)?;

    // Title and total.
    let title =
        (FAMILY, TITLE_SIZE, FontStyle::Bold).into_font().color(&black).pos(Pos::new(HPos::Left, VPos::Top));
    root.draw(&Text::new(l.title.clone(), (MARGIN, MARGIN), title))?;
    root.draw(&Text::new(
        l.subtitle.clone(),
        (MARGIN, MARGIN + 34),
        text_style(SUBTITLE_SIZE, grey, HPos::Left, VPos::Top),
    ))?;

    // Legend: a swatch and the year for each bar colour.
    let mut x = MARGIN;
    let legend_y = MARGIN + 34 + 26 + 4;
    for (y, c) in &l.years {
        root.draw(&Rectangle::new([(x, legend_y), (x + 14, legend_y + 14)], c.filled()))?;
        let s = y.to_string();
        root.draw(&Text::new(
            s.clone(),
            (x + 20, legend_y + 7),
            text_style(LABEL_SIZE, black, HPos::Left, VPos::Center),
        ))?;
        x += 20 + text_width(&s, LABEL_SIZE) + 24;
    }

    // Grid and axis values.
    let bottom = l.plot_bottom();
    let mut v = 0;
    while v <= l.axis_max {
        let gx = l.x(v);
        root.draw(&PathElement::new(vec![(gx, l.plot_top - 4), (gx, bottom)], grid))?;
        root.draw(&Text::new(
            v.to_string(),
            (gx, bottom + 6),
            text_style(VALUE_SIZE, grey, HPos::Center, VPos::Top),
        ))?;
        v += l.step;
    }
    root.draw(&PathElement::new(vec![(l.plot_left, l.plot_top - 4), (l.plot_left, bottom)], black))?;

    // Bars.
    if l.groups.is_empty() {
        root.draw(&Text::new(
            "Nessun tema da mostrare".to_string(),
            (l.plot_left + 10, l.plot_top + l.group_h() / 2),
            text_style(LABEL_SIZE, grey, HPos::Left, VPos::Center),
        ))?;
    }
    for (i, g) in l.groups.iter().enumerate() {
        let top = l.plot_top + i as i32 * l.group_h();
        let bars_h = l.group_h() - GROUP_GAP;
        root.draw(&Text::new(
            g.label.clone(),
            (l.plot_left - 12, top + bars_h / 2),
            text_style(LABEL_SIZE, black, HPos::Right, VPos::Center),
        ))?;
        for (j, ((_, c), bar)) in l.years.iter().zip(&g.values).enumerate() {
            let y0 = top + j as i32 * (BAR_H + BAR_GAP);
            let (x1, text) = match bar {
                Bar::Value(v) => {
                    let x1 = l.x(*v);
                    root.draw(&Rectangle::new([(l.plot_left, y0), (x1, y0 + BAR_H)], c.filled()))?;
                    (x1, v.to_string())
                }
                Bar::Hidden(text) => (l.plot_left, text.clone()),
            };
            root.draw(&Text::new(
                text,
                (x1 + 4, y0 + BAR_H / 2),
                text_style(VALUE_SIZE, black, HPos::Left, VPos::Center),
            ))?;
        }
    }

    // Caption.
    let mut cy = bottom + 28 + 10;
    for line in &l.caption {
        root.draw(&Text::new(
            line.clone(),
            (MARGIN, cy),
            text_style(CAPTION_SIZE, grey, HPos::Left, VPos::Top),
        ))?;
        cy += LINE_H;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    /// `fill` attributes of the SVG's `<rect>` elements.
    fn rect_fills(svg: &str) -> Vec<String> {
        svg.split("<rect")
            .skip(1)
            .filter_map(|r| r.split("fill=\"").nth(1).and_then(|f| f.split('"').next()).map(str::to_string))
            .collect()
    }

    #[test]
    fn svg_has_a_bar_per_topic_and_year_and_needs_no_font() {
        let svg = svg(&fixture::table(None)).expect("rendered");
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("Temi trattati via e-mail - 2025"), "{svg}");
        assert!(svg.contains("Totale messaggi classificati: 75 (confronto 2024: 65)"), "{svg}");
        for label in
            ["Tributi e tasse locali", "Anagrafe e stato civile", "Strade e lavori pubblici", "Altro"]
        {
            assert!(svg.contains(label), "{label} in {svg}");
        }
        assert!(svg.contains(">\n2024\n<") || svg.contains(">2024<"), "legend year 2024");
        // Largest first: the labels appear in the table's order.
        let at = |s: &str| svg.find(s).unwrap_or(usize::MAX);
        assert!(at("Tributi e tasse locali") < at("Anagrafe e stato civile"));
        assert!(at("Anagrafe e stato civile") < at("Altro"));
        // Four topics, one bar per year each, plus the legend's swatch.
        let fills = rect_fills(&svg);
        assert_eq!(fills.iter().filter(|f| *f == "#1F4E79").count(), 4 + 1, "2025: {fills:?}");
        assert_eq!(fills.iter().filter(|f| *f == "#9DC3E6").count(), 4 + 1, "2024: {fills:?}");
        assert!(!svg.contains("Non mostrati"), "nothing suppressed");
        assert!(svg.trim_end().ends_with("</svg>"), "the document is closed");
    }

    #[test]
    fn hidden_counts_are_written_where_their_bar_would_be() {
        // 2025: strade 3 is small, so altro's 7 is hidden too (the column has a total).
        let svg = svg(&fixture::table(Some(5))).expect("rendered");
        let fills = rect_fills(&svg);
        assert_eq!(fills.iter().filter(|f| *f == "#1F4E79").count(), 2 + 1, "2025 bars: {fills:?}");
        assert_eq!(fills.iter().filter(|f| *f == "#9DC3E6").count(), 4 + 1, "2024 bars: {fills:?}");
        assert!(svg.contains("Strade e lavori pubblici") && svg.contains("&lt;5"), "{svg}");
        assert!(svg.contains("meno di 5 messaggi, non mostrati per la riservatezza"), "{svg}");
        assert!(svg.contains("permetterebbe di ricavare una cella"), "{svg}");
        assert!(!svg.contains(">\n3\n<") && !svg.contains(">\n7\n<"), "no hidden number leaks: {svg}");
    }

    #[test]
    fn png_is_drawn_with_the_fonts_passed_in() {
        let Some(fonts) = fixture::system_fonts() else {
            return;
        };
        let bytes = png(&fixture::table(Some(5)), &fonts).expect("rendered");
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "PNG signature");
        let img = image::load_from_memory(&bytes).expect("decodes").to_rgb8();
        assert_eq!(img.width(), WIDTH);
        let dark = img.pixels().filter(|p| p.0.iter().all(|c| *c < 0x40)).count();
        let main = img.pixels().filter(|p| p.0 == [0x1F, 0x4E, 0x79]).count();
        assert!(dark > 2000, "text is drawn: {dark} dark pixels");
        assert!(main > 3 * 500, "the 2025 bars are drawn: {main} pixels");
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(tick_step(1), 1);
        assert_eq!(tick_step(7), 2);
        assert_eq!(tick_step(40), 10);
        assert_eq!(tick_step(1234), 500);
    }
}
