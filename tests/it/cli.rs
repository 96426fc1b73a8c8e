//! The binary as a user runs it: exit codes, errors that name the file, stable output order.

use std::process::Command;

use crate::support::{classify, corpus_model, fixture, repo};

fn urpmail() -> Command {
    Command::new(env!("CARGO_BIN_EXE_urpmail"))
}

#[test]
fn output_order_does_not_depend_on_threads() {
    let dir = [fixture("eml")];
    let one = classify(&dir, &corpus_model(), 1, true);
    let two = classify(&dir, &corpus_model(), 2, true);
    assert_eq!(one, two);
    let sources: Vec<&str> = one.iter().map(|r| r["source"].as_str().expect("source")).collect();
    let mut sorted = sources.clone();
    sorted.sort();
    assert_eq!(sources, sorted, "directory entries come in name order");
}

#[test]
fn bad_model_file_is_refused_with_its_name_and_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("broken.model");
    let mut bytes = std::fs::read(corpus_model()).expect("model");
    let n = bytes.len();
    bytes[n / 2] ^= 0x55;
    std::fs::write(&bad, bytes).expect("write");
    let out = urpmail()
        .args(["classify", "--rules", "none", "--model"])
        .arg(&bad)
        .arg(fixture("eml/html-only.eml"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.model") && err.contains("corrupted"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_rules_file_names_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("mine.toml");
    let text = std::fs::read_to_string(repo().join("rules/urp-it.toml")).expect("rules");
    // A typo in a key, on a known line.
    let broken = text.replacen("keywords = [", "keywordz = [", 1);
    let line = broken.lines().position(|l| l.contains("keywordz")).expect("line") + 1;
    std::fs::write(&rules, broken).expect("write");
    let out = urpmail().args(["rules", "check"]).arg(&rules).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("mine.toml:{line}:")), "{err}");
    assert!(err.contains("keywordz"), "{err}");
}

#[test]
fn the_built_in_rules_check_ok() {
    let out = urpmail().args(["rules", "check"]).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.starts_with("ok: rules ") && s.contains("urp-it-1 (18 topics"), "{s}");
}

#[test]
fn missing_input_path_is_an_input_error() {
    let out = urpmail().args(["classify", "/nonexistent/urpmail-test"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/urpmail-test"));
}

#[test]
fn train_and_eval_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.model");
    let train = |threads: &str| {
        let status = urpmail()
            .args(["-q", "train", "--rules", "none", "--threads", threads, "--data"])
            .arg(repo().join("models/corpus"))
            .arg("--out")
            .arg(&model)
            .env("SOURCE_DATE_EPOCH", "1767225600")
            .status()
            .expect("runs");
        assert!(status.success());
        std::fs::read(&model).expect("model written")
    };
    let first = train("0");
    assert_eq!(train("1"), first, "same input, same bytes, whatever the threads");
    let out = urpmail()
        .args(["eval", "--rules", "none", "--format", "json", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(repo().join("models/corpus"))
        .output()
        .expect("runs");
    assert!(out.status.success());
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(r["items"], 2700);
    // Scored on its own training data the model must fit it well; this guards the plumbing.
    assert!(r["accuracy"].as_f64().expect("accuracy") > 0.95, "{}", r["accuracy"]);
    assert_eq!(r["confusion"].as_array().expect("confusion").len(), 18);
}

#[test]
fn the_shipped_model_is_reproduced_byte_for_byte_by_the_documented_command() {
    // README: SOURCE_DATE_EPOCH=1767225600 urpmail train --data models/corpus --rules rules/urp-it.toml --out models/urp-it.model
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("urp-it.model");
    let status = urpmail()
        .args(["-q", "train", "--data"])
        .arg(repo().join("models/corpus"))
        .arg("--rules")
        .arg(repo().join("rules/urp-it.toml"))
        .arg("--out")
        .arg(&out)
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .status()
        .expect("runs");
    assert!(status.success());
    let shipped = std::fs::read(repo().join("models/urp-it.model")).expect("shipped model");
    assert!(
        std::fs::read(&out).expect("trained") == shipped,
        "models/urp-it.model is stale: retrain it with the README command and commit it"
    );
}

/// Store errors name the store file and say what to do, for every command that reads it.
#[test]
fn a_damaged_store_is_named_with_the_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("urpmail.db");
    std::fs::write(&store, "not a database, only text long enough to fill an SQLite header page.".repeat(4))
        .expect("write");
    for args in [
        vec!["status", "--store"],
        vec!["report", "themes", "--store"],
        vec!["ingest", "--store"],
        vec!["prune", "--older-than", "30", "--store"],
    ] {
        let mut cmd = urpmail();
        cmd.args(&args).arg(&store);
        if args[0] == "ingest" {
            cmd.arg(repo().join("tests/fixtures/eml/attachments.eml"));
        }
        let out = cmd.output().expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(&store.display().to_string()), "{args:?} names the store: {err}");
        assert!(err.contains("restore the last backup"), "{args:?} says what to do: {err}");
    }
}

#[test]
fn poll_once_reports_a_bad_rules_file_before_an_unreachable_server() {
    // `poll --once` builds the classifier while it connects: the configuration error must still
    // be the one reported (exit 2, no store created); with good rules the same unreachable server
    // is a temporary failure (exit 75).
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let pass = d.join("pass");
    std::fs::write(&pass, "secret\n").expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    std::fs::write(d.join("bad.toml"), "format_version = 1\n[[topic]\n").expect("write");
    let store = d.join("s.db");
    let config = |rules: &str| {
        format!(
            "version = 1\n[store]\npath = {store:?}\n[[account]]\nname = \"urp\"\nhost = \"127.0.0.1\"\nport = 1\n\
             tls = \"implicit\"\nusername = \"u\"\npassword_file = {pass:?}\nmailboxes = [\"INBOX\"]\n\
             [classification]\nrules = {rules:?}\n",
        )
    };
    let bad = d.join("bad-rules.toml");
    std::fs::write(&bad, config(&d.join("bad.toml").display().to_string())).expect("write");
    let out = urpmail().args(["-q", "poll", "--once", "--config"]).arg(&bad).output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.toml:2"), "the rules file and line are named: {err}");
    assert!(!err.contains("Connection refused"), "{err}");
    assert!(!store.exists(), "a configuration error leaves no store");

    let good = d.join("good.toml");
    std::fs::write(&good, config("default")).expect("write");
    let out = urpmail().args(["-q", "poll", "--once", "--config"]).arg(&good).output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(75), "{err}");
    assert!(err.contains("Connection refused"), "{err}");
}

/// `urpmail classify DIR | head -1`: the reader closing the pipe is a normal end (exit 0,
/// nothing on stderr), as in ripgrep.
#[test]
fn a_closed_stdout_pipe_ends_quietly_with_0() {
    use std::io::BufRead;
    use std::process::Stdio;
    // The sample mailbox gives ~180 kB of JSON Lines, more than a pipe holds, so the writer is
    // still writing when the reader goes away.
    let mut child = urpmail()
        .arg("classify")
        .arg(repo().join("samples/mailbox"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let mut first = String::new();
    {
        let stdout = child.stdout.take().expect("stdout");
        std::io::BufReader::new(stdout).read_line(&mut first).expect("one line");
    }
    let out = child.wait_with_output().expect("waits");
    assert!(first.starts_with("{\"schema_version\":2"), "{first}");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Output files that cannot be written are failures while running (exit 1), not bad input
/// (exit 2), and the message names the file.
#[test]
fn an_unwritable_output_path_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("demo.db");
    urpmail::commands::demo::run(Some(&store), 0).expect("demo runs");
    let missing = dir.path().join("no-such-folder");
    let cases: [(&[&str], &str); 5] = [
        (&["report", "themes", "--chart"], "temi.svg"),
        (&["report", "themes", "--chart"], "temi.png"),
        (&["report", "themes", "--format", "xlsx", "--out"], "temi.xlsx"),
        (&["report", "themes", "--format", "csv", "--out"], "temi.csv"),
        (&["report", "review", "--out"], "review.json"),
    ];
    for (args, file) in cases {
        let target = missing.join(file);
        let out =
            urpmail().arg("-q").args(args).arg(&target).arg("--store").arg(&store).output().expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(&target.display().to_string()), "{args:?} names the file: {err}");
    }
    // A table that was not written is not recorded as exported.
    let conn = rusqlite::Connection::open(&store).expect("open store");
    let exports: i64 = conn.query_row("SELECT COUNT(*) FROM exports", [], |r| r.get(0)).expect("exports");
    assert_eq!(exports, 0, "failed writes recorded as exports");
    // A chart format that does not exist is still a bad argument.
    let out = urpmail()
        .args(["-q", "report", "themes", "--chart"])
        .arg(dir.path().join("temi.pdf"))
        .arg("--store")
        .arg(&store)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}

/// An option the command would not use is refused (exit 2), never silently dropped.
#[test]
fn options_a_command_would_ignore_are_refused() {
    let corpus = repo().join("models/corpus");
    let corpus = corpus.to_str().expect("utf-8 path");
    let cases: [&[&str]; 6] = [
        &["eval", "--cv", "3", "--model", "some.model", "--data", corpus],
        &["learn", "--store", "s.db", "--undo", "1", "--model", "some.model"],
        &["learn", "--store", "s.db", "--undo", "1", "--reviewer", "anna"],
        &["report", "review", "--store", "s.db", "--out", "r.json", "--per-topic", "3", "--sample", "5"],
        &["report", "themes", "--store", "s.db", "--min-cell", "10"],
        &["train", "--data", corpus, "--out", "m.model", "--variant", "multinomial", "--weight-norm"],
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    for args in cases {
        let out = urpmail().current_dir(dir.path()).args(args).output().expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0, "nothing was written");
}

/// Every command that reads a store takes exactly one of `--config FILE` and `--store FILE`.
#[test]
fn config_and_store_together_are_refused() {
    let commands: [&[&str]; 6] = [
        &["status"],
        &["prune", "--older-than", "30"],
        &["ingest", "mail.eml"],
        &["learn", "review.json"],
        &["report", "themes"],
        &["report", "review", "--out", "r.json"],
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    for args in commands {
        let both = urpmail()
            .current_dir(dir.path())
            .args(args)
            .args(["--config", "urpmail.toml", "--store", "s.db"])
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&both.stderr);
        assert_eq!(both.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("--config") && err.contains("--store"), "{args:?}: {err}");
        let neither = urpmail().current_dir(dir.path()).args(args).output().expect("runs");
        let err = String::from_utf8_lossy(&neither.stderr);
        assert_eq!(neither.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("--config <FILE>|--store <FILE|URL>"), "{args:?}: {err}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0, "no store was created");
}

/// `status --check` answers in the monitoring-plugin convention even before it runs: a wrong
/// option or an unreadable configuration is one UNKNOWN line and exit 3, never exit 2 (CRITICAL).
#[test]
fn status_check_usage_and_configuration_errors_are_unknown() {
    for args in [
        &["status", "--check", "--warning-age", "soon", "--store", "/nonexistent/u.db"][..],
        &["status", "--check", "--config", "/nonexistent/urpmail.toml"][..],
    ] {
        let out = urpmail().args(args).output().expect("runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {stdout}");
        assert_eq!(stdout.lines().count(), 1, "{stdout}");
        assert!(stdout.starts_with("URPMAIL UNKNOWN - "), "{stdout}");
    }
    // Other commands keep exit 2 for a wrong option.
    let out = urpmail()
        .args(["status", "--warning-age", "5", "--store", "/nonexistent/u.db"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
}
