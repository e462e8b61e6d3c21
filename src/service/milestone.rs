//! Partnership milestones: the timeline of a partner's relations (NACC 1992, PfP 1994, ...).

use chrono::NaiveDate;
use entity::{
    enums::Framework,
    partnership_milestone::{self, ActiveModel, Column, Entity},
};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use super::validate::Text;
use super::{find, now, partner, update_versioned};

/// The free-text fields and their longest values.
const DESCRIPTION: Text = Text::new("description", 4000);
use crate::error::Result;

pub struct NewMilestone {
    pub partner_id: i32,
    pub framework: Framework,
    pub occurred_on: NaiveDate,
    pub description: String,
}

#[derive(Default)]
pub struct MilestoneChanges {
    pub framework: Option<Framework>,
    pub occurred_on: Option<NaiveDate>,
    pub description: Option<String>,
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: i32) -> Result<partnership_milestone::Model> {
    find::<Entity, _>(conn, "partnership milestone", Column::Id, id).await
}

pub async fn create<C: ConnectionTrait>(
    conn: &C,
    input: NewMilestone,
) -> Result<partnership_milestone::Model> {
    partner::get(conn, input.partner_id).await?;
    let at = now();
    let model = ActiveModel {
        partner_id: Set(input.partner_id),
        framework: Set(input.framework),
        occurred_on: Set(input.occurred_on),
        description: Set(DESCRIPTION.check(&input.description)?),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    Ok(Entity::insert(model).exec_with_returning(conn).await?)
}

pub async fn update<C: ConnectionTrait>(
    conn: &C,
    id: i32,
    version: i32,
    changes: MilestoneChanges,
) -> Result<partnership_milestone::Model> {
    let mut am = ActiveModel::default();
    if let Some(f) = changes.framework {
        am.framework = Set(f);
    }
    if let Some(d) = changes.occurred_on {
        am.occurred_on = Set(d);
    }
    if let Some(text) = changes.description {
        am.description = Set(DESCRIPTION.check(&text)?);
    }
    update_versioned::<Entity, _>(
        conn,
        "partnership milestone",
        (Column::Id, Column::Version, Column::UpdatedAt),
        id,
        version,
        am,
    )
    .await
}
