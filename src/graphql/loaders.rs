//! DataLoaders for nested fields: every relation field asks its loader instead of the database, and
//! the loader answers all the parents of one level with one batched statement (see
//! `service::batch`), so a query costs a number of statements that follows its depth, not its rows.
//!
//! A batch starts when the poll of the request that asked for it returns (see `batching`), not
//! after a timer.
//!
//! Policy: the loaders batch but never cache (`DataLoader::new` has no cache), so they can live in the
//! schema data and serve HTTP requests and websocket subscriptions alike without any record crossing
//! from one request or caller to another; what a caller may see is decided by the object fields
//! after loading, as for a direct query.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    dataloader::{DataLoader, Loader},
    Context,
};
use entity::enums::EnrollmentStatus;

use crate::{
    error::{AppError, Result},
    service::Db,
    service::{
        batch::{self, relation},
        Page, PageRequest,
    },
};

/// A nested page asked for by one parent: the parent and the page arguments.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub parent: i32,
    pub first: Option<i32>,
    pub after: Option<i32>,
    pub with_total: bool,
    pub status: Option<EnrollmentStatus>,
}

/// The key of a nested page; a cursor of a sorted top-level list does not fit a nested one.
pub(crate) fn page_key(parent: i32, req: &PageRequest) -> Result<PageKey> {
    if req.after_key.is_some() {
        return Err(AppError::invalid(
            "after",
            "this cursor belongs to another ordering of the list",
        ));
    }
    Ok(PageKey::new(parent, req))
}

impl PageKey {
    pub fn new(parent: i32, req: &PageRequest) -> PageKey {
        PageKey {
            parent,
            first: req.first,
            after: req.after,
            with_total: req.with_total,
            status: None,
        }
    }

    fn request(&self) -> PageRequest {
        PageRequest {
            first: self.first,
            after: self.after,
            last: None,
            before: None,
            with_total: self.with_total,
            ..PageRequest::default()
        }
    }

    fn args(&self) -> PageArgs {
        (self.first, self.after, self.with_total, self.status)
    }
}

/// The page arguments of a key.
type PageArgs = (Option<i32>, Option<i32>, bool, Option<EnrollmentStatus>);

/// Keys asking for the same page arguments share one statement.
fn by_args(keys: &[PageKey]) -> HashMap<PageArgs, Vec<&PageKey>> {
    let mut groups: HashMap<_, Vec<&PageKey>> = HashMap::new();
    for key in keys {
        groups.entry(key.args()).or_default().push(key);
    }
    groups
}

macro_rules! by_id {
    ($name:ident, $module:ident) => {
        /// Records by id.
        pub struct $name(Db);
        impl Loader<i32> for $name {
            type Value = entity::$module::Model;
            type Error = AppError;
            async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>> {
                batch::by_ids::<entity::$module::Entity, _>(
                    &self.0.conn,
                    entity::$module::Column::Id,
                    keys,
                    |m| m.id,
                )
                .await
            }
        }
    };
}

by_id!(PartnerById, partner);
by_id!(CycleById, programme_cycle);
by_id!(ObjectiveById, objective);
by_id!(AreaById, cooperation_area);
by_id!(CourseById, course);
by_id!(IterationById, course_iteration);
by_id!(OfficerById, officer);

// A loader hands each requester a clone of its value while it still holds the whole batch's map,
// so list and page values are shared (`Arc`): the requester then takes its list out without a copy
// (`Arc::unwrap_or_clone`), and a large nested answer never holds its rows twice.

macro_rules! children {
    ($name:ident, $value:ty, $fetch:path) => {
        /// Children per parent id.
        pub struct $name(Db);
        impl Loader<i32> for $name {
            type Value = Arc<$value>;
            type Error = AppError;
            async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>> {
                Ok($fetch(&self.0.conn, keys)
                    .await?
                    .into_iter()
                    .map(|(parent, children)| (parent, Arc::new(children)))
                    .collect())
            }
        }
    };
}

children!(
    CyclesByPartner,
    Vec<entity::programme_cycle::Model>,
    relation::cycles_by_partner
);
children!(
    ActiveCycleByPartner,
    Vec<entity::programme_cycle::Model>,
    relation::active_cycle_by_partner
);
children!(
    SuccessorByCycle,
    Vec<entity::programme_cycle::Model>,
    relation::successor_by_cycle
);
children!(
    MilestonesByPartner,
    Vec<entity::partnership_milestone::Model>,
    relation::milestones_by_partner
);
children!(
    ObjectivesByCycle,
    Vec<entity::objective::Model>,
    relation::objectives_by_cycle
);
children!(
    ObjectiveIdsByIteration,
    Vec<i32>,
    batch::objective_ids_by_iteration
);
children!(
    IterationsByObjective,
    Vec<entity::course_iteration::Model>,
    batch::iterations_by_objective
);
children!(IndicatorActual, i64, batch::officers_completed_by_objective);

macro_rules! paged {
    ($name:ident, $model:ty, |$conn:ident, $parents:ident, $req:ident, $status:ident| $fetch:expr) => {
        /// One page of children per parent.
        pub struct $name(Db);
        impl Loader<PageKey> for $name {
            type Value = Arc<Page<$model>>;
            type Error = AppError;
            async fn load(&self, keys: &[PageKey]) -> Result<HashMap<PageKey, Self::Value>> {
                let mut out = HashMap::new();
                for (_, group) in by_args(keys) {
                    let $parents: Vec<i32> = group.iter().map(|k| k.parent).collect();
                    let $req = group[0].request();
                    let $status = group[0].status;
                    let $conn = &self.0.conn;
                    let mut pages = $fetch;
                    for key in group {
                        if let Some(page) = pages.remove(&key.parent) {
                            out.insert(key.clone(), Arc::new(page));
                        }
                    }
                }
                Ok(out)
            }
        }
    };
}

paged!(
    EnrollmentsByIteration,
    entity::enrollment::Model,
    |conn, parents, req, status| relation::enrollments_by_iteration(conn, &parents, &req, status)
        .await?
);
paged!(
    EnrollmentsWithOfficerByIteration,
    (entity::enrollment::Model, entity::officer::Model),
    |conn, parents, req, status| relation::enrollments_with_officers_by_iteration(
        conn, &parents, &req, status
    )
    .await?
);
paged!(
    EnrollmentsByOfficer,
    entity::enrollment::Model,
    |conn, parents, req, _status| relation::enrollments_by_officer(conn, &parents, &req).await?
);
paged!(
    ActivitiesByCycle,
    entity::activity::Model,
    |conn, parents, req, _status| relation::activities_by_cycle(conn, &parents, &req).await?
);
paged!(
    IterationsByCourse,
    entity::course_iteration::Model,
    |conn, parents, req, _status| relation::iterations_by_course(conn, &parents, &req).await?
);
paged!(
    OfficersByPartner,
    entity::officer::Model,
    |conn, parents, req, _status| relation::officers_by_partner(conn, &parents, &req).await?
);

/// Keys per batch (async-graphql's default is 1,000): a deep page asks for thousands of officers,
/// which PostgreSQL takes as one array parameter (SQLite's statements are cut in chunks anyway).
const MAX_BATCH: usize = 20_000;

/// Every loader of the schema.
pub struct Loaders {
    pub partner: DataLoader<PartnerById>,
    pub cycle: DataLoader<CycleById>,
    pub objective: DataLoader<ObjectiveById>,
    pub area: DataLoader<AreaById>,
    pub course: DataLoader<CourseById>,
    pub iteration: DataLoader<IterationById>,
    pub officer: DataLoader<OfficerById>,
    pub cycles_by_partner: DataLoader<CyclesByPartner>,
    pub active_cycle_by_partner: DataLoader<ActiveCycleByPartner>,
    pub successor_by_cycle: DataLoader<SuccessorByCycle>,
    pub milestones_by_partner: DataLoader<MilestonesByPartner>,
    pub objectives_by_cycle: DataLoader<ObjectivesByCycle>,
    pub objective_ids_by_iteration: DataLoader<ObjectiveIdsByIteration>,
    pub iterations_by_objective: DataLoader<IterationsByObjective>,
    pub indicator_actual: DataLoader<IndicatorActual>,
    pub enrollments_by_iteration: DataLoader<EnrollmentsByIteration>,
    pub enrollments_with_officer_by_iteration: DataLoader<EnrollmentsWithOfficerByIteration>,
    pub enrollments_by_officer: DataLoader<EnrollmentsByOfficer>,
    pub activities_by_cycle: DataLoader<ActivitiesByCycle>,
    pub iterations_by_course: DataLoader<IterationsByCourse>,
    pub officers_by_partner: DataLoader<OfficersByPartner>,
}

impl Loaders {
    pub fn new(db: &Db) -> Loaders {
        macro_rules! dl {
            ($t:ident) => {
                DataLoader::new($t(db.clone()), super::batching::spawn_fetch)
                    .delay(std::time::Duration::ZERO)
                    .max_batch_size(MAX_BATCH)
            };
        }
        Loaders {
            partner: dl!(PartnerById),
            cycle: dl!(CycleById),
            objective: dl!(ObjectiveById),
            area: dl!(AreaById),
            course: dl!(CourseById),
            iteration: dl!(IterationById),
            officer: dl!(OfficerById),
            cycles_by_partner: dl!(CyclesByPartner),
            active_cycle_by_partner: dl!(ActiveCycleByPartner),
            successor_by_cycle: dl!(SuccessorByCycle),
            milestones_by_partner: dl!(MilestonesByPartner),
            objectives_by_cycle: dl!(ObjectivesByCycle),
            objective_ids_by_iteration: dl!(ObjectiveIdsByIteration),
            iterations_by_objective: dl!(IterationsByObjective),
            indicator_actual: dl!(IndicatorActual),
            enrollments_by_iteration: dl!(EnrollmentsByIteration),
            enrollments_with_officer_by_iteration: dl!(EnrollmentsWithOfficerByIteration),
            enrollments_by_officer: dl!(EnrollmentsByOfficer),
            activities_by_cycle: dl!(ActivitiesByCycle),
            iterations_by_course: dl!(IterationsByCourse),
            officers_by_partner: dl!(OfficersByPartner),
        }
    }
}

pub(crate) fn loaders<'a>(ctx: &Context<'a>) -> Result<&'a Loaders> {
    ctx.data::<Loaders>()
        .map_err(|_| AppError::Internal("loaders missing from schema data".into()))
}

// The loaders' futures are boxed: a type's fields all resolve through one future type, as large as
// its largest field's, so an unboxed loader call would make every field of the type that large
// (most of a large answer's memory, bench/HISTORY.md).

/// One record by id through its loader; NOT_FOUND naming `entity` when it is gone.
pub(crate) async fn one<T>(
    loader: &DataLoader<T>,
    entity: &'static str,
    id: i32,
) -> Result<T::Value>
where
    T: Loader<i32, Error = AppError>,
{
    Box::pin(loader.load_one(id))
        .await?
        .ok_or_else(|| AppError::not_found(entity, id))
}

/// The children of one parent through a list loader (none: empty).
pub(crate) async fn many<T, V: Clone>(loader: &DataLoader<T>, parent: i32) -> Result<Vec<V>>
where
    T: Loader<i32, Value = Arc<Vec<V>>, Error = AppError>,
{
    Ok(Box::pin(loader.load_one(parent))
        .await?
        .map(Arc::unwrap_or_clone)
        .unwrap_or_default())
}

/// One nested page through a paged loader.
pub(crate) async fn page<T, M: Clone>(loader: &DataLoader<T>, key: PageKey) -> Result<Page<M>>
where
    T: Loader<PageKey, Value = Arc<Page<M>>, Error = AppError>,
{
    Ok(Box::pin(loader.load_one(key))
        .await?
        .map(Arc::unwrap_or_clone)
        .unwrap_or(Page {
            items: Vec::new(),
            has_next: false,
            has_previous: false,
            total: None,
            cursors: Vec::new(),
        }))
}

/// Records by ids in the order given, skipping any that vanished.
pub(crate) async fn ordered<T>(loader: &DataLoader<T>, ids: Vec<i32>) -> Result<Vec<T::Value>>
where
    T: Loader<i32, Error = AppError>,
{
    let mut found = Box::pin(loader.load_many(ids.iter().copied())).await?;
    Ok(ids.into_iter().filter_map(|id| found.remove(&id)).collect())
}
