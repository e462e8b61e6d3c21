//! iCalendar (RFC 5545) writing, by hand: the feed needs only a handful of properties, and
//! writing one event at a time lets the body stream page by page (a calendar crate builds the
//! whole calendar in memory first).
//!
//! Policy: TEXT values are escaped as section 3.3.11 says (`\` `;` `,` and newlines), other
//! control characters are dropped (not allowed in TEXT); content lines end in CRLF and are folded
//! at 75 octets (section 3.1), never inside a UTF-8 character.

use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::IterationStatus;

use crate::service::calendar::FeedRow;

/// The longest content line, in octets, without its CRLF.
const LINE_OCTETS: usize = 75;

/// A TEXT value escaped: backslash, semicolon, comma and newline; other control characters dropped.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded: after every 75 octets (74 on continuation lines, which
/// start with a space) a CRLF and a space, at a character boundary.
pub fn push_line(out: &mut String, line: &str) {
    let mut budget = LINE_OCTETS;
    let mut used = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if used + len > budget {
            out.push_str("\r\n ");
            budget = LINE_OCTETS - 1;
            used = 0;
        }
        out.push(c);
        used += len;
    }
    out.push_str("\r\n");
}

/// `NAME:value` with the value escaped as TEXT.
pub fn push_text(out: &mut String, name: &str, value: &str) {
    push_line(out, &format!("{name}:{}", escape_text(value)));
}

/// A DATE value, `YYYYMMDD`.
pub fn date(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

/// A DATE-TIME value in UTC, `YYYYMMDDTHHMMSSZ`.
pub fn date_time(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The calendar's opening lines.
pub fn calendar_start(name: &str) -> String {
    let mut out = String::new();
    push_line(&mut out, "BEGIN:VCALENDAR");
    push_line(&mut out, "VERSION:2.0");
    push_line(&mut out, "PRODID:-//ipcp//course iterations//EN");
    push_line(&mut out, "CALSCALE:GREGORIAN");
    push_text(&mut out, "X-WR-CALNAME", name);
    out
}

/// The calendar's closing line.
pub fn calendar_end() -> String {
    let mut out = String::new();
    push_line(&mut out, "END:VCALENDAR");
    out
}

/// One course iteration as a VEVENT: all-day (DTEND exclusive), a UID stable for the iteration's
/// life, SEQUENCE from its version (which every update and the cancellation raise), and, with
/// no METHOD in the calendar, DTSTAMP and LAST-MODIFIED at its last revision.
pub fn push_event(
    out: &mut String,
    row: &FeedRow,
    directors: Option<&Vec<String>>,
    uid_domain: &str,
) {
    push_line(out, "BEGIN:VEVENT");
    push_line(
        out,
        &format!("UID:course-iteration-{}@{uid_domain}", row.id),
    );
    push_line(out, &format!("DTSTAMP:{}", date_time(row.updated_at)));
    push_line(out, &format!("LAST-MODIFIED:{}", date_time(row.updated_at)));
    push_line(out, &format!("SEQUENCE:{}", (row.version - 1).max(0)));
    push_line(out, &format!("DTSTART;VALUE=DATE:{}", date(row.start_date)));
    let end = row.end_date.succ_opt().unwrap_or(row.end_date);
    push_line(out, &format!("DTEND;VALUE=DATE:{}", date(end)));
    push_text(
        out,
        "SUMMARY",
        &format!("{} ({})", row.course_title, row.course_code),
    );
    push_text(out, "LOCATION", &row.location);
    let mut text = String::new();
    text.push_str(&format!("Capacity: {}", row.capacity));
    text.push('\n');
    text.push_str(&format!("Seats held: {}", row.seats_held));
    text.push('\n');
    text.push_str(&format!(
        "Status: {}",
        sea_orm::ActiveEnum::to_value(&row.status)
    ));
    if let Some(names) = directors.filter(|n| !n.is_empty()) {
        text.push('\n');
        text.push_str(&format!("Course director: {}", names.join("; ")));
    }
    push_text(out, "DESCRIPTION", &text);
    let status = match row.status {
        IterationStatus::Planned => "TENTATIVE",
        IterationStatus::Cancelled => "CANCELLED",
        IterationStatus::Open | IterationStatus::Closed | IterationStatus::Held => "CONFIRMED",
    };
    push_line(out, &format!("STATUS:{status}"));
    push_line(out, "TRANSP:TRANSPARENT");
    push_line(out, "END:VEVENT");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_backslash_semicolon_comma_and_newlines() {
        assert_eq!(
            escape_text("a\\b;c,d\ne\r\nf\u{7}g"),
            "a\\\\b\\;c\\,d\\ne\\nfg"
        );
    }

    #[test]
    fn lines_fold_at_75_octets_without_splitting_a_character() {
        let mut out = String::new();
        let long = format!("SUMMARY:{}", "é".repeat(100));
        push_line(&mut out, &long);
        let lines: Vec<&str> = out.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert!(lines.len() > 2);
        for (i, l) in lines.iter().enumerate() {
            assert!(l.len() <= 75, "line {i} has {} octets", l.len());
            if i > 0 {
                assert!(l.starts_with(' '));
            }
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded, format!("{long}\r\n"));
    }

    #[test]
    fn a_short_line_is_not_folded() {
        let mut out = String::new();
        push_line(&mut out, "VERSION:2.0");
        assert_eq!(out, "VERSION:2.0\r\n");
    }
}
