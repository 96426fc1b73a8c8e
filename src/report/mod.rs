//! Staff-facing outputs. [`themes`] builds the "temi trattati via e-mail" table from counts.
//! Report types are kept apart from the pipeline's types; headings and labels are Italian.

pub mod themes;
