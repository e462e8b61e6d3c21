//! The `orderBy` inputs of the lists: a field per list (each list ends on the unique id, the default
//! and the tie-breaker) and a direction. Cursors carry the sort value and the id, so a cursor only
//! fits the ordering that produced it (another one gets BAD_USER_INPUT).

use async_graphql::{Enum, InputObject};

use crate::service::{
    activity::ActivityOrderField as SActivity, course::CourseOrderField as SCourse,
    enrollment::EnrollmentOrderField as SEnrollment, iteration::IterationOrderField as SIteration,
    paging::ListOrder, partner::PartnerOrderField as SPartner,
    programme_cycle::CycleOrderField as SCycle,
};

/// Sort direction.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum OrderDirection {
    /// Smallest first (the default).
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

macro_rules! ordering {
    ($(#[$doc:meta])* $input:ident, $field:ident, $service:ident, { $($(#[$vdoc:meta])* $variant:ident),* $(,)? }) => {
        /// What the list can be ordered by; the id always breaks ties.
        #[derive(Enum, Copy, Clone, Eq, PartialEq)]
        pub enum $field {
            /// Creation order (the unique id).
            Id,
            $($(#[$vdoc])* $variant,)*
        }

        $(#[$doc])*
        #[derive(InputObject, Clone, Copy)]
        pub struct $input {
            /// The field to order by.
            pub field: $field,
            /// The direction (ASC by default).
            #[graphql(default)]
            pub direction: OrderDirection,
        }

        impl From<Option<$input>> for ListOrder<$service> {
            fn from(order: Option<$input>) -> Self {
                match order {
                    None => ListOrder::default(),
                    Some(o) => ListOrder {
                        field: match o.field {
                            $field::Id => $service::Id,
                            $($field::$variant => $service::$variant,)*
                        },
                        descending: o.direction == OrderDirection::Desc,
                    },
                }
            }
        }
    };
}

ordering!(
    /// Order of the partner list.
    PartnerOrder, PartnerOrderField, SPartner, {
    /// ISO 3166 alpha-3 code.
    Code,
    /// Name.
    Name,
});
ordering!(
    /// Order of the course catalogue.
    CourseOrder, CourseOrderField, SCourse, {
    /// Catalogue code.
    Code,
    /// Title.
    Title,
});
ordering!(
    /// Order of the programme cycle list.
    ProgrammeCycleOrder, ProgrammeCycleOrderField, SCycle, {
    /// First day.
    StartDate,
});
ordering!(
    /// Order of the course iteration list.
    CourseIterationOrder, CourseIterationOrderField, SIteration, {
    /// First day.
    StartDate,
});
ordering!(
    /// Order of the activity list.
    ActivityOrder, ActivityOrderField, SActivity, {
    /// First day.
    StartDate,
});
ordering!(
    /// Order of the enrollment list.
    EnrollmentOrder, EnrollmentOrderField, SEnrollment, {
    /// Nomination time.
    NominatedAt,
});
