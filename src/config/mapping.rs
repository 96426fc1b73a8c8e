//! The taxonomy mapping file (`report themes --mapping FILE`): a TOML `[mapping]` table of
//! `old-id = "new-id"` lines that reclassifies compared years counted under an older taxonomy.
//! Parsed and checked against the rules' taxonomy here, so `report` takes a ready
//! [`Mapping`] and never reads a file. Errors name the file, the line and the fix.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;
use crate::classify::rules::line_of;
use crate::classify::taxonomy::Taxonomy;
use crate::report::themes::Mapping;

/// What a mapping file must look like, added to syntax errors.
const SHAPE: &str = "a mapping file is a [mapping] table of old-id = \"new-id\" lines";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    mapping: BTreeMap<String, Spanned<String>>,
}

/// Reads and checks a mapping file; the mapping is named after `path` as given.
pub fn load(path: &Path, taxonomy: &Taxonomy) -> Result<Mapping, ConfigError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: name.clone(),
        line: None,
        message: format!("cannot read mapping file: {e}"),
    })?;
    parse(&text, &name, taxonomy)
}

/// Parses mapping text named `name`; every new id must be a topic of `taxonomy`.
pub fn parse(text: &str, name: &str, taxonomy: &Taxonomy) -> Result<Mapping, ConfigError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let err = |line: Option<usize>, message: String| ConfigError { file: name.to_string(), line, message };
    let raw: RawMapping = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        err(line, format!("{} ({SHAPE})", e.message().trim()))
    })?;
    let mut map = BTreeMap::new();
    for (old, new) in raw.mapping {
        if taxonomy.find(new.get_ref()).is_none() {
            let ids: Vec<&str> = taxonomy.topics().iter().map(|t| t.id.as_str()).collect();
            return Err(err(
                Some(line_of(text, new.span().start)),
                format!(
                    "{:?} is not a topic of taxonomy {}: map to one of {}",
                    new.get_ref(),
                    taxonomy.id,
                    ids.join(", ")
                ),
            ));
        }
        map.insert(old, new.into_inner());
    }
    Ok(Mapping { name: name.to_string(), map })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::taxonomy::Topic;

    fn tax() -> Taxonomy {
        let topic = |id: &str| Topic { id: id.into(), label: id.to_uppercase() };
        Taxonomy::new(
            "urp-2".into(),
            vec![topic("tributi"), topic("anagrafe"), topic("altro")],
            Some("altro"),
        )
    }

    #[test]
    fn a_mapping_names_itself_after_the_file() {
        let m = parse(
            "# 2024 -> 2025\n[mapping]\ntasse = \"tributi\"\n\"stato-civile\" = \"anagrafe\"\n",
            "m.toml",
            &tax(),
        )
        .expect("valid");
        assert_eq!(m.name, "m.toml");
        assert_eq!(m.map.len(), 2);
        assert_eq!(m.map["tasse"], "tributi");
        assert_eq!(m.map["stato-civile"], "anagrafe");
        let bom =
            parse("\u{feff}[mapping]\ntasse = \"tributi\"\n", "m.toml", &tax()).expect("a BOM is skipped");
        assert_eq!(bom.map["tasse"], "tributi");
    }

    #[test]
    fn an_unknown_new_topic_names_its_line_and_the_choices() {
        let e = parse("[mapping]\ntasse = \"tributi\"\nvecchio = \"nuovo\"\n", "m.toml", &tax())
            .expect_err("nuovo is not a topic");
        assert_eq!(e.line, Some(3));
        assert_eq!(
            e.to_string(),
            "m.toml:3: \"nuovo\" is not a topic of taxonomy urp-2: map to one of tributi, anagrafe, altro"
        );
    }

    #[test]
    fn syntax_errors_name_the_line_and_the_expected_shape() {
        let e = parse("# note\n[mappin]\ntasse = \"tributi\"\n", "m.toml", &tax()).expect_err("typo");
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("unknown field `mappin`") && e.message.contains(SHAPE), "{e}");
        let e = parse("[mapping]\ntasse = 3\n", "m.toml", &tax()).expect_err("not a string");
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.to_string().starts_with("m.toml:2: "), "{e}");
        let e = parse("", "m.toml", &tax()).expect_err("empty file");
        assert!(e.message.contains("missing field `mapping`"), "{e}");
    }

    #[test]
    fn an_unreadable_file_is_named() {
        let e = load(Path::new("/nonexistent/m.toml"), &tax()).expect_err("no such file");
        assert!(e.to_string().starts_with("/nonexistent/m.toml: cannot read mapping file: "), "{e}");
    }
}
