//! The operator's operations on a queue (list, retry dead letters, purge):
//! each is a function over a store that returns a structured result,
//! printable with `Display` (a table or a summary) and, for `list`, as JSON.
//! The command line (`cli::outbox`) parses the arguments and prints them.
//!
//! Text output replaces control characters in stored values (plugin ids,
//! platform ids and errors come from third-party handlers and servers) so
//! they cannot drive the terminal.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use super::{Filter, OutboxError, OutboxStore, Record, RetryReport, Selector, Status, Timestamp};

/// Default row limit of `list`.
pub const DEFAULT_LIST_LIMIT: usize = 100;

/// Longest `last error` shown in the table (the JSON has all of it).
const TABLE_ERROR_CHARS: usize = 60;

/// A command that cannot run as asked.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] OutboxError),
    /// `retry` without ids and without `--all-dead`.
    #[error("name the notifications to retry (ids) or ask for all dead letters")]
    NothingSelected,
    /// `purge` without a status.
    #[error("name the statuses to purge: delivered, dead, superseded")]
    NoStatus,
    /// `purge` of a status that is not finished.
    #[error("{0} notifications cannot be purged (only delivered, dead and superseded)")]
    NotPurgeable(Status),
    /// An age like `7d` that does not parse.
    #[error("invalid age {0:?}: use a number with s, m, h or d (e.g. 7d)")]
    InvalidAge(String),
}

/// The result of `list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ListOutput {
    /// The rows, newest first.
    pub records: Vec<Record>,
}

/// Lists notifications (`filter.limit` `None` is replaced by
/// [`DEFAULT_LIST_LIMIT`]; ask for `Some(usize::MAX)` for all).
pub fn list(store: &dyn OutboxStore, filter: &Filter) -> Result<ListOutput, CliError> {
    let mut filter = filter.clone();
    filter.limit = Some(filter.limit.unwrap_or(DEFAULT_LIST_LIMIT));
    Ok(ListOutput {
        records: store.list(&filter)?,
    })
}

impl ListOutput {
    /// The rows as a JSON array (every field, full errors, no payloads).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.records).unwrap_or_else(|_| "[]".into())
    }
}

impl fmt::Display for ListOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEADER: [&str; 11] = [
            "ID",
            "STATUS",
            "PLUGIN",
            "SHOP",
            "KIND",
            "OP",
            "PLATFORM_ID",
            "UPDATED_AT",
            "ATTEMPTS",
            "NEXT_ATTEMPT",
            "LAST_ERROR",
        ];
        if self.records.is_empty() {
            return writeln!(f, "no notifications");
        }
        let rows: Vec<[String; 11]> = self
            .records
            .iter()
            .map(|r| {
                [
                    r.id.to_string(),
                    r.status.to_string(),
                    clean(&r.plugin),
                    clean(&r.shop),
                    r.kind.to_string(),
                    r.op.to_string(),
                    clean(&r.platform_id),
                    clean(&r.updated_at),
                    r.attempts.to_string(),
                    r.next_attempt_at
                        .map_or_else(|| "-".into(), |t| seconds(t).to_string()),
                    r.last_error.as_deref().map_or_else(
                        || "-".into(),
                        |e| {
                            let e = clean(e);
                            if e.chars().count() > TABLE_ERROR_CHARS {
                                let mut short: String =
                                    e.chars().take(TABLE_ERROR_CHARS - 1).collect();
                                short.push('…');
                                short
                            } else {
                                e
                            }
                        },
                    ),
                ]
            })
            .collect();
        let mut widths = HEADER.map(|h| h.chars().count());
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |f: &mut fmt::Formatter<'_>, cells: &[&str]| -> fmt::Result {
            let last = cells.len() - 1;
            for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
                if i == last {
                    writeln!(f, "{cell}")?;
                } else {
                    write!(f, "{cell:<w$}  ")?;
                }
            }
            Ok(())
        };
        line(f, &HEADER)?;
        for row in &rows {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            line(f, &cells)?;
        }
        Ok(())
    }
}

/// What `retry` acts on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetryRequest {
    /// These ids (each must be a dead letter to be retried).
    pub ids: Vec<i64>,
    /// Every dead letter (with `plugin`, of that plugin only).
    pub all_dead: bool,
    /// Only this plugin's.
    pub plugin: Option<String>,
}

/// The result of `retry`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RetryOutput {
    /// What the store did.
    pub report: RetryReport,
}

/// Puts dead letters back to pending (due now, attempts reset); the running
/// server's worker picks them up within its poll interval.
pub fn retry(
    store: &dyn OutboxStore,
    request: &RetryRequest,
    now: Timestamp,
) -> Result<RetryOutput, CliError> {
    if request.ids.is_empty() && !request.all_dead {
        return Err(CliError::NothingSelected);
    }
    let selector = Selector {
        ids: (!request.ids.is_empty()).then(|| request.ids.clone()),
        plugin: request.plugin.clone(),
        ..Selector::default()
    };
    Ok(RetryOutput {
        report: store.retry(&selector, now)?,
    })
}

impl fmt::Display for RetryOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.report;
        writeln!(
            f,
            "retried {} dead letter(s){}",
            r.retried.len(),
            ids(&r.retried)
        )?;
        if !r.superseded.is_empty() {
            writeln!(
                f,
                "superseded {} (a newer state of the entity exists){}",
                r.superseded.len(),
                ids(&r.superseded)
            )?;
        }
        if !r.skipped.is_empty() {
            let list: Vec<String> = r
                .skipped
                .iter()
                .map(|(id, status)| format!("{id} ({status})"))
                .collect();
            writeln!(f, "not dead, left alone: {}", list.join(", "))?;
        }
        if !r.not_found.is_empty() {
            writeln!(f, "not found{}", ids(&r.not_found))?;
        }
        Ok(())
    }
}

/// What `purge` deletes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeRequest {
    /// Statuses to delete: delivered, dead, superseded (at least one).
    pub statuses: Vec<Status>,
    /// Only rows finished longer ago than this.
    pub older_than: Option<Duration>,
    /// Only this plugin's.
    pub plugin: Option<String>,
}

/// The result of `purge`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurgeOutput {
    /// Rows deleted.
    pub deleted: u64,
    /// The statuses purged.
    pub statuses: Vec<Status>,
    /// Only rows finished before this were deleted.
    pub finished_before: Option<Timestamp>,
}

/// Deletes finished notifications. The outbox keeps each entity's newest
/// state apart from the rows, so a purge never lets an older state through.
pub fn purge(
    store: &dyn OutboxStore,
    request: &PurgeRequest,
    now: Timestamp,
) -> Result<PurgeOutput, CliError> {
    if request.statuses.is_empty() {
        return Err(CliError::NoStatus);
    }
    if let Some(status) = request.statuses.iter().find(|s| !s.is_finished()) {
        return Err(CliError::NotPurgeable(*status));
    }
    let finished_before = request.older_than.map(|age| now.saturating_sub(age));
    let selector = Selector {
        statuses: request.statuses.clone(),
        plugin: request.plugin.clone(),
        finished_before,
        ..Selector::default()
    };
    Ok(PurgeOutput {
        deleted: store.purge(&selector)?,
        statuses: request.statuses.clone(),
        finished_before,
    })
}

impl fmt::Display for PurgeOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let statuses: Vec<&str> = self.statuses.iter().map(|s| s.as_str()).collect();
        write!(
            f,
            "purged {} notification(s) ({})",
            self.deleted,
            statuses.join(", ")
        )?;
        if let Some(before) = self.finished_before {
            write!(f, " finished before {}", seconds(before))?;
        }
        writeln!(f)
    }
}

/// Parses an age: a whole number with `s`, `m`, `h` or `d` (`90s`, `15m`,
/// `24h`, `7d`).
pub fn parse_age(text: &str) -> Result<Duration, CliError> {
    let invalid = || CliError::InvalidAge(text.chars().take(40).collect());
    let text = text.trim();
    let split = text.len().checked_sub(1).ok_or_else(invalid)?;
    if !text.is_char_boundary(split) {
        return Err(invalid());
    }
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| invalid())?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(invalid()),
    };
    n.checked_mul(unit_secs)
        .map(Duration::from_secs)
        .ok_or_else(invalid)
}

/// The timestamp without fractional seconds.
fn seconds(t: Timestamp) -> Timestamp {
    Timestamp::from_micros(t.as_micros().div_euclid(1_000_000) * 1_000_000)
}

fn ids(list: &[i64]) -> String {
    if list.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = list.iter().take(50).map(i64::to_string).collect();
    let more = if list.len() > 50 { ", …" } else { "" };
    format!(": {}{more}", shown.join(", "))
}

/// The text with control characters replaced by `?`.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ages() {
        assert_eq!(parse_age("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_age("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_age("24h").unwrap(), Duration::from_secs(86_400));
        assert_eq!(parse_age("7d").unwrap(), Duration::from_secs(604_800));
        for bad in [
            "",
            "d",
            "7",
            "7w",
            "-1d",
            "1.5h",
            "é",
            "99999999999999999999d",
        ] {
            assert!(parse_age(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cleans_control_characters() {
        assert_eq!(clean("a\x1b[31mb\n"), "a?[31mb?");
    }
}
