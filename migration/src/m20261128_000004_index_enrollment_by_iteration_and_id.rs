//! Enrollments of an iteration in id order (a nested page, a waitlist, the first N nominations):
//! without this index PostgreSQL answers `WHERE iteration_id = ? ORDER BY id LIMIT n` by walking
//! the primary key from the start until it has found n rows of that iteration.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_enrollment_iteration_id ON enrollment (iteration_id, id)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ix_enrollment_iteration_id")
            .await?;
        Ok(())
    }
}
