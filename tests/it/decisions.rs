//! Decisions: the built-in rules and model on the sample mailbox (written independently of the
//! training corpus) against its manifest, golden decisions on fixtures, rules/model disagreement,
//! cold start without a model, and the demo table.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;
use urpmail::classify::Classifier;
use urpmail::classify::features::{FeatureConfig, analyze};
use urpmail::classify::rules::RuleSet;
use urpmail::commands::{self, ModelChoice, RulesChoice};
use urpmail::parse::Limits;
use urpmail::text::{Analyzer, Language};

use crate::support::{fixture, repo};

fn classify_with(paths: &[PathBuf], model: ModelChoice, rules: RulesChoice) -> Vec<Value> {
    let args = commands::classify::Args {
        paths: paths.to_vec(),
        model,
        rules,
        explain: true,
        threads: 0,
        limits: Limits::default(),
        progress: false,
    };
    let mut out = Vec::new();
    commands::classify::run(&args, &mut out).expect("classify runs");
    String::from_utf8(out).expect("utf-8").lines().map(|l| serde_json::from_str(l).expect("json")).collect()
}

fn manifest() -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(repo().join("samples/mailbox-manifest.json")).expect("manifest");
    let list: Vec<Value> = serde_json::from_str(&text).expect("manifest json");
    list.into_iter().map(|e| (e["file"].as_str().expect("file").to_string(), e)).collect()
}

/// Checks every record against the manifest; returns (topic accuracy on citizen mail, records).
fn check_sample(model: ModelChoice) -> (f64, usize) {
    let m = manifest();
    let recs = classify_with(&[repo().join("samples/mailbox")], model, RulesChoice::Default);
    assert_eq!(recs.len(), m.len(), "one record per sample message");
    let (mut n, mut ok) = (0usize, 0usize);
    for r in &recs {
        let src = r["source"].as_str().expect("source");
        let file = src.split("samples/mailbox/").nth(1).expect("path under samples/mailbox");
        let e = &m[file];
        assert_eq!(r["excluded"], e["expected_exclusion"], "{file} ({})", e["kind"]);
        assert_eq!(r["channel"], e["channel"], "{file}");
        assert!(r["skipped"].is_null(), "{file}");
        let date = r["date"].as_str().expect("date");
        let want = e["date"].as_str().expect("date");
        if e["kind"] == "citizen-pec-anomaly" {
            // An anomaly envelope has no daticert: we date it by the citizen's own Date header,
            // the manifest by the envelope's; both are the same day.
            assert_eq!(&date[..10], &want[..10], "{file}");
        } else {
            assert_eq!(date, want, "{file}");
        }
        if let Some(t) = e["expected_topic"].as_str() {
            n += 1;
            ok += usize::from(r["topic"] == t);
            assert!(r["tipologia"].is_string(), "citizen mail gets a tipologia: {file}");
        }
    }
    (ok as f64 / n as f64, n)
}

#[test]
fn sample_mailbox_with_rules_and_model() {
    let (acc, n) = check_sample(ModelChoice::Default);
    eprintln!("sample mailbox, rules + model: {n} citizen messages, topic accuracy {acc:.3}");
    assert_eq!(n, 265);
    assert!(acc >= 0.90, "topic accuracy {acc}");
}

#[test]
fn sample_mailbox_cold_start_rules_only() {
    let (acc, n) = check_sample(ModelChoice::None);
    eprintln!("sample mailbox, rules only: {n} citizen messages, topic accuracy {acc:.3}");
    assert!(acc >= 0.85, "topic accuracy {acc}");
}

fn decide(c: &Classifier, subject: &str, body: &str) -> urpmail::classify::Decision {
    let mut a = Analyzer::new(Language::Italian);
    c.decide(&analyze(&mut a, subject, body, "", &FeatureConfig::default()))
}

fn rules() -> RuleSet {
    RuleSet::load(&repo().join("rules/urp-it.toml")).expect("shipped rules are valid")
}

#[test]
fn cold_start_decides_on_keywords_and_falls_back_without_evidence() {
    let c = Classifier::with_rules(rules(), None).expect("classifier");
    let t = |d: &urpmail::classify::Decision| c.taxonomy().topic(d.topic).id.clone();
    let d = decide(&c, "Buca pericolosa", "In via Roma c'e' una buca enorme sull'asfalto, e' un pericolo.");
    assert_eq!(t(&d), "lavori-pubblici");
    assert_eq!(d.decided_by.as_str(), "rules");
    assert!(d.rule_hits.iter().any(|h| h.rule == "buca" || h.rule == "buche"), "{:?}", d.rule_hits);
    let d = decide(&c, "Saluti", "Buongiorno, grazie ancora.");
    assert_eq!(t(&d), "altro");
    assert!(d.review);
    assert_eq!(d.decided_by.as_str(), "fallback");
}

#[test]
fn disagreement_between_rules_and_model_is_flagged() {
    let model = commands::ModelChoice::Default.load().expect("model").expect("built-in model");
    let c = Classifier::with_rules(rules(), Some(model)).expect("classifier");
    // The body names an identity card (a registry keyword, the rules' best topic) but asks for
    // home care for an elderly neighbour, which the model reads as social services.
    let d = decide(
        &c,
        "informazione",
        "la signora anziana del piano di sopra vive da sola, non ha soldi per mangiare e non \
         riesce a pagare le bollette, serve assistenza domiciliare e un aiuto per la spesa; ha \
         anche la carta d'identità scaduta",
    );
    assert_eq!(c.taxonomy().topic(d.topic).id, "sociale", "{d:?}");
    assert_eq!(d.decided_by.as_str(), "model");
    assert!(
        d.review && d.review_reasons.contains(&urpmail::domain::ReviewReason::RulesModelDisagree),
        "{d:?}"
    );
    assert!(d.rule_hits.iter().any(|h| h.rule == "carta d'identità" && h.field.as_str() == "body"));
    // Nothing at all to go on: the residual topic, flagged.
    let d = decide(&c, "", "");
    assert_eq!(c.taxonomy().topic(d.topic).id, "altro");
    assert!(d.review);
}

/// Expected decisions for fixtures whose topic an URP clerk would not dispute.
const GOLDEN: &[(&str, &str)] = &[
    ("pec-transport.eml", "anagrafe"),
    ("pec-anomaly.eml", "lavori-pubblici"),
    ("pec-nested.eml", "cimiteri"),
    ("reply-outlook-block.eml", "mobilita"),
    ("reply-gmail-quote.eml", "mobilita"),
    ("windows-1252.eml", "polizia-municipale"),
    ("html-only.eml", "servizi-online"),
    ("latin1-qp.eml", "attivita-produttive"),
    ("attachments.eml", "sociale"),
    ("missing-date.eml", "ambiente"),
    ("absurd-date.eml", "cultura-sport"),
    ("no-message-id.eml", "cultura-sport"),
    ("broken-mime-no-closing-boundary.eml", "lavori-pubblici"),
    ("citizen-mentions-autoreply.eml", "lavori-pubblici"),
    ("subject-prefixes.eml", "mobilita"),
    ("reply-messaggio-originale.eml", "scuola"),
    ("unknown-charset.eml", "mobilita"),
    // Not here: `utf8-base64.eml`, a request for access to the documents of a building practice.
    // It was listed as `rapporti-ente`, but the writers of the blind validation set filed a like
    // request under `edilizia`: clerks dispute it, and the model trained with the issue-12
    // defaults says `edilizia`.
];

#[test]
fn golden_decisions_on_fixtures() {
    let paths: Vec<PathBuf> = GOLDEN.iter().map(|(f, _)| fixture(&format!("eml/{f}"))).collect();
    let recs = classify_with(&paths, ModelChoice::Default, RulesChoice::Default);
    let mut wrong = Vec::new();
    for ((file, want), r) in GOLDEN.iter().zip(&recs) {
        assert!(r["excluded"].is_null() && r["skipped"].is_null(), "{file}: {r}");
        assert_eq!(r["schema_version"], 2);
        assert_eq!(r["taxonomy"], "urp-it-1");
        assert!(r["rules_version"].is_string() && r["model_version"].is_string());
        let e = &r["explanation"];
        assert!(e["top_topics"].as_array().is_some_and(|t| !t.is_empty() && t.len() <= 3), "{file}");
        if r["topic"] != *want {
            wrong.push(format!("{file}: {} (wanted {want}), explanation {}", r["topic"], e));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn demo_prints_the_theme_table_with_year_on_year() {
    let demo = commands::demo::run(None, 0).expect("demo runs");
    let table = demo.text;
    assert!(table.contains("Temi trattati via e-mail - anno 2025 (confronto con il 2024)"), "{table}");
    // Totals equal the manifest: 153 citizen messages in 2025, 112 in 2024, 38 excluded in 2025.
    let total = table.lines().find(|l| l.starts_with("Totale messaggi classificati")).expect("total row");
    let cells: Vec<&str> = total.split_whitespace().collect();
    assert!(cells.contains(&"153") && cells.contains(&"112") && cells.contains(&"+41"), "{total}");
    assert!(table.contains("Esclusi dal conteggio nel 2025: 38"), "{table}");
    assert!(table.contains("Tributi e pagamenti"), "{table}");
    assert!(table.contains("Ricevute e avvisi PEC"), "{table}");
    assert!(table.contains("tassonomia urp-it-1"), "{table}");
}
