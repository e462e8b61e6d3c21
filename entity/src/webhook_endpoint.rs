use sea_orm::entity::prelude::*;

/// A receiver of signed webhooks: which change-log kinds it wants (of one partner, or all), and how
/// far fan-out has got (`cursor`, a change-log position). `secret` signs its deliveries and is never
/// shown after creation.
#[derive(Clone, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoint")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub url: String,
    /// The change-log kinds it receives, comma-separated with a comma at each end
    /// (`,enrollment,activity,`), so one kind is found with `LIKE '%,kind,%'`.
    pub kinds: String,
    pub partner_id: Option<i32>,
    pub secret: String,
    pub active: bool,
    pub cursor: i64,
    pub created_at: DateTimeUtc,
    pub disabled_at: Option<DateTimeUtc>,
    /// What it is sent: signed change payloads, or batches of xAPI statements (an LRS).
    pub format: EndpointFormat,
    /// An LRS's Basic credentials; the password is never shown after registration.
    pub basic_username: Option<String>,
    pub basic_password: Option<String>,
}

/// What an endpoint is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, serde::Serialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum EndpointFormat {
    /// Each change-log entry, signed per the Standard Webhooks specification.
    #[sea_orm(string_value = "STANDARD_WEBHOOKS")]
    StandardWebhooks,
    /// xAPI statements of training steps, in batches, to a Learning Record Store.
    #[sea_orm(string_value = "XAPI")]
    Xapi,
}

/// Written by hand so that the secret never reaches a log line through `{:?}`.
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("webhook_endpoint::Model")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("kinds", &self.kinds)
            .field("partner_id", &self.partner_id)
            .field("secret", &"<redacted>")
            .field("active", &self.active)
            .field("cursor", &self.cursor)
            .field("format", &self.format)
            .field(
                "basic_password",
                &self.basic_password.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
