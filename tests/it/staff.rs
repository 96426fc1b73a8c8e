//! Staff outputs end to end: the demo's store, the theme table in every format (JSON validated
//! against its schema, XLSX read back), the review file (validated against its schema), learn
//! with corrections that change counts and the model, audit and undo, bad review files that
//! change nothing and say why in Italian (the line, the fix, the topic meant), topics and
//! tipologie written by label, a Notepad BOM, Word's typographic quotes.

use std::path::{Path, PathBuf};

use serde_json::Value;
use urpmail::commands::report::{Format, ReviewArgs, ThemesArgs};
use urpmail::commands::{self, ModelChoice, RulesChoice};

use crate::support::{repo, t};

fn demo_store(dir: &Path) -> PathBuf {
    let store = dir.join("urpmail.db");
    commands::demo::run(Some(&store), 0).expect("demo runs");
    store
}

fn validate(schema: &str, instance: &Value) {
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let path = repo().join("schemas").join(schema);
    let idx = compiler.compile(path.to_str().expect("utf-8 path"), &mut schemas).expect("schema compiles");
    if let Err(e) = schemas.validate(instance, idx) {
        panic!("{schema}: {e:#}");
    }
}

fn themes_args(store: &Path, format: Format) -> ThemesArgs {
    ThemesArgs {
        store: t(store),
        rules: RulesChoice::Default,
        year: None,
        compare: None,
        by: None,
        format,
        out: None,
        chart: None,
        min_cell: None,
        mapping: None,
        with_accuracy: false,
    }
}

fn by_topic(store: &Path) -> Value {
    let st = commands::status::read(&t(store)).expect("status");
    serde_json::to_value(&st).expect("json")["by_topic"].clone()
}

#[test]
fn theme_table_formats_on_a_fixed_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = demo_store(dir.path());
    let (t, text) = commands::report::themes(&themes_args(&store, Format::Json)).expect("themes");
    let json: Value = serde_json::from_str(&text.expect("json text")).expect("json");
    validate("themes-v2.schema.json", &json);
    assert_eq!(json["year"], 2025);
    assert_eq!(json["compare"], serde_json::json!([2024]));
    assert_eq!(json["total"], 153);
    assert_eq!(json["previous_totals"]["2024"], 112);
    assert_eq!(json["excluded"]["pec-receipt"], 11);
    let tributi =
        json["rows"].as_array().expect("rows").iter().find(|r| r["topic"] == "tributi").expect("tributi");
    // 20: with the widened corpus (issue 14, bench/RESULTS.md run 12) the two requests to cancel
    // a driveway fee ("canone passo carrabile") are tributi again, as before run 10.
    assert_eq!(tributi["count"], 20);
    assert_eq!(tributi["previous"]["2024"], 16);
    assert_eq!(tributi["label"], "Tributi e pagamenti");
    assert_eq!(t.rows.len(), 18);

    let (_, md) = commands::report::themes(&themes_args(&store, Format::Markdown)).expect("md");
    let md = md.expect("md text");
    assert!(md.contains("| Tributi e pagamenti | 20 | 13,1% | 16 | +4 | +25,0% |"), "{md}");
    let (_, csv) = commands::report::themes(&themes_args(&store, Format::Csv)).expect("csv");
    let csv = csv.expect("csv text");
    assert!(csv.lines().any(|l| l == "Tributi e pagamenti;20;13,1%;16;+4;+25,0%"), "{csv}");
    assert!(csv.lines().any(|l| l.starts_with("Totale messaggi classificati;153;")), "{csv}");

    // Publication: small cells hidden; breakdown by channel adds one column per channel.
    let mut a = themes_args(&store, Format::Json);
    a.min_cell = Some(5);
    a.by = Some(urpmail::report::themes::By::Channel);
    let (_, pub_json) = commands::report::themes(&a).expect("published");
    let pub_json: Value = serde_json::from_str(&pub_json.expect("text")).expect("json");
    validate("themes-v2.schema.json", &pub_json);
    for r in pub_json["rows"].as_array().expect("rows") {
        if let Some(c) = r["count"].as_u64() {
            assert!(c >= 5, "{r}");
        } else {
            assert!(r["count"] == "<5" || r["count"] == "*", "{r}");
        }
    }

    // XLSX written and read back; the chart rendered.
    let mut x = themes_args(&store, Format::Xlsx);
    x.out = Some(dir.path().join("temi.xlsx"));
    x.chart = Some(dir.path().join("temi.svg"));
    commands::report::themes(&x).expect("xlsx");
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(dir.path().join("temi.xlsx")).expect("open xlsx");
    let names = wb.sheet_names().to_vec();
    let range = wb.worksheet_range(&names[0]).expect("first sheet");
    let cells: Vec<String> = range.cells().map(|(_, _, c)| c.to_string()).collect();
    assert!(cells.iter().any(|c| c == "Tributi e pagamenti"), "{cells:?}");
    assert!(cells.iter().any(|c| c == "153"), "total in the workbook");
    let svg = std::fs::read_to_string(dir.path().join("temi.svg")).expect("svg");
    assert!(svg.contains("Tributi e pagamenti") && svg.contains("2024") && svg.contains("<rect"));
}

fn review_file(store: &Path, dir: &Path) -> (PathBuf, Value) {
    let args = ReviewArgs {
        store: t(store),
        rules: RulesChoice::Default,
        since: None,
        until: None,
        limit: 100,
        sample: 20,
        per_topic: None,
        seed: "test".into(),
        order: Default::default(),
    };
    let file = commands::report::review(&args).expect("review");
    let v = serde_json::to_value(&file).expect("json");
    validate("review-v1.schema.json", &v);
    let path = dir.join("review.json");
    std::fs::write(&path, serde_json::to_string_pretty(&v).expect("json")).expect("write");
    (path, v)
}

fn learn_args(store: &Path, file: &Path, dir: &Path) -> commands::learn::Args {
    commands::learn::Args {
        store: t(store),
        rules: RulesChoice::Default,
        model: ModelChoice::Default,
        model_out: Some(dir.join("updated.model")),
        reviewer: Some("Ufficio URP".into()),
        file: file.to_path_buf(),
        config: None,
        local_weight: urpmail::commands::learn::LOCAL_WEIGHT,
    }
}

#[test]
fn review_learn_and_undo_end_to_end() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = demo_store(dir.path());
    let (path, mut v) = review_file(&store, dir.path());
    let items = v["items"].as_array_mut().expect("items");
    assert!(items.len() >= 20, "doubtful items plus the quality sample");
    assert!(items.iter().any(|i| i["motivo"].as_str().is_some_and(|m| m.starts_with("campione"))));
    // Doubtful first.
    assert_ne!(items[0]["motivo"], "campione di controllo (decisione sicura)");
    let first = items[0]["topic"].as_str().expect("topic").to_string();
    // Confirm the first, move the next two to cimiteri.
    items[0]["corrected_topic"] = Value::from(first.clone());
    let moved: Vec<String> =
        items[1..3].iter().map(|i| i["topic"].as_str().expect("topic").to_string()).collect();
    assert!(moved.iter().all(|t| t != "cimiteri"), "pick items not already in cimiteri");
    items[1]["corrected_topic"] = Value::from("cimiteri");
    items[2]["corrected_topic"] = Value::from("cimiteri");
    items[2]["note"] = Value::from("riguarda la concessione del loculo");
    // And one decision of the control sample, confirmed: precision is measured on those alone.
    let control = items
        .iter()
        .position(|i| i["motivo"].as_str().is_some_and(|m| m.starts_with("campione")))
        .expect("a control item");
    items[control]["corrected_topic"] = items[control]["topic"].clone();
    let control_year: i32 =
        items[control]["date"].as_str().and_then(|d| d.get(..4)).and_then(|y| y.parse().ok()).expect("year");
    std::fs::write(&path, serde_json::to_string_pretty(&v).expect("json")).expect("write");

    let first = dir.path().join("first.json");
    std::fs::copy(&path, &first).expect("keep a copy: the next review file is written at the same path");
    let before = by_topic(&store);
    let s = commands::learn::run(&learn_args(&store, &path, dir.path())).expect("learn");
    assert_eq!((s.corrections, s.confirmations, s.trained), (2, 2, 4));
    let after = by_topic(&store);
    assert_eq!(after["cimiteri"].as_u64(), before["cimiteri"].as_u64().map(|n| n + 2), "{before} -> {after}");
    // The model is a new version, child of the shipped one.
    let shipped = commands::ModelChoice::Default.load().expect("model").expect("built-in");
    let updated = commands::load_model(&dir.path().join("updated.model")).expect("updated model");
    assert_ne!(updated.header().version, shipped.header().version);
    assert_eq!(updated.header().parent_version.as_deref(), Some(shipped.header().version.as_str()));
    assert_eq!(updated.header().summary.updated_documents, 4);
    // Reviewed items leave the next review report.
    let (_, v2) = review_file(&store, dir.path());
    let ids: Vec<&str> =
        v2["items"].as_array().expect("items").iter().filter_map(|i| i["id"].as_str()).collect();
    for i in v["items"].as_array().expect("items").iter().filter(|i| !i["corrected_topic"].is_null()) {
        assert!(!ids.contains(&i["id"].as_str().expect("id")), "a reviewed message never comes back");
    }
    // Accuracy from the reviewed sample: 1 confirmation out of the reviewed classified items.
    let mut a = themes_args(&store, Format::Json);
    a.with_accuracy = true;
    a.year = Some(control_year);
    let (_, j) = commands::report::themes(&a).expect("themes");
    let j: Value = serde_json::from_str(&j.expect("text")).expect("json");
    validate("themes-v2.schema.json", &j);
    // Precision counts the control sample only: the one confirmed control decision, not the
    // three doubtful items reviewed with it.
    assert_eq!(j["accuracy"]["overall"]["reviewed"], 1, "{}", j["accuracy"]);
    assert_eq!(j["accuracy"]["overall"]["correct"], 1, "{}", j["accuracy"]);
    // Applying the same file again changes neither the counts nor the precision.
    let again = commands::learn::run(&learn_args(&store, &first, dir.path())).expect("learn again");
    assert_eq!((again.corrections, again.confirmations, again.already_applied), (0, 0, 4));
    let (_, j2) = commands::report::themes(&a).expect("themes");
    let j2: Value = serde_json::from_str(&j2.expect("text")).expect("json");
    assert_eq!(j2["accuracy"], j["accuracy"]);
    // Undo restores the counts.
    assert_eq!(commands::learn::undo(&t(&store), s.batch).expect("undo").restored, 4);
    assert_eq!(by_topic(&store), before);
    assert!(commands::learn::undo(&t(&store), s.batch).is_err(), "a batch is undone once");
}

#[test]
fn bad_review_files_change_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = demo_store(dir.path());
    let (path, v) = review_file(&store, dir.path());
    let before = by_topic(&store);
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "wrong schema version",
            Box::new(|v: &mut Value| v["schema_version"] = Value::from(9)),
            "schema_version 9: questo urpmail legge i file con schema_version 1",
        ),
        (
            "other taxonomy",
            Box::new(|v: &mut Value| v["taxonomy"] = Value::from("urp-it-0")),
            "preparato per la tassonomia urp-it-0, ma le regole in uso definiscono urp-it-1",
        ),
        (
            "unknown message id",
            Box::new(|v: &mut Value| {
                v["items"][0]["id"] = Value::from("00000000000000000000000000000000");
                v["items"][0]["corrected_topic"] = Value::from("tributi");
            }),
            "item 1 (riga 1): il messaggio con id 00000000000000000000000000000000 non è nell'archivio",
        ),
        (
            "unknown topic",
            Box::new(|v: &mut Value| v["items"][0]["corrected_topic"] = Value::from("parcheggi")),
            "item 1 (riga 1): \"parcheggi\" non è un tema: scrivete l'id o il nome di un tema dell'elenco topics",
        ),
        (
            "unknown tipologia",
            Box::new(|v: &mut Value| {
                v["items"][0]["corrected_topic"] = Value::from("tributi");
                v["items"][0]["tipologia"] = Value::from("reclamazione");
            }),
            "item 1 (riga 1): \"reclamazione\" non è una tipologia",
        ),
        (
            "a tipologia without a topic",
            Box::new(|v: &mut Value| v["items"][0]["tipologia"] = Value::from("reclamo")),
            "item 1 (riga 1): tipologia o nota senza corrected_topic",
        ),
        (
            "duplicated item",
            Box::new(move |v: &mut Value| {
                v["items"][0]["corrected_topic"] = Value::from("tributi");
                let dup = v["items"][0].clone();
                v["items"].as_array_mut().expect("items").push(dup);
            }),
            "c'è già come item 1: cancellate uno dei due",
        ),
        (
            "typo in a field name",
            Box::new(|v: &mut Value| v["items"][0]["corected_topic"] = Value::from("tributi")),
            "item 1 (riga 1): il campo \"corected_topic\" non esiste. Forse intendevate \"corrected_topic\"?",
        ),
        (
            "a number for a topic",
            Box::new(|v: &mut Value| v["items"][0]["corrected_topic"] = Value::from(3)),
            "item 1 (riga 1): corrected_topic deve essere un testo tra virgolette dritte",
        ),
    ];
    for (name, edit, expect) in cases {
        let mut bad = v.clone();
        edit(&mut bad);
        // Make sure at least one valid correction is in the file, so only the defect can fail it.
        if bad["items"][1]["corrected_topic"].is_null() {
            bad["items"][1]["corrected_topic"] = bad["items"][1]["topic"].clone();
        }
        // On one line: every item is on line 1.
        std::fs::write(&path, serde_json::to_string(&bad).expect("json")).expect("write");
        let err = learn_err(&store, &path, dir.path());
        assert!(err.contains(expect), "{name}: {err}");
        assert!(err.starts_with(&path.display().to_string()), "{name}: names the file: {err}");
        assert!(err.ends_with(commands::learn::NOTHING_APPLIED), "{name}: {err}");
        assert!(!err.contains("Some(") && !err.contains("nothing was applied"), "{name}: {err}");
        assert_eq!(by_topic(&store), before, "{name}: counts unchanged");
    }
    // Nothing filled in.
    std::fs::write(&path, serde_json::to_string(&v).expect("json")).expect("write");
    let err = learn_err(&store, &path, dir.path());
    assert!(err.contains("nessun messaggio ha corrected_topic compilato"), "{err}");
    // Truncated JSON.
    let text = serde_json::to_string_pretty(&v).expect("json");
    let mut half = text.len() / 2;
    while !text.is_char_boundary(half) {
        half -= 1;
    }
    let cut = &text[..half];
    std::fs::write(&path, cut).expect("write");
    let err = learn_err(&store, &path, dir.path());
    let last = cut.matches('\n').count() + 1;
    assert!(
        err.contains(&format!("riga {last}, colonna")) && err.contains("il file finisce a metà"),
        "{err}"
    );
    // A missing comma (keys are in alphabetical order: generated_at is on line 2).
    std::fs::write(&path, text.replacen("\"generated_at\"", "\"generated_at\" \"x\",", 1)).expect("write");
    let err = learn_err(&store, &path, dir.path());
    assert!(err.contains("riga 2, colonna") && err.contains("una virgola mancante o in più"), "{err}");
    // Saved as "ANSI" by an old editor: an à in Latin-1 in the instructions, on line 3.
    let mut latin1 = text.clone().into_bytes();
    let key = b"\"istruzioni\": \"";
    let at = latin1.windows(key.len()).position(|w| w == key).expect("istruzioni") + key.len();
    latin1.insert(at, 0xe0);
    std::fs::write(&path, latin1).expect("write");
    let err = learn_err(&store, &path, dir.path());
    assert!(err.contains("riga 3: il file non è salvato in UTF-8"), "{err}");
    // An empty file.
    std::fs::write(&path, "\u{feff}\n").expect("write");
    assert!(learn_err(&store, &path, dir.path()).contains("il file è vuoto"));
    // A file that is not there.
    let err = learn_err(&store, &dir.path().join("manca.json"), dir.path());
    assert!(err.contains("il file non esiste") && err.ends_with(commands::learn::NOTHING_APPLIED), "{err}");
    assert!(commands::learn::undo(&t(&store), 1).is_err(), "no correction batch was recorded");
    assert!(!dir.path().join("updated.model").exists());
    assert_eq!(by_topic(&store), before);
}

/// The error `learn` gives for a file, as main prints it.
fn learn_err(store: &Path, file: &Path, dir: &Path) -> String {
    let e = commands::learn::run(&learn_args(store, file, dir)).expect_err("refused");
    assert_eq!(e.exit_code(), 2, "{e}");
    e.to_string()
}

/// The line of item `n`'s (from 1) `corrected_topic` in a pretty-printed file.
fn topic_line(text: &str, n: usize) -> usize {
    key_line(text, "corrected_topic", n)
}

/// The line of the `n`th (from 1) `key` in a pretty-printed file, found without the scanner
/// under test: one key per line.
fn key_line(text: &str, key: &str, n: usize) -> usize {
    let start = format!("\"{key}\":");
    let lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with(&start))
        .map(|(i, _)| i + 1)
        .collect();
    lines[n - 1]
}

/// The stored (topic, tipologia) of a message.
fn stored(store: &Path, key: &str) -> (String, Option<String>) {
    let rows = urpmail::store::Store::open_readonly(&t(store))
        .expect("store")
        .by_keys(&[key.to_string()])
        .expect("rows");
    let r = rows.into_iter().next().expect("row");
    (r.topic, r.tipologia)
}

#[test]
fn topics_and_tipologie_by_label_in_any_case_or_accent_are_stored_as_ids() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = demo_store(dir.path());
    let (path, mut v) = review_file(&store, dir.path());
    let written = [
        ("Tributi e pagamenti", Some("Reclamo ")),
        ("  TRIBUTI E PAGAMENTI ", None),
        ("mobilità", Some("SEGNALAZIONE")),
        ("Mobilita'", None),
        ("Cimiteri", Some("richiesta atti e accesso")),
        ("servizi online e identita digitale", Some("Informazione")),
    ];
    let expected = [
        ("tributi", Some("reclamo")),
        ("tributi", None),
        ("mobilita", Some("segnalazione")),
        ("mobilita", None),
        ("cimiteri", Some("richiesta-atti")),
        ("servizi-online", Some("informazione")),
    ];
    let items = v["items"].as_array_mut().expect("items");
    for (item, (topic, tipologia)) in items.iter_mut().zip(written) {
        item["corrected_topic"] = Value::from(topic);
        item["tipologia"] = tipologia.map_or(Value::Null, Value::from);
    }
    let keys: Vec<String> = items.iter().take(6).map(|i| i["id"].as_str().expect("id").to_string()).collect();
    let tipologie_before: Vec<Option<String>> = keys.iter().map(|k| stored(&store, k).1).collect();
    std::fs::write(&path, serde_json::to_string_pretty(&v).expect("json")).expect("write");
    let s = commands::learn::run(&learn_args(&store, &path, dir.path())).expect("learn");
    assert_eq!(s.corrections + s.confirmations, 6);
    for ((key, (topic, tipologia)), before) in keys.iter().zip(expected).zip(tipologie_before) {
        // Without a tipologia the decision keeps the one it had.
        let tipologia = tipologia.map(str::to_string).or(before);
        assert_eq!(stored(&store, key), (topic.to_string(), tipologia), "{key}");
    }
}

#[test]
fn a_near_miss_names_its_line_and_the_topic_meant_and_nothing_is_applied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = demo_store(dir.path());
    let (path, mut v) = review_file(&store, dir.path());
    let before = by_topic(&store);
    let items = v["items"].as_array_mut().expect("items");
    items[0]["corrected_topic"] = Value::from("tributi");
    items[2]["corrected_topic"] = Value::from("tribbuti");
    items[4]["corrected_topic"] = Value::from("parcheggio comunale");
    items[5]["corrected_topic"] = Value::from("cimiteri");
    items[5]["tipologia"] = Value::from("segnalzione");
    let text = serde_json::to_string_pretty(&v).expect("json");
    std::fs::write(&path, &text).expect("write");
    let err = learn_err(&store, &path, dir.path());
    let (l3, l5) = (topic_line(&text, 3), topic_line(&text, 5));
    let l6 = key_line(&text, "tipologia", 6);
    let expected = [
        "3 problemi da correggere:\n".to_string(),
        format!(
            "\n  item 3 (riga {l3}): \"tribbuti\" non è un tema. Forse intendevate \"tributi\" (Tributi e pagamenti)?\n"
        ),
        format!(
            "\n  item 5 (riga {l5}): \"parcheggio comunale\" non è un tema: scrivete l'id o il nome di un tema dell'elenco topics\n"
        ),
        format!(
            "\n  item 6 (riga {l6}): \"segnalzione\" non è una tipologia. Forse intendevate \"segnalazione\" (Segnalazione)?\n"
        ),
        "\ntemi validi (id): anagrafe, tributi, impianti-termici,".to_string(),
        "\ntipologie valide: informazione, segnalazione, reclamo, richiesta-atti, suggerimento, altro\n"
            .to_string(),
    ];
    for e in &expected {
        assert!(err.contains(e.as_str()), "expected {e:?} in:\n{err}");
    }
    assert_eq!(err.matches("temi validi").count(), 1, "the valid ids are listed once: {err}");
    assert!(
        err.ends_with("correggete il file e rilanciate learn; nessuna modifica è stata applicata"),
        "{err}"
    );
    assert_eq!(by_topic(&store), before, "item 1 is valid, yet nothing changed");
    assert!(commands::learn::undo(&t(&store), 1).is_err(), "no correction batch was recorded");
}

#[test]
fn a_notepad_bom_is_accepted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = demo_store(dir.path());
    let (path, mut v) = review_file(&store, dir.path());
    v["items"][0]["corrected_topic"] = Value::from("cimiteri");
    let text = format!("\u{feff}{}", serde_json::to_string_pretty(&v).expect("json"));
    std::fs::write(&path, text.replace('\n', "\r\n")).expect("write");
    let s = commands::learn::run(&learn_args(&store, &path, dir.path())).expect("a BOM and CRLF are fine");
    assert_eq!(s.corrections + s.confirmations, 1);
}

#[test]
fn typographic_quotes_around_keys_or_values_are_named_with_their_line_and_inside_a_note_are_fine() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = demo_store(dir.path());
    let (path, mut v) = review_file(&store, dir.path());
    let before = by_topic(&store);
    v["items"][0]["corrected_topic"] = Value::from("cimiteri");
    v["items"][1]["corrected_topic"] = Value::from("cimiteri");
    v["items"][1]["note"] = Value::from("il cittadino scrive “urgente” e chiede dell’ufficio");
    let text = serde_json::to_string_pretty(&v).expect("json");
    let fix = "sostituite le virgolette tipografiche “ ” con virgolette dritte \" oppure salvate il file con un \
               editor di testo semplice (Blocco note)";

    // Word turned the quotes of one line into typographic ones.
    let line = topic_line(&text, 2);
    let word: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == line {
                l.replacen('"', "“", 1).replacen('"', "”", 1).replacen('"', "“", 1).replacen('"', "”", 1)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let column = word.lines().nth(line - 1).expect("line").find('“').expect("quote") + 1;
    std::fs::write(&path, &word).expect("write");
    let err = learn_err(&store, &path, dir.path());
    assert!(
        err.contains(&format!("riga {line}, colonna {column}: c'è una virgoletta tipografica “")),
        "{err}"
    );
    assert!(err.contains(fix) && !err.contains("JSON valido"), "{err}");
    // Only a value's closing quote: named on its line.
    let closing = text.replacen("\"cimiteri\",", "\"cimiteri”,", 1);
    std::fs::write(&path, &closing).expect("write");
    let err = learn_err(&store, &path, dir.path());
    assert!(err.contains(&format!("riga {}, colonna", topic_line(&text, 1))) && err.contains(fix), "{err}");
    // The whole file: the first key.
    let mut open = true;
    let all: String = text
        .chars()
        .map(|c| {
            if c != '"' {
                return c;
            }
            open = !open;
            if open { '”' } else { '“' }
        })
        .collect();
    std::fs::write(&path, &all).expect("write");
    let err = learn_err(&store, &path, dir.path());
    assert!(
        err.contains("riga 2, colonna 3: c'è una virgoletta tipografica “") && err.contains(fix),
        "{err}"
    );
    assert_eq!(by_topic(&store), before, "nothing applied");

    // In a note they are text: the file is applied, the note kept as written.
    std::fs::write(&path, &text).expect("write");
    let s = commands::learn::run(&learn_args(&store, &path, dir.path())).expect("learn");
    assert_eq!(s.corrections + s.confirmations, 2);
    let db = rusqlite::Connection::open(&store).expect("store");
    let note: String =
        db.query_row("SELECT note FROM corrections WHERE note IS NOT NULL", [], |r| r.get(0)).expect("note");
    assert_eq!(note, "il cittadino scrive “urgente” e chiede dell’ufficio");
}

#[test]
fn learn_report_review_and_undo_speak_italian_at_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = demo_store(dir.path());
    let file = dir.path().join("da-rivedere.json");
    let urpmail = || std::process::Command::new(env!("CARGO_BIN_EXE_urpmail"));
    let out = urpmail()
        .args(["report", "review", "--limit", "5", "--sample", "0", "--store"])
        .arg(&store)
        .arg("--out")
        .arg(&file)
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains(&format!("urpmail: 5 messaggi da rivedere scritti in {}", file.display())), "{err}");
    let mut v: Value = serde_json::from_slice(&std::fs::read(&file).expect("read")).expect("json");
    assert!(
        v["istruzioni"].as_str().is_some_and(|i| i.contains("l'id (per esempio tributi) o il nome")),
        "{v}"
    );
    let confirmed = v["items"][0]["topic"].clone();
    v["items"][0]["corrected_topic"] = confirmed;
    let moved = if v["items"][1]["topic"] == "cimiteri" { "Tributi e pagamenti" } else { "Cimiteri" };
    v["items"][1]["corrected_topic"] = Value::from(moved);
    std::fs::write(&file, serde_json::to_string_pretty(&v).expect("json")).expect("write");

    let out = urpmail().args(["learn", "--store"]).arg(&store).arg(&file).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let store_name = store.display().to_string();
    for expected in [
        "gruppo di correzioni 1: 1 correzione, 1 conferma; il modello ha imparato da 2 messaggi controllati (non riletti: 0)\n",
        "nuovo modello ",
        &format!("ora è attivo per {store_name}: poll, ingest e reclassify lo usano"),
        &format!("per annullare: urpmail learn --store {store_name} --undo 1\n"),
    ] {
        assert!(text.contains(expected), "expected {expected:?} in:\n{text}");
    }
    // Again: nothing new, said in Italian.
    let out = urpmail().args(["learn", "--store"]).arg(&store).arg(&file).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("2 messaggi erano già applicati da un learn precedente: lasciati come sono"),
        "{text}"
    );

    let out = urpmail().args(["learn", "--store"]).arg(&store).args(["--undo", "1"]).output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("urpmail: gruppo di correzioni 1 annullato: 2 decisioni ripristinate; è di nuovo attivo il modello della configurazione"),
        "{err}"
    );
    let out = urpmail().args(["learn", "--store"]).arg(&store).args(["--undo", "1"]).output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("il gruppo di correzioni 1 è già stato annullato"), "{err}");
    let out = urpmail().args(["learn", "--store"]).arg(&store).args(["--undo", "7"]).output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("non c'è un gruppo di correzioni numero 7"), "{err}");
}

#[test]
fn prune_keeps_the_counts_and_the_idempotence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = demo_store(dir.path());
    let before = commands::status::read(&t(&store)).expect("status");
    let (t_before, _) = commands::report::themes(&themes_args(&store, Format::Json)).expect("themes");
    let (cutoff, _, rows) = commands::prune(&t(&store), "2025-01-01", false).expect("prune");
    assert_eq!(cutoff, "2025-01-01");
    assert_eq!(rows, 140, "the 2024 messages");
    let after = commands::status::read(&t(&store)).expect("status");
    assert_eq!(after.messages, before.messages);
    assert_eq!(after.by_topic, before.by_topic);
    let (t_after, _) = commands::report::themes(&themes_args(&store, Format::Json)).expect("themes");
    assert_eq!(
        serde_json::to_value(&t_after.rows).expect("json"),
        serde_json::to_value(&t_before.rows).expect("json")
    );
    // Re-recording the same mail (e.g. from an archive) counts nothing twice.
    commands::demo::run(Some(&store), 0).expect("demo again");
    assert_eq!(commands::status::read(&t(&store)).expect("status").messages, before.messages);
}
