//! `urpmail prune`: retention. Drops snippets and per-message rows of messages older than a
//! cutoff, keeping the aggregate counts (and the content keys, so archives are not counted twice).

use std::io::Write;

use super::{Error, store_error, write_out};
use crate::store::StoreTarget;

/// Arguments of `prune`.
#[derive(Debug, Clone)]
pub struct Args {
    pub store: StoreTarget,
    /// A number of days or a date (YYYY-MM-DD).
    pub older_than: String,
    pub snippets_only: bool,
}

/// `urpmail prune`: retention. `older_than` is a number of days or a date (YYYY-MM-DD).
pub fn prune(
    store: &StoreTarget,
    older_than: &str,
    snippets_only: bool,
) -> Result<(String, u64, u64), Error> {
    let cutoff = match older_than.parse::<i64>() {
        Ok(days) if days >= 0 => {
            let d = time::OffsetDateTime::now_utc() - time::Duration::days(days);
            d.date().to_string()
        }
        _ => {
            let fmt = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(older_than, &fmt).map_err(|_| {
                Error::Input(format!(
                    "--older-than {older_than:?}: give a number of days or a date YYYY-MM-DD"
                ))
            })?;
            older_than.to_string()
        }
    };
    super::existing_store(store)?;
    let mut s = crate::store::Store::open(store).map_err(store_error(store))?;
    let (snippets, rows) = s.prune(&cutoff, snippets_only).map_err(store_error(store))?;
    Ok((cutoff, snippets, rows))
}

/// Runs `prune`, writing what was removed to `out`.
pub fn run(args: &Args, out: &mut dyn Write) -> Result<(), Error> {
    let (cutoff, snippets, rows) = prune(&args.store, &args.older_than, args.snippets_only)?;
    write_out(
        out,
        &format!(
            "pruned messages dated before {cutoff}: {snippets} snippets removed, {rows} message rows folded into the aggregate counts\n"
        ),
    )
}
