//! Embeds the shipped defaults (rules, model, sample mailbox) so an installed `urpmail` works
//! from any folder. Files missing from a source tree are embedded as `None` and reported at run
//! time by the commands that need them.

use std::fmt::Write;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut code = String::new();
    for (name, rel, kind) in
        [("RULES_TEXT", "rules/urp-it.toml", "str"), ("MODEL_BYTES", "models/urp-it.model", "bytes")]
    {
        let path = root.join(rel);
        println!("cargo:rerun-if-changed={}", path.display());
        let value = if path.is_file() {
            let mac = if kind == "str" { "include_str" } else { "include_bytes" };
            format!("Some({mac}!({:?}))", path.display().to_string())
        } else {
            "None".to_string()
        };
        let ty = if kind == "str" { "&str" } else { "&[u8]" };
        let _ = writeln!(code, "pub(crate) const {name}: Option<{ty}> = {value};");
    }
    let mut files: Vec<PathBuf> = Vec::new();
    for sub in ["cur", "new"] {
        let dir = root.join("samples/mailbox").join(sub);
        println!("cargo:rerun-if-changed={}", dir.display());
        if let Ok(rd) = std::fs::read_dir(&dir) {
            files.extend(rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()));
        }
    }
    files.sort();
    let _ = writeln!(code, "pub(crate) const SAMPLE_MAILBOX: &[(&str, &[u8])] = &[");
    for f in &files {
        let name = rel_name(&root, f);
        let _ = writeln!(code, "    ({name:?}, include_bytes!({:?})),", f.display().to_string());
    }
    let _ = writeln!(code, "];");
    std::fs::write(out.join("defaults.rs"), code).expect("write defaults.rs");
}

fn rel_name(root: &Path, f: &Path) -> String {
    f.strip_prefix(root.join("samples")).unwrap_or(f).display().to_string()
}
