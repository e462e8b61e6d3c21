//! Access control and the audit trail of the API.
//!
//! Every root field carries a guard naming the access it needs (`Allow(Access::Read)`, ...); the
//! policy itself is `service::auth::allows`. Personal fields of officers answer null to callers
//! without the personal-data right, as GitHub's API does for fields a token may not see.
//! Mutations run through `write`: the service layer's unit of work, named for the mutation.

use std::{future::Future, sync::Arc};

use async_graphql::{Context, Guard};

use super::db;
use crate::{
    error::{AppError, Result},
    service::{
        auth::{Access, Caller},
        uow::{self, Actor, Audited, Tx},
    },
};

/// The request id of the HTTP request, recorded with audit events.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub(crate) fn caller(ctx: &Context<'_>) -> Caller {
    ctx.data_opt::<Caller>()
        .cloned()
        .unwrap_or_else(Caller::anonymous)
}

/// A guard: the caller must hold `access`.
pub struct Allow(pub Access);

impl Guard for Allow {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let caller = caller(ctx);
        if caller.role.is_none() {
            return Err(AppError::Unauthenticated.into());
        }
        if !caller.may(self.0) {
            let what = match self.0 {
                Access::Read => "read programme records",
                Access::PersonalData => "see personal data",
                Access::Report => "run reports",
                Access::Write => "change programme records",
                Access::Admin => "administer tokens and webhooks or read the audit log",
            };
            return Err(AppError::Forbidden(what.into()).into());
        }
        Ok(())
    }
}

/// Whether the caller may see officers' personal data.
pub(crate) fn sees_personal_data(ctx: &Context<'_>) -> bool {
    caller(ctx).may(Access::PersonalData)
}

/// Who makes a mutation's change: the calling token, with the HTTP request's id.
pub(crate) fn actor(ctx: &Context<'_>) -> Actor {
    let request_id = ctx.data_opt::<RequestId>().map(|r| r.0.clone());
    Actor::caller(&caller(ctx), request_id)
}

/// Runs a mutation's `work` (which returns the record before and after the change) as one unit of
/// work of the service layer, named for the mutation: the change, its audit event and its
/// change-log entry commit together; a failed mutation writes none of them.
pub(crate) async fn write<M, F, Fut>(ctx: &Context<'_>, work: F) -> Result<M>
where
    M: Audited,
    F: FnOnce(Arc<Tx>) -> Fut,
    Fut: Future<Output = Result<(Option<M>, M)>>,
{
    uow::write(db(ctx)?, &actor(ctx), ctx.field().name(), work).await
}
