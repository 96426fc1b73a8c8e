//! The checks of a filled-in review file before `learn` changes anything, with their messages
//! for staff in Italian: each names the file, the item and its line, and the fix, and ends with
//! "nessuna modifica è stata applicata". Topics and tipologie are matched by
//! [`crate::report::review::names`]; what a correction stores is always the canonical id.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::Args;
use crate::commands::{Error, store_error};
use crate::report::review::json_text::{KeyLines, char_column, stray_typographic_quote, strip_bom};
use crate::report::review::names::{Name, Names};
use crate::report::review::{FILE_FIELDS, ITEM_FIELDS, REVIEW_SCHEMA_VERSION, ReviewFile, STAFF_FIELDS};
use crate::store::{Correction, Store};

/// How every refusal of a review file ends.
pub const NOTHING_APPLIED: &str = "nessuna modifica è stata applicata";

/// The most problems listed in one message.
const MAX_LISTED: usize = 20;

/// A one-problem refusal of the file.
fn invalid(file: &Path, msg: &str) -> Error {
    Error::Input(format!("{}: {msg}; {NOTHING_APPLIED}", file.display()))
}

/// Reads and validates a review file against the store and the rules' taxonomy: the corrections
/// it asks for, with canonical topic and tipologia ids, or every problem found and nothing done.
pub fn validate(args: &Args, store: &Store) -> Result<(ReviewFile, Vec<Correction>), Error> {
    let f = &args.file;
    let raw = read(f)?;
    let text = strip_bom(&raw);
    let loose: Value = serde_json::from_str(text).map_err(|e| invalid(f, &json_problem(text, &e)))?;
    check_version(f, &loose)?;
    let lines = KeyLines::scan(text);
    check_fields(f, &loose, &lines)?;
    let file: ReviewFile = serde_json::from_str(text).map_err(|e| invalid(f, &shape_problem(text, &e)))?;
    let rules = args.rules.load()?.ok_or_else(|| Error::Input("learn needs the rules' taxonomy".into()))?;
    if file.taxonomy != rules.taxonomy.id {
        return Err(invalid(
            f,
            &format!(
                "il file è stato preparato per la tassonomia {}, ma le regole in uso definiscono {}: \
                 preparate un file nuovo con urpmail report review e riportateci le correzioni",
                file.taxonomy, rules.taxonomy.id
            ),
        ));
    }
    let topics = Names::new(rules.taxonomy.topics().iter().map(|t| (t.id.as_str(), t.label.as_str())));
    let tipologie = Names::new(rules.tipologie().iter().map(|t| (t.id.as_str(), t.label.as_str())));
    let mut problems = Problems::default();
    let corrections = corrections(&file, &topics, &tipologie, &lines, &mut problems);
    if corrections.is_empty() && problems.is_empty() {
        return Err(invalid(
            f,
            "nessun messaggio ha corrected_topic compilato: scrivete il tema giusto (id o nome, vedi \
             l'elenco topics) in corrected_topic dei messaggi che avete controllato",
        ));
    }
    in_store(args, store, &corrections, &lines, &mut problems)?;
    problems.into_result(f, &topics, &tipologie)?;
    Ok((file, corrections.into_iter().map(|(_, c)| c).collect()))
}

/// The file's text. A file that is not UTF-8 (saved as "ANSI") names the line and the fix.
fn read(f: &Path) -> Result<String, Error> {
    let bytes = std::fs::read(f).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => {
                "il file non esiste: controllate il nome e la cartella".to_string()
            }
            std::io::ErrorKind::PermissionDenied => {
                "permesso negato: chiedete al referente informatico di darvi accesso al file".to_string()
            }
            std::io::ErrorKind::IsADirectory => "è una cartella, non un file".to_string(),
            _ => format!("non si riesce a leggere il file ({e})"),
        };
        invalid(f, &why)
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = 1 + e.as_bytes()[..valid].iter().filter(|&&b| b == b'\n').count();
        invalid(
            f,
            &format!(
                "riga {line}: il file non è salvato in UTF-8: salvatelo di nuovo scegliendo la codifica UTF-8 \
                 (in Blocco note: File, Salva con nome, Codifica UTF-8)"
            ),
        )
    })
}

/// What is wrong with text that is not JSON: a typographic quote where a straight one belongs
/// (a file edited with Word), a file that ends too early, or another syntax error.
fn json_problem(text: &str, e: &serde_json::Error) -> String {
    if text.trim().is_empty() {
        return "il file è vuoto: preparatene uno nuovo con urpmail report review".into();
    }
    if let Some(q) = stray_typographic_quote(text, e.line()) {
        return format!(
            "riga {}, colonna {}: c'è una virgoletta tipografica {} dove servono le virgolette dritte \" \
             (succede se il file è stato aperto con Word o un altro programma di videoscrittura): \
             sostituite le virgolette tipografiche “ ” con virgolette dritte \" oppure salvate il file con \
             un editor di testo semplice (Blocco note)",
            q.line, q.column, q.ch
        );
    }
    let (line, column) = (e.line(), char_column(text, e.line(), e.column()));
    if e.is_eof() {
        format!(
            "riga {line}, colonna {column}: il file finisce a metà (troncato o copiato solo in parte): \
             ripristinate il file completo o preparatene uno nuovo con urpmail report review"
        )
    } else {
        format!(
            "riga {line}, colonna {column}: il testo non è JSON valido (una virgola mancante o in più prima \
             di questa posizione?): controllate virgole, virgolette e parentesi in quel punto"
        )
    }
}

/// A field whose value does not have the form the report wrote (a field deleted, a number
/// turned into text): serde's detail for the IT person, the fix for staff.
fn shape_problem(text: &str, e: &serde_json::Error) -> String {
    format!(
        "riga {}, colonna {}: un campo non è più come lo ha scritto urpmail report review (dettaglio \
         tecnico: {e}): rimettete il valore di prima o preparate un file nuovo con urpmail report review",
        e.line(),
        char_column(text, e.line(), e.column())
    )
}

fn check_version(f: &Path, loose: &Value) -> Result<(), Error> {
    let version = loose.get("schema_version");
    if version.and_then(Value::as_u64) == Some(u64::from(REVIEW_SCHEMA_VERSION)) {
        return Ok(());
    }
    let found = version.map_or_else(|| "manca schema_version".to_string(), |v| format!("schema_version {v}"));
    Err(invalid(
        f,
        &format!(
            "{found}: questo urpmail legge i file con schema_version {REVIEW_SCHEMA_VERSION}; non è un file \
             preparato da questa versione: preparate un file nuovo con urpmail report review"
        ),
    ))
}

/// Field names and the types of the fields staff fill in, checked before the typed read so a
/// typo names its line and the field meant.
fn check_fields(f: &Path, loose: &Value, lines: &KeyLines) -> Result<(), Error> {
    let Some(root) = loose.as_object() else {
        return Err(invalid(
            f,
            "il file non è un file da rivedere (manca la { iniziale): preparatene uno nuovo con urpmail \
             report review",
        ));
    };
    let mut problems = Problems::default();
    let file_fields = Names::new(FILE_FIELDS.iter().map(|n| (*n, *n)));
    for key in root.keys().filter(|k| !FILE_FIELDS.contains(&k.as_str())) {
        let at = lines.root_key(key).map_or_else(String::new, |l| format!("riga {l}: "));
        problems.push(None, format!("{at}{}", unknown_field(key, &file_fields)));
    }
    if let Some(reviewer) = root.get("reviewer")
        && !(reviewer.is_string() || reviewer.is_null())
    {
        let at = lines.root_key("reviewer").map_or_else(String::new, |l| format!("riga {l}: "));
        problems.push(None, format!("{at}{}", not_text("reviewer", "\"Ufficio URP\"")));
    }
    let item_fields = Names::new(ITEM_FIELDS.iter().map(|n| (*n, *n)));
    let items = root.get("items").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    for (i, item) in items.iter().enumerate() {
        let item_lines = lines.item(i);
        let Some(fields) = item.as_object() else {
            let at = item_at(i, item_lines.map(|l| l.start()));
            problems.push(
                Some(i),
                format!("{at}: non è un messaggio {{ ... }} come gli altri: rimettetelo com'era"),
            );
            continue;
        };
        for key in fields.keys().filter(|k| !ITEM_FIELDS.contains(&k.as_str())) {
            let at = item_at(i, item_lines.map(|l| l.line_of(key)));
            problems.push(Some(i), format!("{at}: {}", unknown_field(key, &item_fields)));
        }
        for field in STAFF_FIELDS {
            if fields.get(*field).is_some_and(|v| !(v.is_string() || v.is_null())) {
                let at = item_at(i, item_lines.map(|l| l.line_of(field)));
                let example = if *field == "note" { "\"telefonato il 3 marzo\"" } else { "\"tributi\"" };
                problems.push(Some(i), format!("{at}: {}", not_text(field, example)));
            }
        }
    }
    problems.into_result(f, &Names::new([]), &Names::new([]))
}

fn unknown_field(key: &str, fields: &Names<'_>) -> String {
    let key = shown(key);
    match fields.suggest(&key).first() {
        Some(n) => format!(
            "il campo \"{key}\" non esiste. Forse intendevate \"{}\"? Correggete il nome del campo",
            n.id
        ),
        None => format!(
            "il campo \"{key}\" non esiste: togliete la riga o rimettete il nome che aveva (i nomi dei campi \
             non si cambiano)"
        ),
    }
}

fn not_text(field: &str, example: &str) -> String {
    format!("{field} deve essere un testo tra virgolette dritte (per esempio {example}) oppure null")
}

/// `item N (riga L)`: how a message names an item (from 1) and its line in the file.
fn item_at(index: usize, line: Option<usize>) -> String {
    match line {
        Some(l) if l > 0 => format!("item {} (riga {l})", index + 1),
        _ => format!("item {}", index + 1),
    }
}

/// A value staff typed, safe to show on one line: control characters as spaces, cut when long.
fn shown(value: &str) -> String {
    let clean: String = value.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if clean.chars().count() > 60 { clean.chars().take(57).collect::<String>() + "..." } else { clean }
}

/// The corrections the file asks for, by item index, with canonical ids; duplicates and unknown
/// topics or tipologie go to `problems`.
fn corrections(
    file: &ReviewFile,
    topics: &Names<'_>,
    tipologie: &Names<'_>,
    lines: &KeyLines,
    problems: &mut Problems,
) -> Vec<(usize, Correction)> {
    let mut first_seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, item) in file.items.iter().enumerate() {
        let line = |key: &str| lines.item(i).map(|l| l.line_of(key));
        if let Some(&first) = first_seen.get(item.id.as_str()) {
            problems.push(
                Some(i),
                format!(
                    "{}: lo stesso messaggio (id {}) c'è già come item {}: cancellate uno dei due",
                    item_at(i, line("id")),
                    shown(&item.id),
                    first + 1
                ),
            );
        } else {
            first_seen.insert(item.id.as_str(), i);
        }
        let Some(written) = &item.corrected_topic else {
            // A tipologia or a note without a topic would be lost without a word.
            if item.tipologia.as_deref().is_some_and(|t| !t.trim().is_empty())
                || item.note.as_deref().is_some_and(|n| !n.trim().is_empty())
            {
                problems.push(
                    Some(i),
                    format!(
                        "{}: tipologia o nota senza corrected_topic: scrivete anche il tema (lo stesso del campo topic per confermarlo) oppure togliete tipologia e nota",
                        item_at(i, line("corrected_topic"))
                    ),
                );
            }
            continue;
        };
        let topic = topics.resolve(written);
        if topic.is_none() {
            problems.unknown_topic = true;
            let what = unknown(
                written,
                topics,
                "non è un tema",
                "scrivete l'id o il nome di un tema dell'elenco topics",
            );
            problems.push(Some(i), format!("{}: {what}", item_at(i, line("corrected_topic"))));
        }
        let tipologia = match item.tipologia.as_deref() {
            None => None,
            Some(t) => {
                let found = tipologie.resolve(t);
                if found.is_none() {
                    problems.unknown_tipologia = true;
                    let what = unknown(
                        t,
                        tipologie,
                        "non è una tipologia",
                        "scrivete una delle tipologie elencate qui sotto oppure null",
                    );
                    problems.push(Some(i), format!("{}: {what}", item_at(i, line("tipologia"))));
                }
                found
            }
        };
        if let Some(topic) = topic {
            out.push((
                i,
                Correction {
                    content_key: item.id.clone(),
                    new_topic: topic.to_string(),
                    tipologia: tipologia.map(str::to_string),
                    note: item.note.clone(),
                },
            ));
        }
    }
    out
}

/// `"tribbuti" non è un tema. Forse intendevate "tributi" (Tributi e pagamenti)?`, or the fix
/// when nothing is close.
fn unknown(written: &str, names: &Names<'_>, is_not: &str, fix: &str) -> String {
    if written.trim().is_empty() {
        return format!("il valore è vuoto: {fix}");
    }
    let hits = names.suggest(written);
    if hits.is_empty() {
        return format!("\"{}\" {is_not}: {fix}", shown(written));
    }
    let meant: Vec<String> = hits.iter().map(|n| with_label(n)).collect();
    format!("\"{}\" {is_not}. Forse intendevate {}?", shown(written), meant.join(" o "))
}

fn with_label(n: &Name<'_>) -> String {
    if n.label == n.id { format!("\"{}\"", n.id) } else { format!("\"{}\" ({})", n.id, n.label) }
}

/// Every correction names a message of this store.
fn in_store(
    args: &Args,
    store: &Store,
    corrections: &[(usize, Correction)],
    lines: &KeyLines,
    problems: &mut Problems,
) -> Result<(), Error> {
    let keys: Vec<String> = corrections.iter().map(|(_, c)| c.content_key.clone()).collect();
    let rows = store.by_keys(&keys).map_err(store_error(store.target()))?;
    let known: std::collections::BTreeSet<String> = rows.into_iter().map(|r| r.content_key).collect();
    for (i, c) in corrections.iter().filter(|(_, c)| !known.contains(&c.content_key)) {
        problems.push(
            Some(*i),
            format!(
                "{}: il messaggio con id {} non è nell'archivio {}: il file è stato preparato per un altro \
                 archivio o l'id è stato modificato; rimettete l'id com'era o preparate un file nuovo con \
                 urpmail report review",
                item_at(*i, lines.item(*i).map(|l| l.line_of("id"))),
                shown(&c.content_key),
                args.store
            ),
        );
    }
    Ok(())
}

/// The problems found in a file, by item (none: the file as a whole).
#[derive(Debug, Default)]
struct Problems {
    list: Vec<(Option<usize>, String)>,
    unknown_topic: bool,
    unknown_tipologia: bool,
}

impl Problems {
    fn push(&mut self, item: Option<usize>, text: String) {
        self.list.push((item, text));
    }

    fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Nothing found, or one refusal listing the problems in file order, then the valid topics
    /// and tipologie once when one was unknown.
    fn into_result(mut self, f: &Path, topics: &Names<'_>, tipologie: &Names<'_>) -> Result<(), Error> {
        if self.list.is_empty() {
            return Ok(());
        }
        self.list.sort_by_key(|p| p.0.map_or(0, |i| i + 1));
        let n = self.list.len();
        let mut text = if n == 1 {
            format!("{}: un problema da correggere:\n", f.display())
        } else {
            format!("{}: {n} problemi da correggere:\n", f.display())
        };
        for (_, p) in self.list.iter().take(MAX_LISTED) {
            text += &format!("  {p}\n");
        }
        if n > MAX_LISTED {
            text += &format!("  ... e altri {}\n", n - MAX_LISTED);
        }
        if self.unknown_topic {
            text += &format!("temi validi (id): {}\n", topics.ids().collect::<Vec<_>>().join(", "));
        }
        if self.unknown_tipologia {
            text += &format!("tipologie valide: {}\n", tipologie.ids().collect::<Vec<_>>().join(", "));
        }
        text += &format!("correggete il file e rilanciate learn; {NOTHING_APPLIED}");
        Err(Error::Input(text))
    }
}

#[cfg(test)]
mod tests {
    use super::{item_at, shown, unknown};
    use crate::commands::RulesChoice;
    use crate::report::review::names::{Names, normalise};

    /// Every topic and tipologia of the built-in rules is found by its id and its label, however
    /// staff write them, and no two of them look alike once normalised.
    #[test]
    fn the_built_in_names_resolve_to_themselves_and_do_not_collide() {
        let rules = RulesChoice::Default.load().expect("rules").expect("built-in rules");
        let topics: Vec<(&str, &str)> =
            rules.taxonomy.topics().iter().map(|t| (t.id.as_str(), t.label.as_str())).collect();
        let tipologie: Vec<(&str, &str)> =
            rules.tipologie().iter().map(|t| (t.id.as_str(), t.label.as_str())).collect();
        for list in [topics, tipologie] {
            let names = Names::new(list.iter().copied());
            let mut forms = std::collections::BTreeMap::new();
            for (id, label) in &list {
                for written in [
                    id.to_string(),
                    label.to_string(),
                    label.to_uppercase(),
                    format!("  {} ", normalise(label)),
                ] {
                    assert_eq!(names.resolve(&written), Some(*id), "{written:?}");
                }
                for form in [normalise(id), normalise(label)] {
                    if let Some(other) = forms.insert(form.clone(), *id) {
                        assert_eq!(other, *id, "{form:?} names two of them");
                    }
                }
            }
        }
    }

    #[test]
    fn an_unknown_name_gets_the_suggestion_or_the_fix() {
        let topics =
            Names::new([("tributi", "Tributi e pagamenti"), ("cimiteri", "Cimiteri e servizi funebri")]);
        let fix = "scrivete l'id o il nome";
        assert_eq!(
            unknown("tribbuti", &topics, "non è un tema", fix),
            "\"tribbuti\" non è un tema. Forse intendevate \"tributi\" (Tributi e pagamenti)?"
        );
        assert_eq!(
            unknown("parcheggi", &topics, "non è un tema", fix),
            "\"parcheggi\" non è un tema: scrivete l'id o il nome"
        );
        assert_eq!(
            unknown("  ", &topics, "non è un tema", fix),
            "il valore è vuoto: scrivete l'id o il nome"
        );
        let same = Names::new([("reviewer", "reviewer")]);
        assert_eq!(
            unknown("revewer", &same, "non esiste", fix),
            "\"revewer\" non esiste. Forse intendevate \"reviewer\"?"
        );
        assert_eq!(item_at(2, Some(57)), "item 3 (riga 57)");
        assert_eq!(item_at(2, None), "item 3");
        assert_eq!(shown("a\nb"), "a b");
        assert_eq!(shown(&"x".repeat(100)).chars().count(), 60);
    }
}
