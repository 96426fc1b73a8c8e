//! The review file as text, for messages that point staff to a line: the UTF-8 byte-order mark
//! Notepad adds, the typographic quotes a word processor puts where JSON needs straight ones,
//! and the line of each key of each item (serde's values carry no positions).

/// The byte-order mark some editors (Windows Notepad) write at the start of a UTF-8 file.
const BOM: char = '\u{feff}';

/// Quotes a word processor may type instead of `"` (or `'`): they are never JSON syntax.
pub const TYPOGRAPHIC_QUOTES: &[char] = &['“', '”', '„', '‟', '‘', '’', '‚', '‛', '«', '»'];

/// The text without its byte-order mark.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix(BOM).unwrap_or(text)
}

/// A character's place in the text: line and column, both from 1, the column in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub ch: char,
}

/// The typographic quote that broke a file JSON could not read (its error at `error_line`):
/// the first one outside a string, where a key or a value should start or end; else one on the
/// error line or the line before it that stands next to JSON punctuation (a value whose closing
/// quote was replaced runs on to the end of the line: `"Anna”,`). Only text up to the error line
/// is looked at: what follows cannot have caused it. Quotes inside string values (a note that
/// quotes a citizen, an apostrophe in `l’ufficio`) are text, not syntax, and are not named.
pub fn stray_typographic_quote(text: &str, error_line: usize) -> Option<Position> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut in_string = false;
    let mut escaped = false;
    let mut near_error = None;
    for p in positions(text).take_while(|p| p.line <= error_line) {
        let c = p.ch;
        let typographic = TYPOGRAPHIC_QUOTES.contains(&c);
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' || c == '\n' {
                // A raw newline cannot be in a JSON string: read on as if it had closed.
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if typographic {
            return Some(p);
        }
        if typographic && near_error.is_none() && p.line + 1 >= error_line && next_to_syntax(&lines, p) {
            near_error = Some(p);
        }
    }
    near_error
}

/// True when the characters around `p` on its line, spaces aside, are JSON punctuation or the
/// line's ends: where a quote of a key or value would be.
fn next_to_syntax(lines: &[&str], p: Position) -> bool {
    let Some(line) = lines.get(p.line - 1) else { return false };
    let chars: Vec<char> = line.chars().collect();
    let at = p.column - 1;
    let before = chars[..at.min(chars.len())].iter().rev().find(|c| !c.is_whitespace());
    let after = chars.get(at + 1..).unwrap_or(&[]).iter().find(|c| !c.is_whitespace());
    matches!(before, None | Some(':' | '[' | '{' | ','))
        || matches!(after, None | Some(',' | ':' | '}' | ']'))
}

/// The character column of byte column `byte_column` (from 1, as serde_json counts) on `line`.
pub fn char_column(text: &str, line: usize, byte_column: usize) -> usize {
    let Some(l) = text.split('\n').nth(line.saturating_sub(1)) else { return byte_column };
    let mut end = byte_column.min(l.len());
    while !l.is_char_boundary(end) {
        end -= 1;
    }
    l[..end].chars().count().max(1)
}

fn positions(text: &str) -> impl Iterator<Item = Position> + '_ {
    let (mut line, mut column) = (1, 0);
    text.chars().map(move |ch| {
        column += 1;
        let p = Position { line, column, ch };
        if ch == '\n' {
            line += 1;
            column = 0;
        }
        p
    })
}

/// The lines of the keys of a review file: its top-level keys and, per item of `items`, where
/// the item starts and where each of its keys is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyLines {
    root: Vec<(String, usize)>,
    items: Vec<ItemLines>,
}

/// Where an item starts and the line of each of its keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemLines {
    start: usize,
    keys: Vec<(String, usize)>,
}

impl ItemLines {
    /// The line where the item starts (its `{`).
    pub fn start(&self) -> usize {
        self.start
    }

    /// The line of `key` in the item, else the line where the item starts.
    pub fn line_of(&self, key: &str) -> usize {
        self.keys.iter().find(|k| k.0 == key).map_or(self.start, |k| k.1)
    }
}

/// An open container while scanning.
enum Frame {
    Object { key: Option<String>, expect_key: bool },
    Array { index: usize },
}

impl KeyLines {
    /// Scans the text of a file that is valid JSON (on other text the lines found may be wrong,
    /// never a panic).
    pub fn scan(text: &str) -> KeyLines {
        let mut lines = KeyLines::default();
        let mut stack: Vec<Frame> = Vec::new();
        let mut chars = positions(text);
        while let Some(p) = chars.next() {
            match p.ch {
                '"' => {
                    let s = read_string(&mut chars);
                    lines.key_read(&mut stack, s, p.line);
                }
                '{' => {
                    if let Some(i) = item_index(&stack) {
                        if lines.items.len() <= i {
                            lines.items.resize_with(i + 1, ItemLines::default);
                        }
                        lines.items[i].start = p.line;
                    }
                    stack.push(Frame::Object { key: None, expect_key: true });
                }
                '[' => stack.push(Frame::Array { index: 0 }),
                '}' | ']' => {
                    stack.pop();
                }
                ',' => match stack.last_mut() {
                    Some(Frame::Object { expect_key, .. }) => *expect_key = true,
                    Some(Frame::Array { index }) => *index += 1,
                    None => {}
                },
                _ => {}
            }
        }
        lines
    }

    /// Records a string just read when it is a key of the root or of an item.
    fn key_read(&mut self, stack: &mut [Frame], s: String, line: usize) {
        let depth = stack.len();
        let in_item = depth == 3 && item_index(&stack[..2]).is_some();
        let item = if in_item { item_index(&stack[..2]) } else { None };
        let Some(Frame::Object { key, expect_key }) = stack.last_mut() else { return };
        if !*expect_key {
            return;
        }
        *expect_key = false;
        if depth == 1 {
            self.root.push((s.clone(), line));
        } else if let Some(i) = item
            && let Some(it) = self.items.get_mut(i)
        {
            it.keys.push((s.clone(), line));
        }
        *key = Some(s);
    }

    /// The line of a top-level key.
    pub fn root_key(&self, key: &str) -> Option<usize> {
        self.root.iter().find(|k| k.0 == key).map(|k| k.1)
    }

    /// The lines of item `index` (from 0).
    pub fn item(&self, index: usize) -> Option<&ItemLines> {
        self.items.get(index)
    }
}

/// The index of the item whose object starts next, when the stack is inside `items`' array.
fn item_index(stack: &[Frame]) -> Option<usize> {
    match stack {
        [Frame::Object { key: Some(k), .. }, Frame::Array { index }] if k == "items" => Some(*index),
        _ => None,
    }
}

/// Reads a JSON string after its opening quote, up to its closing quote; escapes are kept as
/// written except `\"` and `\\` (a key is compared as written).
fn read_string(chars: &mut impl Iterator<Item = Position>) -> String {
    let mut s = String::new();
    let mut escaped = false;
    for p in chars.by_ref() {
        match (escaped, p.ch) {
            (true, c) => {
                s.push(c);
                escaped = false;
            }
            (false, '\\') => escaped = true,
            (false, '"') => break,
            (false, c) => s.push(c),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::{KeyLines, Position, char_column, stray_typographic_quote, strip_bom};

    const FILE: &str = r#"{
  "schema_version": 1,
  "items": [
    {
      "id": "a",
      "note": "il cittadino scrive \"corrected_topic\": no, { [",
      "corrected_topic": "tributi"
    },
    {"id": "b", "rules": ["x", "y"], "top_topics": [{"topic": "t", "score": 1}],
      "corrected_topic": null,
      "tipologia": "reclamo"}
  ],
  "reviewer": "Anna"
}"#;

    #[test]
    fn key_lines_follow_items_and_ignore_strings_and_nested_objects() {
        let lines = KeyLines::scan(FILE);
        assert_eq!(lines.root_key("schema_version"), Some(2));
        assert_eq!(lines.root_key("items"), Some(3));
        assert_eq!(lines.root_key("reviewer"), Some(13));
        assert_eq!(lines.root_key("id"), None, "item keys are not top-level keys");
        let first = lines.item(0).expect("item 1");
        assert_eq!((first.line_of("id"), first.line_of("corrected_topic")), (5, 7));
        assert_eq!(first.line_of("tipologia"), 4, "a key not there: where the item starts");
        let second = lines.item(1).expect("item 2");
        assert_eq!(
            (second.line_of("id"), second.line_of("corrected_topic"), second.line_of("tipologia")),
            (9, 10, 11)
        );
        assert_eq!(second.line_of("topic"), 9, "a nested object's keys are not the item's");
        assert!(lines.item(2).is_none());
        // Text that is not JSON at all gives no lines, and no panic.
        assert_eq!(KeyLines::scan("}}]] \"\\"), KeyLines::default());
    }

    #[test]
    fn typographic_quotes_as_syntax_are_found_and_inside_strings_are_not() {
        let word = "{\n  \"schema_version\": 1,\n  “items”: []\n}";
        assert_eq!(stray_typographic_quote(word, 3), Some(Position { line: 3, column: 3, ch: '“' }));
        // A value whose closing quote became typographic: found on the error line.
        let half = "{\n  \"reviewer\": \"Anna”,\n  \"items\": []\n}";
        assert_eq!(stray_typographic_quote(half, 2).map(|p| (p.line, p.column)), Some((2, 20)));
        assert_eq!(stray_typographic_quote(half, 3).map(|p| p.line), Some(2), "or on the line before");
        // In a note they are text: nothing to name when the error is elsewhere, even next to it.
        let note = "{\n  \"note\": \"ha scritto “urgente” e l’ha firmata\",\n  \"items\": [\n}";
        assert_eq!(stray_typographic_quote(note, 4), None);
        assert_eq!(stray_typographic_quote(note, 3), None);
        // What follows the error did not cause it.
        let after = "{\n  \"a\" 1,\n  “b”: 2\n}";
        assert_eq!(stray_typographic_quote(after, 2), None);
        assert_eq!(stray_typographic_quote(after, 3).map(|p| p.line), Some(3));
    }

    #[test]
    fn columns_count_characters_and_the_bom_is_dropped() {
        assert_eq!(strip_bom("\u{feff}{}"), "{}");
        assert_eq!(strip_bom("{}"), "{}");
        let text = "a\n\"città\": x";
        assert_eq!(char_column(text, 2, 11), 10, "à is two bytes");
        assert_eq!(char_column(text, 9, 4), 4, "no such line: as given");
    }
}
