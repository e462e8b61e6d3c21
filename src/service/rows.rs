//! Reading a model from a row by column position rather than by column name.
//!
//! sea-orm's derived `FromQueryResult` finds each column by name: a hash lookup per column, a
//! formatted name per column when the columns carry a prefix (joined rows) and a formatted message
//! per NULL. On the long nested lists (an iteration's enrollments with their officers, 5,000 rows in
//! one dashboard answer) that decoding was about a fifth of the server's CPU (`perf`, see
//! bench/HISTORY.md). `ReadAt` reads a model from a run of columns listed in the entity's column
//! order (`column_list` writes that list), each field taken at its own column's position.

use sea_orm::{DbErr, EntityTrait, IdenStatic, Iterable, QueryResult};

use entity::{enrollment, officer};

/// A model read from the row's columns `at..at + column count`, in the entity's column order.
pub trait ReadAt: Sized {
    fn read_at(row: &QueryResult, at: usize) -> Result<Self, DbErr>;
}

/// The entity's columns in its column order (the order `ReadAt` reads them), each qualified by
/// `table` and renamed `{prefix}{column}`.
pub fn column_list<E: EntityTrait>(table: &str, prefix: &str) -> String {
    E::Column::iter()
        .map(|c| format!("\"{table}\".\"{0}\" AS \"{prefix}{0}\"", c.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The number of columns `ReadAt` reads for the entity.
pub fn column_count<E: EntityTrait>() -> usize {
    E::Column::iter().count()
}

impl ReadAt for enrollment::Model {
    fn read_at(row: &QueryResult, at: usize) -> Result<Self, DbErr> {
        use enrollment::Column as C;
        // A column's discriminant is its position in the column order (the derive declares them
        // in field order), so each field names the column it reads.
        let at = |c: C| at + c as usize;
        Ok(enrollment::Model {
            id: row.try_get_by_index(at(C::Id))?,
            iteration_id: row.try_get_by_index(at(C::IterationId))?,
            officer_id: row.try_get_by_index(at(C::OfficerId))?,
            partner_id: row.try_get_by_index(at(C::PartnerId))?,
            status: row.try_get_by_index(at(C::Status))?,
            waitlist_position: row.try_get_by_index(at(C::WaitlistPosition))?,
            nominated_at: row.try_get_by_index(at(C::NominatedAt))?,
            waitlisted_at: row.try_get_by_index(at(C::WaitlistedAt))?,
            confirmed_at: row.try_get_by_index(at(C::ConfirmedAt))?,
            attended_at: row.try_get_by_index(at(C::AttendedAt))?,
            outcome_at: row.try_get_by_index(at(C::OutcomeAt))?,
            ended_at: row.try_get_by_index(at(C::EndedAt))?,
            decided_by: row.try_get_by_index(at(C::DecidedBy))?,
            evaluation_score: row.try_get_by_index(at(C::EvaluationScore))?,
            version: row.try_get_by_index(at(C::Version))?,
            updated_at: row.try_get_by_index(at(C::UpdatedAt))?,
        })
    }
}

impl ReadAt for officer::Model {
    fn read_at(row: &QueryResult, at: usize) -> Result<Self, DbErr> {
        use officer::Column as C;
        let at = |c: C| at + c as usize;
        Ok(officer::Model {
            id: row.try_get_by_index(at(C::Id))?,
            partner_id: row.try_get_by_index(at(C::PartnerId))?,
            family_name: row.try_get_by_index(at(C::FamilyName))?,
            given_name: row.try_get_by_index(at(C::GivenName))?,
            rank: row.try_get_by_index(at(C::Rank))?,
            service: row.try_get_by_index(at(C::Service))?,
            position: row.try_get_by_index(at(C::Position))?,
            slp: row.try_get_by_index(at(C::Slp))?,
            version: row.try_get_by_index(at(C::Version))?,
            created_at: row.try_get_by_index(at(C::CreatedAt))?,
            updated_at: row.try_get_by_index(at(C::UpdatedAt))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `read_at` takes a column at `at + discriminant`: that holds only while the discriminants
    /// follow the column order `column_list` writes.
    #[test]
    fn column_discriminants_follow_the_column_order() {
        for (i, c) in enrollment::Column::iter().enumerate() {
            assert_eq!(c as usize, i, "enrollment column {}", c.as_str());
        }
        for (i, c) in officer::Column::iter().enumerate() {
            assert_eq!(c as usize, i, "officer column {}", c.as_str());
        }
        assert_eq!(column_count::<enrollment::Entity>(), 16);
        assert_eq!(column_count::<officer::Entity>(), 11);
    }

    #[test]
    fn column_list_qualifies_and_prefixes_each_column_in_order() {
        let list = column_list::<officer::Entity>("o", "officer__");
        assert!(list.starts_with("\"o\".\"id\" AS \"officer__id\", \"o\".\"partner_id\""));
        assert_eq!(list.matches(" AS ").count(), 11);
    }
}
