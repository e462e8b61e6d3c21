//! The course catalogue.

use super::auth::{write, Allow};
use crate::service::auth::Access;
use async_graphql::{Context, InputObject, MaybeUndefined, Object, ID};
use entity::course;

use super::loaders::{self, loaders};
use super::ordering::CourseOrder;
use super::{
    connection, db,
    enums::{CourseTopic, Delivery},
    iteration::CourseIteration,
    page_request, parse_id, patch, Conn,
};
use crate::{error::Result, service};

/// A catalogue entry (ETOC / Partnership Cooperation Menu).
pub struct Course(pub course::Model);

#[Object]
impl Course {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Catalogue code (unique).
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Topic.
    async fn topic(&self) -> CourseTopic {
        self.0.topic.into()
    }
    /// Organiser: a NATO body or an Allied nation.
    async fn organiser(&self) -> &str {
        &self.0.organiser
    }
    /// How it is delivered.
    async fn delivery(&self) -> Delivery {
        self.0.delivery.into()
    }
    /// Duration in days.
    async fn duration_days(&self) -> i32 {
        self.0.duration_days
    }
    /// Minimum STANAG 6001 language profile of participants, e.g. 2222.
    async fn min_slp(&self) -> Option<&str> {
        self.0.min_slp.as_deref()
    }
    /// Partnership Cooperation Menu code (the PCM event it is), if known.
    async fn pcm_code(&self) -> Option<&str> {
        self.0.pcm_code.as_deref()
    }
    /// Education and Training Opportunities Catalogue (ETOC) code, if known.
    async fn etoc_code(&self) -> Option<&str> {
        self.0.etoc_code.as_deref()
    }
    /// Version for optimistic concurrency.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Its points of contact, in creation order (names and channels per the reader's role).
    async fn points_of_contact(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<super::contact::PointOfContact>> {
        super::contact::contacts_of(ctx, crate::service::contact::ContactLink::Course(self.0.id))
            .await
    }
    /// The course's iterations.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn iterations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
    ) -> Result<Conn<CourseIteration>> {
        let req = page_request(ctx, first, after, None, None)?;
        let key = loaders::page_key(self.0.id, &req)?;
        let page = loaders::page(&loaders(ctx)?.iterations_by_course, key).await?;
        Ok(connection(page, |m| m.id, CourseIteration))
    }
}

/// A new catalogue entry.
#[derive(InputObject)]
pub struct CreateCourseInput {
    /// Catalogue code (unique).
    pub code: String,
    /// Title.
    pub title: String,
    /// Topic.
    pub topic: CourseTopic,
    /// Organiser.
    pub organiser: String,
    /// Delivery.
    pub delivery: Delivery,
    /// Duration in days (1 to 3650).
    pub duration_days: i32,
    /// Minimum language profile, e.g. 2222.
    pub min_slp: Option<String>,
    /// Its Partnership Cooperation Menu code, if it is a PCM event (unique).
    pub pcm_code: Option<String>,
    /// Its code in the Education and Training Opportunities Catalogue (unique).
    pub etoc_code: Option<String>,
}

/// Changes to a course (the code is stable).
#[derive(InputObject)]
pub struct UpdateCourseInput {
    /// The course.
    pub id: ID,
    /// The version you read.
    pub version: i32,
    /// New title.
    pub title: Option<String>,
    /// New topic.
    pub topic: Option<CourseTopic>,
    /// New organiser.
    pub organiser: Option<String>,
    /// New delivery.
    pub delivery: Option<Delivery>,
    /// New duration.
    pub duration_days: Option<i32>,
    /// New minimum language profile (null removes the requirement).
    pub min_slp: MaybeUndefined<String>,
    /// New Partnership Cooperation Menu code (null removes it).
    pub pcm_code: MaybeUndefined<String>,
    /// New ETOC code (null removes it).
    pub etoc_code: MaybeUndefined<String>,
}

#[derive(Default)]
pub struct CourseQuery;

#[Object]
impl CourseQuery {
    /// One course.
    #[graphql(guard = "Allow(Access::Read)")]
    async fn course(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its id.")] id: ID,
    ) -> Result<Course> {
        let id = parse_id("course", &id)?;
        Ok(Course(service::course::get(&db(ctx)?.conn, id).await?))
    }

    /// Courses of the catalogue, in creation order unless `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        guard = "Allow(Access::Read)",
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn courses(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this topic.")] topic: Option<CourseTopic>,
        #[graphql(desc = "Only this organiser.")] organiser: Option<String>,
        #[graphql(desc = "Only this delivery.")] delivery: Option<Delivery>,
        #[graphql(
            desc = "Search in titles and codes (at most 200 characters; `%` and `_` match themselves)."
        )]
        search: Option<String>,
        #[graphql(desc = "Page size, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
        #[graphql(desc = "Order of the list (default: by id, ascending).")] order_by: Option<
            CourseOrder,
        >,
    ) -> Result<Conn<Course>> {
        let req = page_request(ctx, first, after, last, before)?;
        let filter = service::course::CourseFilter {
            order: order_by.into(),
            topic: topic.map(Into::into),
            organiser,
            delivery: delivery.map(Into::into),
            search,
        };
        let page = service::course::list(&db(ctx)?.conn, filter, &req).await?;
        Ok(connection(page, |m| m.id, Course))
    }
}

#[derive(Default)]
pub struct CourseMutation;

#[Object]
impl CourseMutation {
    /// Adds a course to the catalogue.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn create_course(&self, ctx: &Context<'_>, input: CreateCourseInput) -> Result<Course> {
        let new = service::course::NewCourse {
            code: input.code,
            title: input.title,
            topic: input.topic.into(),
            organiser: input.organiser,
            delivery: input.delivery.into(),
            duration_days: input.duration_days,
            min_slp: input.min_slp,
            pcm_code: input.pcm_code,
            etoc_code: input.etoc_code,
        };
        write(ctx, |txn| async move {
            Ok((None, service::course::create(&*txn, new).await?))
        })
        .await
        .map(Course)
    }

    /// Changes a course.
    #[graphql(guard = "Allow(Access::Write)")]
    async fn update_course(&self, ctx: &Context<'_>, input: UpdateCourseInput) -> Result<Course> {
        let id = parse_id("course", &input.id)?;
        let changes = service::course::CourseChanges {
            title: input.title,
            topic: input.topic.map(Into::into),
            organiser: input.organiser,
            delivery: input.delivery.map(Into::into),
            duration_days: input.duration_days,
            min_slp: patch(input.min_slp),
            pcm_code: patch(input.pcm_code),
            etoc_code: patch(input.etoc_code),
        };
        write(ctx, |txn| async move {
            let before = service::course::get(&*txn, id).await?;
            Ok((
                Some(before),
                service::course::update(&*txn, id, input.version, changes).await?,
            ))
        })
        .await
        .map(Course)
    }
}
