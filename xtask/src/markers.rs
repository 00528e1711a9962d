//! Generated sections of hand-written documents: the text between `<!-- NAME -->` and
//! `<!-- /NAME -->` belongs to a command (the bench's tables, the audit's coverage table).

use eyre::{bail, Result};

/// `doc` with the body between the markers of section `name` replaced; `file` names it in errors.
pub fn splice(file: &str, doc: &str, name: &str, body: &str) -> Result<String> {
    let open = format!("<!-- {name} -->");
    let close = format!("<!-- /{name} -->");
    let (Some(start), Some(end)) = (doc.find(&open), doc.find(&close)) else {
        bail!("{file} lacks the markers {open} … {close}");
    };
    if end < start {
        bail!("{file}: {close} comes before {open}");
    }
    Ok(format!("{}{open}\n{}{}", &doc[..start], body, &doc[end..]))
}
