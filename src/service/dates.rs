//! Date arithmetic of programme cycles (invariant 1).
//!
//! A cycle of N years starting on `start` ends the day before the N-th anniversary of `start`. The
//! anniversary of 29 February in a common year is 1 March, so a cycle starting 29 February 2024 ends
//! 28 February 2026, and one starting 1 March 2022 ends 29 February 2024: consecutive cycles tile time
//! with neither gap nor overlap.

use chrono::{Datelike, Duration, NaiveDate};

use entity::enums::ProgrammeKind;

/// The `years`-th anniversary of `date` (29 February rolls to 1 March in common years).
/// Today's date (UTC), the day the time gates of the rules count from.
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

pub fn anniversary(date: NaiveDate, years: i32) -> Option<NaiveDate> {
    let year = date.year().checked_add(years)?;
    NaiveDate::from_ymd_opt(year, date.month(), date.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
}

/// Length in years fixed by the programme kind; ITPP is as agreed (None).
pub fn programme_years(kind: ProgrammeKind) -> Option<i32> {
    match kind {
        ProgrammeKind::Ipcp | ProgrammeKind::Ipap => Some(2),
        ProgrammeKind::Ipp => Some(3),
        ProgrammeKind::Itpp => None,
    }
}

/// Inclusive end date of a cycle of `kind` starting on `start`, when the kind fixes it.
pub fn cycle_end(kind: ProgrammeKind, start: NaiveDate) -> Option<NaiveDate> {
    let years = programme_years(kind)?;
    anniversary(start, years).map(|d| d - Duration::days(1))
}

/// Whether two inclusive date ranges share at least one day.
pub fn overlaps(a: (NaiveDate, NaiveDate), b: (NaiveDate, NaiveDate)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn ipcp_starting_29_february_ends_28_february_two_years_later() {
        assert_eq!(
            cycle_end(ProgrammeKind::Ipcp, d(2024, 2, 29)),
            Some(d(2026, 2, 28))
        );
    }

    #[test]
    fn ipcp_ending_in_a_leap_year_includes_29_february() {
        assert_eq!(
            cycle_end(ProgrammeKind::Ipcp, d(2022, 3, 1)),
            Some(d(2024, 2, 29))
        );
    }

    #[test]
    fn ipp_lasts_three_years_and_itpp_is_as_agreed() {
        assert_eq!(
            cycle_end(ProgrammeKind::Ipp, d(1995, 1, 1)),
            Some(d(1997, 12, 31))
        );
        assert_eq!(cycle_end(ProgrammeKind::Itpp, d(2023, 1, 1)), None);
    }

    #[test]
    fn ranges_touching_end_to_start_overlap_but_consecutive_days_do_not() {
        assert!(overlaps(
            (d(2024, 1, 1), d(2024, 1, 10)),
            (d(2024, 1, 10), d(2024, 1, 20))
        ));
        assert!(!overlaps(
            (d(2024, 1, 1), d(2024, 1, 10)),
            (d(2024, 1, 11), d(2024, 1, 20))
        ));
    }

    proptest! {
        #[test]
        fn consecutive_ipcp_cycles_tile_time_without_gap_or_overlap(days in 0i64..60_000, n in 1usize..20) {
            let mut start = d(1990, 1, 1) + Duration::days(days);
            for _ in 0..n {
                let end = cycle_end(ProgrammeKind::Ipcp, start).unwrap_or(start);
                prop_assert!(end >= start);
                // Two calendar years minus one day: 729 or 730 days after the start.
                let len = (end - start).num_days();
                prop_assert!(len == 729 || len == 730, "length {len} from {start}");
                let next = end + Duration::days(1);
                prop_assert!(!overlaps((start, end), (next, cycle_end(ProgrammeKind::Ipcp, next).unwrap_or(next))));
                prop_assert_eq!(next.day(), if start.month() == 2 && start.day() == 29 && !is_leap(next.year()) { 1 } else { start.day() });
                start = next;
            }
        }

        #[test]
        fn a_cycle_ends_the_day_before_the_anniversary(days in 0i64..60_000) {
            let start = d(1990, 1, 1) + Duration::days(days);
            let end = cycle_end(ProgrammeKind::Ipcp, start).unwrap_or(start);
            let next = end + Duration::days(1);
            prop_assert_eq!(next.year(), start.year() + 2);
            prop_assert!(next.month() == start.month() || (start.month() == 2 && start.day() == 29 && next.month() == 3));
        }
    }

    fn is_leap(y: i32) -> bool {
        NaiveDate::from_ymd_opt(y, 2, 29).is_some()
    }
}
