//! The corrections loop (issue 13): `learn` re-reads reviewed messages from every local location
//! kind (a file, a Maildir whose files a mail client renamed, mbox entries, the sample) and names
//! the ones it cannot; the learned model becomes the store's active one at once, with lineage and
//! undo; `reclassify` re-decides the unreviewed decisions with it (dry run, never touching
//! reviewed ones, idempotent, undo, the export flag); `report messages` lists every stored message.
//! IMAP re-reading is tested against Dovecot in `imap.rs`.

use std::path::{Path, PathBuf};

use crate::support::t;
use serde_json::Value;
use urpmail::commands::report::{MessagesFormat, ReviewArgs};
use urpmail::commands::{self, ModelChoice, RulesChoice, StoreChoice, learn, reclassify};
use urpmail::store::{MessageRow, Store};

/// A citizen's question as a message file with its own Message-ID and date.
fn message(i: usize, subject: &str, body: &str) -> String {
    format!(
        "From: Cittadino {i} <cittadino{i}@example.org>\nTo: urp@comune.example.it\nSubject: {subject}\nDate: Mon, {} Mar 2025 10:00:00 +0100\nMessage-ID: <loop-{i}@example.org>\nContent-Type: text/plain; charset=utf-8\n\n{body}\n",
        i % 27 + 1
    )
}

const QUESTIONS: [(&str, &str); 6] = [
    (
        "Pagamento TARI",
        "Buongiorno, non ho ricevuto l'avviso di pagamento della TARI di quest'anno. Come posso averlo?",
    ),
    (
        "Carta d'identità",
        "Salve, vorrei prenotare un appuntamento per rinnovare la carta d'identità elettronica.",
    ),
    ("Buca in via Roma", "Segnalo una buca pericolosa in via Roma davanti al civico 12, grazie."),
    ("Mensa scolastica", "Come si iscrive un bambino alla mensa della scuola primaria per il prossimo anno?"),
    (
        "Rifiuti ingombranti",
        "Vorrei sapere come prenotare il ritiro gratuito dei rifiuti ingombranti a domicilio.",
    ),
    ("Permesso ZTL", "Buongiorno, come richiedo il permesso per entrare nella ZTL come residente?"),
];

/// Writes one `.eml`, a Maildir (one message in `cur/`, one in `new/`), an mbox of three, and one
/// more `.eml` that the test deletes before `learn`. Returns the paths to ingest.
fn archives(dir: &Path) -> (Vec<PathBuf>, PathBuf) {
    let q = |i: usize| QUESTIONS[i % QUESTIONS.len()];
    let one = dir.join("one.eml");
    std::fs::write(&one, message(1, q(0).0, q(0).1)).expect("write");
    let md = dir.join("maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).expect("mkdir");
    }
    std::fs::write(md.join("cur/1700000001.M1P1.host:2,"), message(2, q(1).0, q(1).1)).expect("write");
    std::fs::write(md.join("new/1700000002.M2P1.host"), message(3, q(2).0, q(2).1)).expect("write");
    let mbox = dir.join("box.mbox");
    let mut text = String::new();
    for i in 4..7 {
        text += "From cittadino@example.org Mon Mar  3 10:00:00 2025\n";
        text += &message(i, q(i - 1).0, q(i - 1).1);
        text += "\n";
    }
    std::fs::write(&mbox, text).expect("write");
    let gone = dir.join("gone.eml");
    std::fs::write(&gone, message(7, q(4).0, q(4).1)).expect("write");
    (vec![one, md, mbox, gone.clone()], gone)
}

fn ingest(store: &Path, paths: &[PathBuf]) {
    let choice = StoreChoice::Store(t(store));
    commands::ingest::run(&choice.engine().expect("engine"), &t(store), None, paths, 1).expect("ingest");
}

/// A review file with every unreviewed decision, each item given `topic_of(item)`.
fn reviewed(
    store: &Path,
    dir: &Path,
    name: &str,
    topic_of: impl Fn(usize, &Value) -> Option<String>,
) -> PathBuf {
    let args = ReviewArgs {
        store: t(store),
        rules: RulesChoice::Default,
        since: None,
        until: None,
        limit: 10_000,
        sample: 10_000,
        per_topic: None,
        seed: "test".into(),
        order: Default::default(),
    };
    let file = commands::report::review(&args).expect("review");
    let mut v = serde_json::to_value(&file).expect("json");
    for (i, item) in v["items"].as_array_mut().expect("items").iter_mut().enumerate() {
        if let Some(t) = topic_of(i, item) {
            item["corrected_topic"] = Value::from(t);
        }
    }
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(&v).expect("json")).expect("write");
    path
}

fn learn_args(store: &Path, file: &Path) -> learn::Args {
    learn::Args {
        store: t(store),
        rules: RulesChoice::Default,
        model: ModelChoice::Active(t(store)),
        model_out: None,
        reviewer: Some("Ufficio URP".into()),
        file: file.to_path_buf(),
        config: None,
        local_weight: urpmail::commands::learn::LOCAL_WEIGHT,
    }
}

fn rows(store: &Path) -> Vec<MessageRow> {
    Store::open_readonly(&t(store)).expect("store").message_rows(None).expect("rows")
}

fn model_version(store: &Path) -> String {
    let engine = StoreChoice::Store(t(store)).engine().expect("engine");
    engine.classifier.model().expect("a model").header().version.clone()
}

fn builtin_version() -> String {
    ModelChoice::Default.load().expect("model").expect("built-in").header().version.clone()
}

#[test]
fn learn_rereads_files_maildir_after_a_rename_and_mbox_entries_and_names_what_is_gone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("urpmail.db");
    let (paths, gone) = archives(dir.path());
    ingest(&store, &paths);
    let file = reviewed(&store, dir.path(), "review.json", |_, _| Some("cimiteri".into()));
    // A mail client reads both Maildir messages: `new/` moves to `cur/`, flags change the names.
    let md = dir.path().join("maildir");
    std::fs::rename(md.join("cur/1700000001.M1P1.host:2,"), md.join("cur/1700000001.M1P1.host:2,S"))
        .expect("rename");
    std::fs::rename(md.join("new/1700000002.M2P1.host"), md.join("cur/1700000002.M2P1.host:2,RS"))
        .expect("move");
    std::fs::remove_file(&gone).expect("delete");

    let s = learn::run(&learn_args(&store, &file)).expect("learn");
    assert_eq!(s.corrections + s.confirmations, 7, "every message reviewed");
    assert_eq!(s.trained, 6, "file, two Maildir messages, three mbox entries: {:?}", s.not_reread);
    assert_eq!(s.not_trained, 1);
    assert_eq!(s.not_reread.len(), 1);
    assert!(s.not_reread[0].0.ends_with("gone.eml"), "{:?}", s.not_reread);
    let text = learn::summary_text(&s, &t(&store));
    assert!(text.contains("  non riletto: ") && text.contains("gone.eml"), "{text}");
    // Written in the models folder beside the store.
    let path = s.model_path.as_ref().expect("model written");
    assert_eq!(
        path.parent(),
        Some(t(&std::path::absolute(&store).expect("abs")).models_dir().expect("a folder").as_path())
    );

    // The same file again changes nothing: no second confirmation, no second training.
    let again = learn::run(&learn_args(&store, &file)).expect("learn again");
    assert_eq!((again.corrections, again.confirmations, again.trained), (0, 0, 0));
    assert_eq!(again.already_applied, 7);
}

#[test]
fn learn_rereads_the_sample_mailbox() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("urpmail.db");
    commands::demo::run(Some(&store), 0).expect("demo");
    let file = reviewed(&store, dir.path(), "review.json", |i, item| {
        (i < 5).then(|| item["topic"].as_str().expect("topic").to_string())
    });
    let s = learn::run(&learn_args(&store, &file)).expect("learn");
    assert_eq!((s.trained, s.not_trained), (5, 0), "{:?}", s.not_reread);
}

#[test]
fn the_learned_model_is_active_at_once_with_its_lineage_and_undo_restores_the_previous_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("urpmail.db");
    commands::demo::run(Some(&store), 0).expect("demo");
    let builtin = builtin_version();
    assert_eq!(model_version(&store), builtin, "no learned model yet: the built-in one");
    let first = reviewed(&store, dir.path(), "first.json", |i, _| (i < 3).then(|| "cimiteri".into()));
    let s1 = learn::run(&learn_args(&store, &first)).expect("learn");
    let v1 = s1.model_version.clone().expect("new model");
    assert_eq!(model_version(&store), v1, "ingest, poll and reclassify now decide with it");
    let st = commands::status::read(&t(&store)).expect("status");
    assert_eq!(st.active_model.as_ref().map(|m| m.version.as_str()), Some(v1.as_str()));
    assert_eq!(st.lineage, vec![builtin.clone()]);
    assert!(commands::status::to_text(&st).contains(&format!("{v1} <- {builtin}")));

    // The second learn builds on the first.
    let second = reviewed(&store, dir.path(), "second.json", |i, _| (i < 2).then(|| "sociale".into()));
    let s2 = learn::run(&learn_args(&store, &second)).expect("learn");
    let v2 = s2.model_version.clone().expect("new model");
    assert_eq!(s2.parent_version.as_deref(), Some(v1.as_str()));
    assert_eq!(model_version(&store), v2);
    assert_eq!(
        commands::status::read(&t(&store)).expect("status").lineage,
        vec![v1.clone(), builtin.clone()]
    );

    // Undo walks back the lineage.
    let u2 = learn::undo(&t(&store), s2.batch).expect("undo 2");
    assert_eq!(u2.reactivated, Some(Some(v1.clone())));
    assert_eq!(model_version(&store), v1);
    let u1 = learn::undo(&t(&store), s1.batch).expect("undo 1");
    assert_eq!(u1.reactivated, Some(None));
    assert_eq!(model_version(&store), builtin);

    // A configuration that pins the built-in model keeps it whatever the store learned.
    let pinned = ModelChoice::for_store("builtin", &t(&store));
    assert_eq!(pinned, ModelChoice::Default);
    // A missing active model file is an error that names the fix, not a silent fallback.
    let s3 = learn::run(&learn_args(&store, &first)).expect("learn");
    std::fs::remove_file(s3.model_path.as_ref().expect("file")).expect("delete");
    let err = StoreChoice::Store(t(&store)).engine().expect_err("missing model file");
    let msg = err.to_string();
    assert!(msg.contains("learn --undo") && msg.contains("builtin"), "{msg}");
}

#[test]
fn reclassify_redecides_unreviewed_decisions_only_idempotently_with_dry_run_undo_and_export_flag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("urpmail.db");
    commands::demo::run(Some(&store), 0).expect("demo");
    // Staff move a handful of doubtful messages to one topic: the learned model leans to it.
    let file = reviewed(&store, dir.path(), "review.json", |i, _| (i < 12).then(|| "tributi".into()));
    let learned = learn::run(&learn_args(&store, &file)).expect("learn");
    let version = learned.model_version.clone().expect("model");
    Store::open(&t(&store)).expect("store").record_export(2025, "temi-2025.xlsx").expect("export");
    let before = rows(&store);
    let reviewed_before: Vec<_> =
        before.iter().filter(|r| r.reviewed).map(|r| (r.id, r.topic.clone())).collect();
    assert_eq!(reviewed_before.len(), 12);

    let args = |dry_run| reclassify::Args {
        store: StoreChoice::Store(t(&store)),
        year: None,
        since: None,
        until: None,
        dry_run,
        threads: 1,
    };
    let dry = reclassify::run(&args(true), &mut std::io::sink()).expect("dry run");
    assert!(dry.run.is_none());
    assert_eq!(dry.not_reread, 0, "{:?}", dry.not_reread_examples);
    assert!(dry.changed > 0 && dry.moved > 0, "changed {} moved {}", dry.changed, dry.moved);
    let dry_text = reclassify::summary_text(&dry);
    assert!(dry_text.contains("dry run: nothing was written") && dry_text.contains("change"), "{dry_text}");
    assert_eq!(format!("{:?}", rows(&store)), format!("{before:?}"), "a dry run writes nothing");

    let real = reclassify::run(&args(false), &mut std::io::sink()).expect("reclassify");
    assert_eq!((real.changed, real.moved), (dry.changed, dry.moved), "the dry run said what happens");
    let run = real.run.expect("a run in the ledger");
    let after = rows(&store);
    for (id, topic) in &reviewed_before {
        let r = after.iter().find(|r| r.id == *id).expect("row");
        assert_eq!((&r.topic, r.decided_by.as_deref()), (topic, Some("staff")), "reviewed decisions stay");
    }
    let redecided: Vec<_> = after.iter().filter(|r| r.run == Some(run)).collect();
    assert_eq!(redecided.len(), real.changed);
    assert!(redecided.iter().all(|r| r.model_version.as_deref() == Some(version.as_str())));
    // The 2025 table was exported before: the change is flagged.
    let moved_2025 = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| a.year == Some(2025) && (b.topic != a.topic || b.status != a.status))
        .count() as u64;
    let (_, flagged) = Store::open_readonly(&t(&store))
        .expect("store")
        .changes_since_export(2025)
        .expect("q")
        .expect("exported");
    assert_eq!(flagged, moved_2025);
    if moved_2025 > 0 {
        assert!(real.exported.iter().any(|(y, _)| *y == 2025), "{:?}", real.exported);
    }
    assert_eq!(
        Store::open_readonly(&t(&store)).expect("store").last_run().expect("q").map(|r| r.kind),
        Some("reclassify".to_string())
    );

    // Twice changes nothing the second time.
    let second = reclassify::run(&args(false), &mut std::io::sink()).expect("again");
    assert_eq!((second.changed, second.moved), (0, 0));
    assert_eq!(format!("{:?}", rows(&store)), format!("{after:?}"));

    // Undo puts every decision back as it was.
    let (restored, kept) = reclassify::undo(&t(&store), run).expect("undo");
    assert_eq!((restored, kept), (real.changed as u64, 0));
    assert_eq!(format!("{:?}", rows(&store)), format!("{before:?}"));
    assert!(reclassify::undo(&t(&store), run).is_err(), "undone once");
    assert!(reclassify::undo(&t(&store), 1).is_err(), "run 1 is the demo's, not a reclassify run");
}

#[test]
fn report_messages_lists_every_stored_message_with_its_location() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("urpmail.db");
    let (paths, _) = archives(dir.path());
    ingest(&store, &paths);
    let mut out = Vec::new();
    commands::report::messages(&t(&store), None, MessagesFormat::Jsonl, &mut out).expect("jsonl");
    let lines: Vec<Value> = String::from_utf8(out)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 7);
    let keys: Vec<&str> = lines[0].as_object().expect("object").keys().map(String::as_str).collect();
    let mut want = commands::report::MESSAGE_COLUMNS.to_vec();
    want.sort_unstable();
    let mut got = keys.clone();
    got.sort_unstable();
    assert_eq!(got, want, "the documented columns, nothing personal");
    let locations: Vec<&str> = lines.iter().filter_map(|l| l["location"].as_str()).collect();
    assert!(locations.iter().any(|l| l.ends_with("one.eml")), "{locations:?}");
    assert!(locations.iter().any(|l| l.ends_with("box.mbox#2")), "{locations:?}");
    assert!(locations.iter().any(|l| l.contains("maildir/new/")), "{locations:?}");
    assert!(lines.iter().all(|l| l["year"] == 2025 && l["reviewed"] == false && l["run"] == 1));

    let mut csv = Vec::new();
    commands::report::messages(&t(&store), Some(2024), MessagesFormat::Csv, &mut csv).expect("csv");
    let csv = String::from_utf8(csv).expect("utf-8");
    assert_eq!(csv.lines().next(), Some(commands::report::MESSAGE_COLUMNS.join(",").as_str()));
    assert_eq!(csv.lines().count(), 1, "no message of 2024: the header alone");
}

#[test]
fn learned_model_files_are_kept_for_the_active_model_and_the_newest_ten() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("urpmail.db");
    commands::demo::run(Some(&store), 0).expect("demo");
    let mut retired = Vec::new();
    let mut batches = Vec::new();
    for round in 0..12 {
        // Each round confirms one more message, so each learn makes a new model.
        let file = reviewed(&store, dir.path(), &format!("round-{round}.json"), |i, item| {
            (i == 0).then(|| item["topic"].as_str().expect("topic").to_string())
        });
        let s = learn::run(&learn_args(&store, &file)).expect("learn");
        assert!(s.model_version.is_some(), "round {round}");
        retired.extend(s.retired.clone());
        batches.push(s.batch);
    }
    let folder = t(&store).models_dir().expect("a folder");
    let files = std::fs::read_dir(&folder).expect("models folder").count();
    assert_eq!(files, learn::KEEP_MODELS, "the newest ten files stay");
    let learned = Store::open_readonly(&t(&store)).expect("store").learned_models().expect("models");
    assert_eq!(learned.len(), 12, "every version stays in the lineage");
    assert_eq!(retired, vec![learned[0].version.clone(), learned[1].version.clone()]);
    assert!(learned[..2].iter().all(|m| m.file.is_none()) && learned[2..].iter().all(|m| m.file.is_some()));
    let st = commands::status::read(&t(&store)).expect("status");
    assert_eq!(st.lineage.len(), 12, "11 learned ancestors and the built-in model");
    // Undoing an old batch whose model is not active leaves the active model alone.
    let active = st.active_model.expect("active").version;
    assert_eq!(learn::undo(&t(&store), batches[3]).expect("undo").reactivated, None);
    assert_eq!(model_version(&store), active);
}
