//! SeaORM entities of the ipcp database: one module per table, no logic.
//! The enums stored as text live in `enums`; the API layer maps them to GraphQL enums.

pub mod activity;
pub mod api_token;
pub mod audit_event;
pub mod change_log;
pub mod cooperation_area;
pub mod cost_line;
pub mod course;
pub mod course_iteration;
pub mod enrollment;
pub mod enums;
pub mod evaluation_follow_up;
pub mod evaluation_rating;
pub mod evaluation_response;
pub mod feed_token;
pub mod idempotency_key;
pub mod indicator_measurement;
pub mod iteration_objective;
pub mod objective;
pub mod officer;
pub mod partner;
pub mod partnership_milestone;
pub mod point_of_contact;
pub mod programme_cycle;
pub mod webhook_delivery;
pub mod webhook_endpoint;
