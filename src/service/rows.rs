//! Reading a model from a row by column position rather than by column name.
//!
//! sea-orm's derived `FromQueryResult` finds each column by name: a hash lookup per column, a
//! formatted name per column when the columns carry a prefix (joined rows) and a formatted message
//! per NULL. On the long nested lists (an iteration's enrollments with their officers, thousands of
//! rows in one dashboard answer) that decoding dominated the server's CPU (profiles in
//! bench/HISTORY.md). `ReadAt` reads a model from a run of columns listed in the entity's column
//! order (`column_list` writes that list), each field taken at its own column's position. The
//! dashboards' most frequent question, a partner with its active cycle, is read the same way.
//!
//! On PostgreSQL the values are decoded by sqlx directly. sea-orm's `try_get_by_index` has sqlx
//! compare the column's SQL type with the field's for every value (a few type comparisons and a
//! cloned type descriptor each), a cost paid per value on the dashboards' long lists (measured in
//! bench/HISTORY.md, session 8). The columns of one result all have the same
//! types, so [`Decode::Checked`] (the first row of a result) checks each column's type from the
//! row's description, NULL or not, and [`Decode::Trusted`] (the rows after it) decodes without
//! checking. SQLite goes through sea-orm as before.

use sea_orm::{
    sqlx::{self, postgres::Postgres, Column as _, Row as _, TypeInfo as _},
    ActiveEnum, DbErr, EntityTrait, IdenStatic, Iterable, QueryResult, TryGetable,
};

use entity::{enrollment, officer, partner, programme_cycle};

/// Whether a row's column types are checked before its values are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decode {
    /// Each column's SQL type checked against its field's: the first row of a result.
    Checked,
    /// The row's columns have the types a `Checked` row of the same result had.
    Trusted,
}

/// A model read from the row's columns `at..at + column count`, in the entity's column order.
pub trait ReadAt: Sized {
    fn read_at(row: &QueryResult, at: usize, decode: Decode) -> Result<Self, DbErr>;
}

/// The value of column `idx`.
fn get<T>(row: &QueryResult, idx: usize, decode: Decode) -> Result<T, DbErr>
where
    T: TryGetable + sqlx::Type<Postgres> + for<'r> sqlx::Decode<'r, Postgres>,
{
    let Some(pg) = row.try_as_pg_row() else {
        return row.try_get_by_index(idx);
    };
    if decode == Decode::Checked {
        let column = pg
            .columns()
            .get(idx)
            .ok_or_else(|| DbErr::Type(format!("the row has no column {idx}")))?;
        if !T::compatible(column.type_info()) {
            return Err(DbErr::Type(format!(
                "column {} is {}, which does not decode as {}",
                column.name(),
                column.type_info().name(),
                T::type_info().name()
            )));
        }
    }
    pg.try_get_unchecked(idx)
        .map_err(|e| DbErr::Type(format!("column {idx}: {e}")))
}

/// The value of column `idx`, a string-valued enum.
fn get_enum<E>(row: &QueryResult, idx: usize, decode: Decode) -> Result<E, DbErr>
where
    E: ActiveEnum<Value = String> + TryGetable,
{
    if row.try_as_pg_row().is_none() {
        return row.try_get_by_index(idx);
    }
    E::try_from_value(&get::<String>(row, idx, decode)?)
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
    fn read_at(row: &QueryResult, at: usize, decode: Decode) -> Result<Self, DbErr> {
        use enrollment::Column as C;
        // A column's discriminant is its position in the column order (the derive declares them
        // in field order), so each field names the column it reads.
        let at = |c: C| at + c as usize;
        Ok(enrollment::Model {
            id: get(row, at(C::Id), decode)?,
            iteration_id: get(row, at(C::IterationId), decode)?,
            officer_id: get(row, at(C::OfficerId), decode)?,
            partner_id: get(row, at(C::PartnerId), decode)?,
            status: get_enum(row, at(C::Status), decode)?,
            waitlist_position: get(row, at(C::WaitlistPosition), decode)?,
            nominated_at: get(row, at(C::NominatedAt), decode)?,
            waitlisted_at: get(row, at(C::WaitlistedAt), decode)?,
            confirmed_at: get(row, at(C::ConfirmedAt), decode)?,
            attended_at: get(row, at(C::AttendedAt), decode)?,
            outcome_at: get(row, at(C::OutcomeAt), decode)?,
            ended_at: get(row, at(C::EndedAt), decode)?,
            decided_by: get(row, at(C::DecidedBy), decode)?,
            evaluation_score: get(row, at(C::EvaluationScore), decode)?,
            version: get(row, at(C::Version), decode)?,
            updated_at: get(row, at(C::UpdatedAt), decode)?,
        })
    }
}

impl ReadAt for officer::Model {
    fn read_at(row: &QueryResult, at: usize, decode: Decode) -> Result<Self, DbErr> {
        use officer::Column as C;
        let at = |c: C| at + c as usize;
        Ok(officer::Model {
            id: get(row, at(C::Id), decode)?,
            partner_id: get(row, at(C::PartnerId), decode)?,
            family_name: get(row, at(C::FamilyName), decode)?,
            given_name: get(row, at(C::GivenName), decode)?,
            rank: get(row, at(C::Rank), decode)?,
            service: get_enum(row, at(C::Service), decode)?,
            position: get(row, at(C::Position), decode)?,
            slp: get(row, at(C::Slp), decode)?,
            version: get(row, at(C::Version), decode)?,
            created_at: get(row, at(C::CreatedAt), decode)?,
            updated_at: get(row, at(C::UpdatedAt), decode)?,
        })
    }
}

impl ReadAt for partner::Model {
    fn read_at(row: &QueryResult, at: usize, decode: Decode) -> Result<Self, DbErr> {
        use partner::Column as C;
        let at = |c: C| at + c as usize;
        Ok(partner::Model {
            id: get(row, at(C::Id), decode)?,
            code: get(row, at(C::Code), decode)?,
            name: get(row, at(C::Name), decode)?,
            notes: get(row, at(C::Notes), decode)?,
            version: get(row, at(C::Version), decode)?,
            created_at: get(row, at(C::CreatedAt), decode)?,
            updated_at: get(row, at(C::UpdatedAt), decode)?,
        })
    }
}

impl ReadAt for programme_cycle::Model {
    fn read_at(row: &QueryResult, at: usize, decode: Decode) -> Result<Self, DbErr> {
        use programme_cycle::Column as C;
        let at = |c: C| at + c as usize;
        Ok(programme_cycle::Model {
            id: get(row, at(C::Id), decode)?,
            partner_id: get(row, at(C::PartnerId), decode)?,
            kind: get_enum(row, at(C::Kind), decode)?,
            start_date: get(row, at(C::StartDate), decode)?,
            end_date: get(row, at(C::EndDate), decode)?,
            status: get_enum(row, at(C::Status), decode)?,
            nac_approved_on: get(row, at(C::NacApprovedOn), decode)?,
            partner_approved_on: get(row, at(C::PartnerApprovedOn), decode)?,
            renews_cycle_id: get(row, at(C::RenewsCycleId), decode)?,
            version: get(row, at(C::Version), decode)?,
            created_at: get(row, at(C::CreatedAt), decode)?,
            updated_at: get(row, at(C::UpdatedAt), decode)?,
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
        for (i, c) in partner::Column::iter().enumerate() {
            assert_eq!(c as usize, i, "partner column {}", c.as_str());
        }
        for (i, c) in programme_cycle::Column::iter().enumerate() {
            assert_eq!(c as usize, i, "programme_cycle column {}", c.as_str());
        }
        assert_eq!(column_count::<enrollment::Entity>(), 16);
        assert_eq!(column_count::<officer::Entity>(), 11);
        assert_eq!(column_count::<partner::Entity>(), 7);
        assert_eq!(column_count::<programme_cycle::Entity>(), 12);
    }

    #[test]
    fn column_list_qualifies_and_prefixes_each_column_in_order() {
        let list = column_list::<officer::Entity>("o", "officer__");
        assert!(list.starts_with("\"o\".\"id\" AS \"officer__id\", \"o\".\"partner_id\""));
        assert_eq!(list.matches(" AS ").count(), 11);
    }
}
