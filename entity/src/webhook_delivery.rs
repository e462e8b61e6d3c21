use sea_orm::entity::prelude::*;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DeliveryStatus {
    /// Not yet accepted by the receiver; attempted again at `next_attempt_at`.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// The receiver answered 2xx.
    #[sea_orm(string_value = "DELIVERED")]
    Delivered,
    /// The retry window ended without a 2xx answer.
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

/// One change-log entry (`position`) owed to one webhook endpoint.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_delivery")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub endpoint_id: i32,
    pub position: i64,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// After this the delivery is FAILED instead of retried.
    pub retry_until: DateTimeUtc,
    /// A worker is sending it until then; afterwards any worker may take it again.
    pub leased_until: Option<DateTimeUtc>,
    pub last_status_code: Option<i32>,
    /// The start of the last answer's body (at most 1 KiB).
    pub last_response: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
