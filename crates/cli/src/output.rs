//! Printing: aligned tables, key/value listings, JSON lines, and colour when stdout is a
//! terminal (never when `NO_COLOR` is set).

use std::io::{IsTerminal, Write};

use serde_json::Value;

use crate::cli::Format;
use crate::error::CliError;

/// Where results go, and how.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub format: Format,
    pub color: bool,
}

impl Out {
    pub fn new(format: Format) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        Self { format, color: !no_color && std::io::stdout().is_terminal() }
    }

    pub fn json(&self) -> bool {
        self.format == Format::Json
    }

    /// Prints one line to stdout.
    pub fn line(&self, text: impl AsRef<str>) -> Result<(), CliError> {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", text.as_ref())?;
        stdout.flush()?;
        Ok(())
    }

    /// Prints one JSON object on one line.
    pub fn json_line(&self, value: &Value) -> Result<(), CliError> {
        self.line(value.to_string())
    }

    /// Prints text made of several lines as it is.
    pub fn text(&self, text: &str) -> Result<(), CliError> {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        if !text.ends_with('\n') {
            stdout.write_all(b"\n")?;
        }
        stdout.flush()?;
        Ok(())
    }

    /// `text` in an ANSI style (`"1"` bold, `"32"` green, ...) when colour is on.
    pub fn paint(&self, text: &str, style: &str) -> String {
        paint(self.color, text, style)
    }
}

/// `text` in an ANSI style when `color` is on.
pub fn paint(color: bool, text: &str, style: &str) -> String {
    if color && !style.is_empty() { format!("\x1b[{style}m{text}\x1b[0m") } else { text.to_string() }
}

/// Progress and notes for people, on stderr so that stdout stays parseable.
pub fn note(text: impl AsRef<str>) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{}", text.as_ref());
}

/// One cell of a table: its text and an optional ANSI style.
#[derive(Debug, Clone)]
pub struct Cell {
    pub text: String,
    pub style: &'static str,
}

impl Cell {
    pub fn styled(text: impl Into<String>, style: &'static str) -> Self {
        Self { text: text.into(), style }
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Self { text, style: "" }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Self { text: text.to_string(), style: "" }
    }
}

/// A table with a header row; columns are as wide as their widest cell.
#[derive(Debug)]
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
    /// Columns aligned to the right (numbers).
    right: Vec<usize>,
}

impl Table {
    pub fn new(headers: &[&'static str]) -> Self {
        Self { headers: headers.to_vec(), rows: Vec::new(), right: Vec::new() }
    }

    pub fn align_right(mut self, column: usize) -> Self {
        self.right.push(column);
        self
    }

    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    /// The table as text, indented by `indent` spaces, with a bold header when `color` is on.
    pub fn render(&self, color: bool, indent: usize) -> String {
        let columns = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(width(&cell.text));
            }
        }
        let pad = " ".repeat(indent);
        let mut text = String::new();
        let header: Vec<Cell> = self.headers.iter().map(|h| Cell::styled(*h, "1")).collect();
        for row in std::iter::once(&header).chain(&self.rows) {
            let mut line = pad.clone();
            for (i, cell) in row.iter().enumerate().take(columns) {
                let last = i + 1 == columns;
                let fill = " ".repeat(widths[i].saturating_sub(width(&cell.text)));
                let painted = paint(color, &cell.text, cell.style);
                if self.right.contains(&i) {
                    line.push_str(&fill);
                    line.push_str(&painted);
                } else {
                    line.push_str(&painted);
                    if !last {
                        line.push_str(&fill);
                    }
                }
                if !last {
                    line.push_str("  ");
                }
            }
            text.push_str(line.trim_end());
            text.push('\n');
        }
        text
    }
}

/// The width of text in a terminal, counting characters.
pub fn width(text: &str) -> usize {
    text.chars().count()
}

/// A `key: value` listing with the values aligned.
pub fn listing(color: bool, pairs: &[(&str, String)]) -> String {
    let key_width = pairs.iter().map(|(key, _)| width(key)).max().unwrap_or(0) + 1;
    let mut text = String::new();
    for (key, value) in pairs {
        let label = format!("{key}:");
        let fill = " ".repeat(key_width.saturating_sub(width(&label)) + 1);
        text.push_str(&paint(color, &label, "1"));
        text.push_str(&fill);
        text.push_str(value);
        text.push('\n');
    }
    text
}

/// A protobuf timestamp as RFC 3339 (UTC), or an empty string when unset.
pub fn time(timestamp: Option<&prost_types::Timestamp>) -> String {
    timestamp.map(ToString::to_string).unwrap_or_default()
}

/// A protobuf timestamp to the second, for tables: `2026-11-27 10:31:02Z`.
pub fn short_time(timestamp: Option<&prost_types::Timestamp>) -> String {
    let Some(timestamp) = timestamp else { return String::new() };
    let seconds = prost_types::Timestamp { seconds: timestamp.seconds, nanos: 0 };
    seconds.to_string().replacen('T', " ", 1)
}

/// The id part of a resource name: `people/{id}` → `{id}`.
pub fn short_id(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns_by_characters() {
        let mut table = Table::new(&["NAME", "WEIGHT"]).align_right(1);
        table.row(vec!["Ana López".into(), "5".into()]);
        table.row(vec!["Bo".into(), "120".into()]);
        assert_eq!(table.render(false, 0), "NAME       WEIGHT\nAna López       5\nBo            120\n");
    }

    #[test]
    fn timestamps_print_to_the_second() {
        let timestamp = prost_types::Timestamp { seconds: 1_700_000_000, nanos: 5 };
        assert_eq!(short_time(Some(&timestamp)), "2023-11-14 22:13:20Z");
        assert_eq!(short_id("projects/a/assets/b"), "b");
    }
}
