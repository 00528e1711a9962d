//! Aligned tables for the terminal (comfy-table): the deploy report, the mutants summary, the
//! step times, and the bench's markdown tables as they are printed after a run (the files keep
//! their markdown).

use comfy_table::{CellAlignment, Table};

/// No outer border and no line between rows: a rule under the header, `|` between columns.
const STYLE: &str = "     -+ |          ";

/// A borderless table under `header`; the columns in `right` (figures) are right-aligned.
pub fn new(header: &[&str], right: &[usize]) -> Table {
    let mut table = Table::new();
    table.load_preset(STYLE).set_header(header.to_vec());
    for &i in right {
        if let Some(column) = table.column_mut(i) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

/// `text` with every markdown table (a run of `| … |` lines) drawn as an aligned table, the
/// columns the separator row marks `---:` right-aligned and `**bold**` marks dropped; other lines
/// stay as they are.
pub fn from_markdown(text: &str) -> String {
    let mut out = Vec::new();
    let mut rows: Vec<&str> = Vec::new();
    for line in text.lines().chain(std::iter::once("")) {
        if line.starts_with('|') {
            rows.push(line);
            continue;
        }
        if !rows.is_empty() {
            out.push(render(&rows));
            rows.clear();
        }
        out.push(line.to_string());
    }
    out.pop(); // the empty line chained on to end the last table
    out.join("\n")
}

fn cells(row: &str) -> Vec<String> {
    let inner = row.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().replace("**", "")).collect()
}

fn render(rows: &[&str]) -> String {
    let is_separator =
        |row: &str| cells(row).iter().all(|c| !c.is_empty() && c.chars().all(|ch| "-:".contains(ch)));
    let (header, rest) = rows.split_first().expect("a table has a header row");
    let right: Vec<usize> = match rest.first() {
        Some(sep) if is_separator(sep) => {
            cells(sep).iter().enumerate().filter(|(_, c)| c.ends_with(':')).map(|(i, _)| i).collect()
        }
        _ => Vec::new(),
    };
    let header = cells(header);
    let mut table = new(&header.iter().map(String::as_str).collect::<Vec<_>>(), &right);
    for row in rest.iter().filter(|r| !is_separator(r)) {
        table.add_row(cells(row));
    }
    table.to_string()
}
