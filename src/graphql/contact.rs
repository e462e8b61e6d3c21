//! Points of contact. Names, email and phone are personal data: they answer null to callers
//! without the personal-data right, like officers' names.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    dataloader::{DataLoader, Loader},
    Context, Enum, InputObject, MaybeUndefined, Object, ID,
};
use entity::point_of_contact;

use super::auth::{sees_personal_data, write, Allow};
use super::{connection, db, page_request, parse_id, patch, Conn};
use crate::{
    error::{AppError, Result},
    service::Db,
    service::{self, auth::Access, contact::ContactLink},
};

/// What a point of contact is for.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::ContactRole")]
pub enum ContactRole {
    /// Directs a course or an iteration.
    CourseDirector,
    /// The partner's point of contact (mission to NATO or embassy).
    PartnerPoc,
    /// The NATO desk officer for the partner.
    NatoDeskOfficer,
    /// Anyone else.
    Other,
}

/// A named person to contact for a partner, a course or a course iteration.
pub struct PointOfContact(pub point_of_contact::Model);

#[Object]
impl PointOfContact {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// What the person is the contact for.
    async fn role(&self) -> ContactRole {
        self.0.role.into()
    }
    /// The role in the requested language, e.g. "Directeur du cours".
    async fn role_label(
        &self,
        #[graphql(
            desc = "Language of the label.",
            default_with = "super::report::Language::En"
        )]
        lang: super::report::Language,
    ) -> String {
        use sea_orm::ActiveEnum;
        service::lang::label(
            lang.into(),
            service::lang::Vocabulary::ContactRole,
            &self.0.role.to_value(),
        )
    }
    /// Family name; null without the personal-data right.
    async fn family_name(&self, ctx: &Context<'_>) -> Option<&str> {
        sees_personal_data(ctx).then_some(self.0.family_name.as_str())
    }
    /// Given name; null without the personal-data right.
    async fn given_name(&self, ctx: &Context<'_>) -> Option<&str> {
        sees_personal_data(ctx).then_some(self.0.given_name.as_str())
    }
    /// The organisation (mission, embassy, NATO body, school).
    async fn organisation(&self) -> Option<&str> {
        self.0.organisation.as_deref()
    }
    /// Email address; null without the personal-data right.
    async fn email(&self, ctx: &Context<'_>) -> Option<&str> {
        self.0.email.as_deref().filter(|_| sees_personal_data(ctx))
    }
    /// Phone number, E.164 (e.g. `+99312345678`); null without the personal-data right.
    async fn phone(&self, ctx: &Context<'_>) -> Option<&str> {
        self.0.phone.as_deref().filter(|_| sees_personal_data(ctx))
    }
    /// The partner it is linked to, if that is its link.
    async fn partner_id(&self) -> Option<ID> {
        self.0.partner_id.map(|id| ID(id.to_string()))
    }
    /// The course it is linked to, if that is its link.
    async fn course_id(&self) -> Option<ID> {
        self.0.course_id.map(|id| ID(id.to_string()))
    }
    /// The course iteration it is linked to, if that is its link.
    async fn iteration_id(&self) -> Option<ID> {
        self.0.iteration_id.map(|id| ID(id.to_string()))
    }
    /// Version for optimistic concurrency.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A new point of contact, linked to exactly one of a partner, a course or an iteration.
#[derive(InputObject)]
pub struct CreatePointOfContactInput {
    /// What the person is the contact for.
    pub role: ContactRole,
    /// Family name.
    pub family_name: String,
    /// Given name.
    pub given_name: String,
    /// The organisation.
    pub organisation: Option<String>,
    /// Email address (INVALID_EMAIL unless in the usual syntax).
    pub email: Option<String>,
    /// Phone number in E.164, e.g. `+99312345678` (INVALID_PHONE otherwise).
    pub phone: Option<String>,
    /// The partner (give exactly one of partnerId, courseId, iterationId).
    pub partner_id: Option<ID>,
    /// The course.
    pub course_id: Option<ID>,
    /// The course iteration.
    pub iteration_id: Option<ID>,
}

/// Changes to a point of contact (its link does not change).
#[derive(InputObject)]
pub struct UpdatePointOfContactInput {
    /// The point of contact.
    pub id: ID,
    /// The version you read.
    pub version: i32,
    /// New role.
    pub role: Option<ContactRole>,
    /// New family name.
    pub family_name: Option<String>,
    /// New given name.
    pub given_name: Option<String>,
    /// New organisation (null clears it).
    pub organisation: MaybeUndefined<String>,
    /// New email (null clears it).
    pub email: MaybeUndefined<String>,
    /// New phone (null clears it).
    pub phone: MaybeUndefined<String>,
}

/// Points of contact by the id they are linked to (one loader per kind of link).
pub struct ContactsByLink(Db, fn(i32) -> ContactLink);

impl Loader<i32> for ContactsByLink {
    type Value = Arc<Vec<point_of_contact::Model>>;
    type Error = AppError;
    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>> {
        Ok(service::contact::by_link(&self.0.conn, self.1, keys)
            .await?
            .into_iter()
            .map(|(k, v)| (k, Arc::new(v)))
            .collect())
    }
}

/// The loaders of `Partner.pointsOfContact`, `Course.pointsOfContact` and
/// `CourseIteration.pointsOfContact` (batched, never cached).
pub struct ContactLoaders {
    partner: DataLoader<ContactsByLink>,
    course: DataLoader<ContactsByLink>,
    iteration: DataLoader<ContactsByLink>,
}

impl ContactLoaders {
    pub fn new(db: &Db) -> ContactLoaders {
        let dl = |link: fn(i32) -> ContactLink| {
            DataLoader::new(
                ContactsByLink(db.clone(), link),
                super::batching::spawn_fetch,
            )
            .delay(std::time::Duration::ZERO)
        };
        ContactLoaders {
            partner: dl(ContactLink::Partner),
            course: dl(ContactLink::Course),
            iteration: dl(ContactLink::Iteration),
        }
    }
}

/// The points of contact linked to a record, in creation order.
pub(crate) async fn contacts_of(
    ctx: &Context<'_>,
    link: ContactLink,
) -> Result<Vec<PointOfContact>> {
    let loaders = ctx
        .data::<ContactLoaders>()
        .map_err(|_| AppError::Internal("contact loaders missing from schema data".into()))?;
    let (loader, id) = match link {
        ContactLink::Partner(id) => (&loaders.partner, id),
        ContactLink::Course(id) => (&loaders.course, id),
        ContactLink::Iteration(id) => (&loaders.iteration, id),
    };
    Ok(Box::pin(loader.load_one(id))
        .await?
        .map(Arc::unwrap_or_clone)
        .unwrap_or_default()
        .into_iter()
        .map(PointOfContact)
        .collect())
}

#[derive(Default)]
pub struct ContactQuery;

#[Object]
impl ContactQuery {
    /// One point of contact.
    #[graphql(guard = "Allow(Access::Read)")]
    async fn point_of_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its id.")] id: ID,
    ) -> Result<PointOfContact> {
        let id = parse_id("point of contact", &id)?;
        Ok(PointOfContact(
            service::contact::get(&db(ctx)?.conn, id).await?,
        ))
    }

    /// Points of contact, in creation order.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        guard = "Allow(Access::Read)",
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn points_of_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this partner's.")] partner_id: Option<ID>,
        #[graphql(desc = "Only this course's.")] course_id: Option<ID>,
        #[graphql(desc = "Only this iteration's.")] iteration_id: Option<ID>,
        #[graphql(desc = "Only this role.")] role: Option<ContactRole>,
        #[graphql(desc = "Page size, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<Conn<PointOfContact>> {
        let req = page_request(ctx, first, after, last, before)?;
        let id = |entity, v: &Option<ID>| v.as_ref().map(|id| parse_id(entity, id)).transpose();
        let filter = service::contact::ContactFilter {
            partner_id: id("partner", &partner_id)?,
            course_id: id("course", &course_id)?,
            iteration_id: id("course iteration", &iteration_id)?,
            role: role.map(Into::into),
        };
        let page = service::contact::list(&db(ctx)?.conn, filter, &req).await?;
        Ok(connection(page, |m| m.id, PointOfContact))
    }
}

#[derive(Default)]
pub struct ContactMutation;

#[Object]
impl ContactMutation {
    /// Records a point of contact for a partner, a course or an iteration (exactly one).
    #[graphql(guard = "Allow(Access::Write)")]
    async fn create_point_of_contact(
        &self,
        ctx: &Context<'_>,
        input: CreatePointOfContactInput,
    ) -> Result<PointOfContact> {
        let link = match (&input.partner_id, &input.course_id, &input.iteration_id) {
            (Some(p), None, None) => ContactLink::Partner(parse_id("partner", p)?),
            (None, Some(c), None) => ContactLink::Course(parse_id("course", c)?),
            (None, None, Some(i)) => ContactLink::Iteration(parse_id("course iteration", i)?),
            _ => {
                return Err(AppError::invalid(
                    "partnerId",
                    "give exactly one of partnerId, courseId and iterationId",
                ))
            }
        };
        let new = service::contact::NewContact {
            role: input.role.into(),
            family_name: input.family_name,
            given_name: input.given_name,
            organisation: input.organisation,
            email: input.email,
            phone: input.phone,
            link,
        };
        write(ctx, |txn| async move {
            Ok((None, service::contact::create(&*txn, new).await?))
        })
        .await
        .map(PointOfContact)
    }

    /// Changes a point of contact.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn update_point_of_contact(
        &self,
        ctx: &Context<'_>,
        input: UpdatePointOfContactInput,
    ) -> Result<PointOfContact> {
        let id = parse_id("point of contact", &input.id)?;
        let changes = service::contact::ContactChanges {
            role: input.role.map(Into::into),
            family_name: input.family_name,
            given_name: input.given_name,
            organisation: patch(input.organisation),
            email: patch(input.email),
            phone: patch(input.phone),
        };
        write(ctx, |txn| async move {
            let before = service::contact::get(&*txn, id).await?;
            Ok((
                Some(before),
                service::contact::update(&*txn, id, input.version, changes).await?,
            ))
        })
        .await
        .map(PointOfContact)
    }
}
