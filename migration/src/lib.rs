//! Schema migrations. They never import the `entity` crate: an applied migration must not change
//! when an entity does.

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_create_programme_schema;
mod m20261128_000002_create_api_token;
mod m20261128_000003_add_name_fr_to_cooperation_area;
mod m20261128_000004_index_enrollment_by_iteration_and_id;
mod m20261128_000005_index_enrollment_by_partner_and_iteration;
mod m20261201_000001_create_change_log;
mod m20261201_000002_create_webhook;
mod m20261201_000003_create_change_log_retention;
mod m20261202_000001_create_course_evaluation;
mod m20261202_000002_create_point_of_contact;
mod m20261202_000003_create_cost_line;
mod m20261202_000004_add_itpp_structure;
mod m20261202_000005_create_feed_token;
mod m20261202_000006_add_lrs_to_webhook_endpoint;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_create_programme_schema::Migration),
            Box::new(m20261128_000002_create_api_token::Migration),
            Box::new(m20261128_000003_add_name_fr_to_cooperation_area::Migration),
            Box::new(m20261128_000004_index_enrollment_by_iteration_and_id::Migration),
            Box::new(m20261128_000005_index_enrollment_by_partner_and_iteration::Migration),
            Box::new(m20261201_000001_create_change_log::Migration),
            Box::new(m20261201_000002_create_webhook::Migration),
            Box::new(m20261201_000003_create_change_log_retention::Migration),
            Box::new(m20261202_000001_create_course_evaluation::Migration),
            Box::new(m20261202_000002_create_point_of_contact::Migration),
            Box::new(m20261202_000003_create_cost_line::Migration),
            Box::new(m20261202_000004_add_itpp_structure::Migration),
            Box::new(m20261202_000005_create_feed_token::Migration),
            Box::new(m20261202_000006_add_lrs_to_webhook_endpoint::Migration),
        ]
    }
}
