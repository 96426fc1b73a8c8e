//! The commands on a PostgreSQL store, as IT and staff run them, side by side with a SQLite store
//! fed the same mail: the theme table, status, the review file and `report messages` are equal;
//! the corrections loop (review → learn → reclassify → undo) gives the same models and tables.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::postgres;
use crate::support::repo;

fn urpmail() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_urpmail"));
    // Same clock for both stores' model headers: the models must come out identical.
    c.env("SOURCE_DATE_EPOCH", "1765000000");
    c
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn run(args: &[&str], store: &str, what: &str) -> String {
    ok(urpmail().args(args).args(["--store", store]).output().expect("runs"), what)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("json")
}

/// The theme table without where it came from (the store's name differs by design).
fn table(store: &str, extra: &[&str]) -> Value {
    let mut args = vec!["report", "themes", "--format", "json"];
    args.extend_from_slice(extra);
    let mut v = json(&run(&args, store, "report themes"));
    v["provenance"]["source"] = Value::Null;
    v
}

fn status(store: &str) -> Value {
    let mut v = json(&run(&["status", "--format", "json"], store, "status"));
    v["store"] = Value::Null;
    for k in ["started_at", "finished_at", "id"] {
        v["last_run"][k] = Value::Null;
    }
    if let Some(models) = v["active_model"].as_object_mut() {
        models.remove("file");
        models.remove("in_store");
    }
    v
}

fn review(store: &str, dir: &Path, name: &str) -> Value {
    let out = dir.join(name);
    run(&["report", "review", "--seed", "pg", "--out", out.to_str().expect("utf-8")], store, "report review");
    json(&std::fs::read_to_string(out).expect("review file"))
}

#[test]
fn postgres_and_sqlite_give_the_same_tables_and_the_same_corrections_loop() {
    let Some(db) = postgres::database("cli_parity") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("urpmail.db");
    let stores = [file.to_str().expect("utf-8").to_string(), db.url()];
    let sample = repo().join("samples/mailbox");
    for s in &stores {
        run(&["ingest", sample.to_str().expect("utf-8")], s, "ingest");
    }
    let [sqlite, pg] = &stores;
    assert_eq!(table(pg, &[]), table(sqlite, &[]), "the theme table");
    assert_eq!(table(pg, &["--by", "month"]), table(sqlite, &["--by", "month"]));
    assert_eq!(table(pg, &["--publish"]), table(sqlite, &["--publish"]), "the published table");
    assert_eq!(status(pg), status(sqlite), "status");
    let messages = |s: &str| run(&["report", "messages", "--format", "jsonl"], s, "report messages");
    assert_eq!(messages(pg), messages(sqlite), "report messages");
    // A published table names the database, never its host or user.
    let published = run(&["report", "themes", "--publish", "--format", "md"], pg, "publish");
    assert!(published.contains(&format!("{} (PostgreSQL)", db.name)), "{published}");
    assert!(!published.contains("127.0.0.1") && !published.contains("urpmail@"), "{published}");

    // The same review, corrected alike.
    let reviews: Vec<Value> =
        stores.iter().zip(["r-sqlite.json", "r-pg.json"]).map(|(s, n)| review(s, dir.path(), n)).collect();
    assert_eq!(reviews[0]["items"], reviews[1]["items"], "the review file");
    let mut filled = reviews[1].clone();
    let items = filled["items"].as_array_mut().expect("items");
    let mut moved = 0;
    for item in items.iter_mut().take(6) {
        if item["topic"] != "cimiteri" {
            item["corrected_topic"] = Value::from("cimiteri");
            moved += 1;
        }
    }
    let review_path = dir.path().join("filled.json");
    std::fs::write(&review_path, serde_json::to_string_pretty(&filled).expect("json")).expect("write");
    let review_arg = review_path.to_str().expect("utf-8");
    let learned: Vec<String> = stores.iter().map(|s| run(&["learn", review_arg], s, "learn")).collect();
    // The database keeps the learned model itself: no file beside anything.
    assert!(
        learned[1].contains(&format!("salvato in postgres://urpmail@127.0.0.1:{}/{}", db.port, db.name)),
        "{}",
        learned[1]
    );
    let version = |s: &str| status(s)["active_model"]["version"].as_str().map(String::from);
    let v_pg = version(pg).expect("an active learned model");
    assert_eq!(version(sqlite), Some(v_pg.clone()), "the same model learned from the same corrections");
    let stored: i64 = db
        .admin()
        .query_one("SELECT length(body)::bigint FROM urpmail.models WHERE version = $1", &[&v_pg])
        .expect("model bytes")
        .get(0);
    assert!(stored > 100_000, "the model's bytes are in the database ({stored})");
    let cimiteri = |s: &str| {
        table(s, &[])["rows"].as_array().expect("rows").iter().find(|r| r["topic"] == "cimiteri").cloned()
    };
    assert_eq!(cimiteri(pg), cimiteri(sqlite));
    assert!(moved > 0);

    // reclassify with the learned model (read back from the database), then undo both.
    let reclassified: Vec<String> = stores.iter().map(|s| run(&["reclassify"], s, "reclassify")).collect();
    let tail = |t: &str| {
        t.lines().filter(|l| !l.contains("urpmail") && !l.contains(".db")).collect::<Vec<_>>().join("\n")
    };
    assert_eq!(tail(&reclassified[1]), tail(&reclassified[0]), "the same changes");
    assert_eq!(table(pg, &[]), table(sqlite, &[]), "the table after reclassify");
    let run_of = |t: &str| -> String {
        t.split_whitespace()
            .skip_while(|w| *w != "--undo")
            .nth(1)
            .map(|w| w.trim_matches(|c: char| !c.is_ascii_digit()).to_string())
            .unwrap_or_else(|| panic!("no undo hint in {t}"))
    };
    for (s, out) in stores.iter().zip(&reclassified) {
        run(&["reclassify", "--undo", &run_of(out)], s, "reclassify --undo");
    }
    for (s, out) in stores.iter().zip(&learned) {
        run(&["learn", "--undo", &run_of(out)], s, "learn --undo");
    }
    assert_eq!(table(pg, &[]), table(sqlite, &[]), "the table after both undos");
    assert_eq!(status(pg)["active_model"], Value::Null, "the built-in model decides again");
    assert_eq!(status(pg), status(sqlite));

    // Retention: the same rows folded, the same tables after it.
    let pruned: Vec<String> =
        stores.iter().map(|s| run(&["prune", "--older-than", "2024-09-01"], s, "prune")).collect();
    assert_eq!(pruned[0], pruned[1]);
    assert!(pruned[1].contains("message rows folded"), "{}", pruned[1]);
    let year = table(pg, &[])["year"].as_i64().expect("year") - 1;
    let previous = year.to_string();
    assert_eq!(table(pg, &["--year", &previous]), table(sqlite, &["--year", &previous]), "a pruned year");
    assert_eq!(messages(pg), messages(sqlite));
}

#[test]
fn a_database_store_gives_plain_errors_and_exit_codes() {
    let Some(db) = postgres::database("cli_errors") else { return };
    // No store yet: reports say so (exit 2), and create nothing.
    let out = urpmail().args(["report", "themes", "--store", &db.url()]).output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no store yet"), "{err}");
    // A password in the URL is refused before anything is sent.
    let url = format!("postgres://urpmail:secret@127.0.0.1:{}/{}", db.port, db.name);
    let out = urpmail().args(["status", "--store", &url]).output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("password_file") && !err.contains("secret"), "{err}");
    // Nobody listening: exit 75 (try again later), as for an IMAP server.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let url = format!(
        "postgres://urpmail@127.0.0.1:{port}/{}?password_file={}",
        db.name,
        db.password_file.display()
    );
    let out = urpmail()
        .args(["ingest", "--store", &url])
        .arg(repo().join("samples/mailbox"))
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(75), "{err}");
    assert!(err.contains("cannot reach the database server") && !err.contains("Error {"), "{err}");
}

#[test]
fn config_check_connects_to_a_database_store() {
    let Some(db) = postgres::database("config_check") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("urpmail.toml");
    std::fs::write(&config, format!("version = 1\n{}", db.config_section())).expect("write");
    let out = ok(
        urpmail().args(["config", "check", "--connect", "--config"]).arg(&config).output().expect("runs"),
        "config check",
    );
    assert!(
        out.contains(&format!(
            "store postgres://urpmail@127.0.0.1:{}/{}: connected, writable",
            db.port, db.name
        )),
        "{out}"
    );
    // path and url together, and database keys beside a file, are refused with the fix.
    for (text, says) in [
        (format!("version = 1\n{}path = \"x.db\"\n", db.config_section()), "not both"),
        ("version = 1\n[store]\npath = \"x.db\"\nca_file = \"ca.pem\"\n".to_string(), "needs none"),
        ("version = 1\n[store]\nstore_snippets = true\n".to_string(), "needs path"),
    ] {
        std::fs::write(&config, text).expect("write");
        let out = urpmail().args(["config", "check", "--config"]).arg(&config).output().expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(says) && err.contains("urpmail.toml:"), "{err}");
    }
}

#[test]
fn store_copy_moves_a_store_to_postgres_and_back_exactly() {
    let Some(db) = postgres::database("copy") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("urpmail.db");
    let f = file.to_str().expect("utf-8");
    // A store that has lived: mail, a learned model, a reclassify run, an export, retention.
    run(&["ingest", repo().join("samples/mailbox").to_str().expect("utf-8")], f, "ingest");
    let mut filled = review(f, dir.path(), "r.json");
    for item in filled["items"].as_array_mut().expect("items").iter_mut().take(4) {
        item["corrected_topic"] = Value::from("cimiteri");
    }
    let review_path = dir.path().join("filled.json");
    std::fs::write(&review_path, serde_json::to_string_pretty(&filled).expect("json")).expect("write");
    run(&["learn", review_path.to_str().expect("utf-8")], f, "learn");
    run(&["reclassify"], f, "reclassify");
    run(&["report", "themes", "--out", dir.path().join("temi.csv").to_str().expect("utf-8")], f, "export");
    run(&["prune", "--older-than", "2024-06-01"], f, "prune");

    let copy = |from: &str, to: &str| {
        ok(
            urpmail().args(["store", "copy", "--from", from, "--to", to]).output().expect("runs"),
            "store copy",
        )
    };
    let out = copy(f, &db.url());
    assert!(out.contains("verified") && out.contains("learned models: 1 with their bytes"), "{out}");
    let pg = db.url();
    assert_eq!(table(&pg, &[]), table(f, &[]));
    assert_eq!(status(&pg), status(f));
    let messages = |s: &str| run(&["report", "messages", "--format", "jsonl"], s, "report messages");
    assert_eq!(messages(&pg), messages(f));
    // The learned model decides in the database too: the same review file comes out.
    assert_eq!(review(&pg, dir.path(), "a.json")["items"], review(f, dir.path(), "b.json")["items"]);

    // And back into a new file: the same again, the model a file beside it.
    let back = dir.path().join("back.db");
    let b = back.to_str().expect("utf-8");
    copy(&pg, b);
    assert_eq!(table(b, &[]), table(f, &[]));
    assert_eq!(status(b), status(f));
    assert_eq!(messages(b), messages(f));
    let models = std::fs::read_dir(dir.path().join("back-models")).expect("models folder").count();
    assert_eq!(models, 1, "the learned model became a file again");

    // Never over a store that holds data.
    let out = urpmail().args(["store", "copy", "--from", f, "--to", &pg]).output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("already holds a store"), "{err}");
}

/// Splits the sample mailbox in two Maildirs (odd and even files), one per ente.
fn two_mailboxes(dir: &Path) -> [std::path::PathBuf; 2] {
    let mut files: Vec<_> = std::fs::read_dir(repo().join("samples/mailbox/cur"))
        .expect("sample")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let out = [dir.join("alfa"), dir.join("bravo")];
    for o in &out {
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(o.join(sub)).expect("maildir");
        }
    }
    for (i, f) in files.iter().enumerate() {
        std::fs::copy(f, out[i % 2].join("cur").join(f.file_name().expect("name"))).expect("copy");
    }
    out
}

#[test]
fn enti_share_one_database_each_in_its_own_schema_and_side_by_side() {
    let Some(db) = postgres::database("enti") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let boxes = two_mailboxes(dir.path());
    let config = |id: &str, name: &str| {
        let path = dir.path().join(format!("{id}.toml"));
        std::fs::write(
            &path,
            format!("version = 1\n[ente]\nid = \"{id}\"\nname = \"{name}\"\n{}", db.config_section()),
        )
        .expect("write");
        path
    };
    let (alfa, bravo) = (config("a1", "Comune di Alfa"), config("b2", "Comune di Bravo"));
    for (c, mailbox) in [(&alfa, &boxes[0]), (&bravo, &boxes[1])] {
        ok(
            urpmail().args(["-q", "ingest", "--config"]).arg(c).arg(mailbox).output().expect("runs"),
            "ingest",
        );
    }
    let themes = |c: &Path| -> Value {
        json(&ok(
            urpmail()
                .args(["report", "themes", "--format", "json", "--config"])
                .arg(c)
                .output()
                .expect("runs"),
            "report themes",
        ))
    };
    let (ta, tb) = (themes(&alfa), themes(&bravo));
    assert_eq!(ta["provenance"]["ente"], "Comune di Alfa");
    assert_eq!(tb["provenance"]["ente"], "Comune di Bravo");
    let year = ta["year"].as_i64().expect("year");
    assert_eq!(tb["year"].as_i64(), Some(year));
    // Each ente sees its own mail only: the two halves add up to the whole sample.
    let whole_dir = dir.path().join("whole.db");
    run(
        &["ingest", repo().join("samples/mailbox").to_str().expect("utf-8")],
        whole_dir.to_str().expect("utf-8"),
        "ingest",
    );
    let whole = table(whole_dir.to_str().expect("utf-8"), &[]);
    let total = |v: &Value| v["total"].as_u64().expect("total");
    assert_eq!(total(&ta) + total(&tb), total(&whole));
    assert!(total(&ta) > 0 && total(&tb) > 0);
    let text =
        ok(urpmail().args(["report", "themes", "--config"]).arg(&alfa).output().expect("runs"), "text");
    assert!(text.starts_with("Comune di Alfa - Temi trattati via e-mail"), "{text}");
    // The ente's store by URL.
    let by_url = table(&format!("{}&ente=a1", db.url()), &[]);
    assert_eq!(by_url["total"], ta["total"]);

    // Side by side: one column per ente, the totals those of each ente's table.
    let side: Value =
        json(&run(&["report", "themes", "--all-enti", "--format", "json"], &db.url(), "all enti"));
    let names: Vec<&str> =
        side["enti"].as_array().expect("enti").iter().map(|e| e["name"].as_str().expect("name")).collect();
    assert_eq!(names, ["Comune di Alfa", "Comune di Bravo"]);
    assert_eq!(side["enti"][0]["total"], ta["total"]);
    assert_eq!(side["enti"][1]["total"], tb["total"]);
    assert_eq!(side["total"].as_u64(), Some(total(&ta) + total(&tb)));
    let published =
        run(&["report", "themes", "--all-enti", "--publish", "--format", "csv"], &db.url(), "published");
    assert!(
        published.starts_with('\u{feff}')
            && published.contains("Comune di Bravo")
            && published.contains("<5"),
        "{published}"
    );
    let xlsx = dir.path().join("enti.xlsx");
    run(&["report", "themes", "--all-enti", "--out", xlsx.to_str().expect("utf-8")], &db.url(), "xlsx");
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).expect("workbook");
    let sheet = wb.worksheet_range(&format!("Enti {year}")).expect("sheet");
    let header: Vec<String> = sheet.rows().nth(2).expect("header").iter().map(|c| c.to_string()).collect();
    assert_eq!(header, ["Tema", "Comune di Alfa", "Comune di Bravo", "Totale"]);

    // One comune's configuration cannot write into another's store.
    let file = dir.path().join("alfa.db");
    let with_file = |id: &str| {
        let path = dir.path().join(format!("{id}-file.toml"));
        std::fs::write(
            &path,
            format!(
                "version = 1\n[ente]\nid = \"{id}\"\nname = \"X\"\n[store]\npath = {:?}\n",
                file.display().to_string()
            ),
        )
        .expect("write");
        path
    };
    ok(
        urpmail()
            .args(["-q", "ingest", "--config"])
            .arg(with_file("a1"))
            .arg(&boxes[0])
            .output()
            .expect("runs"),
        "ingest",
    );
    let out =
        urpmail().args(["ingest", "--config"]).arg(with_file("b2")).arg(&boxes[1]).output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("holds the mail of ente \"a1\", not \"b2\""), "{err}");
    let out =
        urpmail().args(["report", "themes", "--all-enti", "--store"]).arg(&file).output().expect("runs");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("shared PostgreSQL database"),
        "a file holds one ente"
    );
}
