//! Points of contact: course directors, partners' mission or embassy POCs, NATO desk officers.
//! Each is linked to exactly one partner, course or course iteration. Names and contact channels
//! are personal data (the API guards them as officers' names). An email is checked for syntax
//! (RFC 5321 lengths, a dot-atom local part, a domain of at least two labels); a phone number
//! must be E.164 (`+`, country code, at most 15 digits; spaces are dropped).

use crate::error::ErrorCode;
use entity::{
    enums::ContactRole,
    point_of_contact::{self, ActiveModel, Column, Entity},
};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{course, find, iteration, now, paging, partner, update_versioned, validate};
use super::{uow, Page, PageRequest};
use crate::error::{AppError, Result};

const ENTITY: &str = "point of contact";

impl uow::Audited for point_of_contact::Model {
    const ENTITY: &'static str = "point_of_contact";
    fn audit_id(&self) -> String {
        self.id.to_string()
    }
    fn partner(&self) -> uow::PartnerOf {
        match self.partner_id {
            Some(p) => uow::PartnerOf::Partner(p),
            None => uow::PartnerOf::None,
        }
    }
}

/// What a point of contact is linked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactLink {
    Partner(i32),
    Course(i32),
    Iteration(i32),
}

pub struct NewContact {
    pub role: ContactRole,
    pub family_name: String,
    pub given_name: String,
    pub organisation: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub link: ContactLink,
}

#[derive(Default)]
pub struct ContactChanges {
    pub role: Option<ContactRole>,
    pub family_name: Option<String>,
    pub given_name: Option<String>,
    pub organisation: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
}

#[derive(Default)]
pub struct ContactFilter {
    pub partner_id: Option<i32>,
    pub course_id: Option<i32>,
    pub iteration_id: Option<i32>,
    pub role: Option<ContactRole>,
}

/// An email address, trimmed; INVALID_EMAIL unless it is `local@domain.tld` in the usual syntax.
pub fn email(value: &str) -> Result<String> {
    let v = value.trim();
    let bad = || {
        AppError::rule(
            ErrorCode::InvalidEmail,
            format!("'{v}' is not an email address (expected e.g. name@mfa.gov.tm)"),
        )
    };
    if v.len() > 254 {
        return Err(bad());
    }
    let (local, domain) = v.rsplit_once('@').ok_or_else(bad)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    if local_ok && domain_ok {
        Ok(v.to_owned())
    } else {
        Err(bad())
    }
}

/// A phone number in E.164 (`+` then 2 to 15 digits, the first not 0), spaces dropped;
/// INVALID_PHONE otherwise.
pub fn phone(value: &str) -> Result<String> {
    let v: String = value.chars().filter(|c| *c != ' ').collect();
    let digits = v.strip_prefix('+').unwrap_or("");
    let ok = (2..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(v)
    } else {
        Err(AppError::rule(ErrorCode::InvalidPhone,
            format!(
                "'{}' is not an E.164 phone number (expected + and the country code, at most 15 digits, e.g. +99312345678)",
                value.trim()
            ),
        ))
    }
}

fn optional(value: Option<String>, check: fn(&str) -> Result<String>) -> Result<Option<String>> {
    match value {
        Some(v) if !v.trim().is_empty() => check(&v).map(Some),
        _ => Ok(None),
    }
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: i32) -> Result<point_of_contact::Model> {
    find::<Entity, _>(conn, ENTITY, Column::Id, id).await
}

pub async fn list<C: ConnectionTrait>(
    conn: &C,
    filter: ContactFilter,
    req: &PageRequest,
) -> Result<Page<point_of_contact::Model>> {
    let mut q = Entity::find();
    if let Some(v) = filter.partner_id {
        q = q.filter(Column::PartnerId.eq(v));
    }
    if let Some(v) = filter.course_id {
        q = q.filter(Column::CourseId.eq(v));
    }
    if let Some(v) = filter.iteration_id {
        q = q.filter(Column::IterationId.eq(v));
    }
    if let Some(v) = filter.role {
        q = q.filter(Column::Role.eq(v));
    }
    paging::page(conn, q, Column::Id, req).await
}

/// The points of contact linked to each of `ids` (partners, courses or iterations, as `link`
/// says), in creation order, by linked id.
pub async fn by_link<C: ConnectionTrait>(
    conn: &C,
    link: fn(i32) -> ContactLink,
    ids: &[i32],
) -> Result<std::collections::BTreeMap<i32, Vec<point_of_contact::Model>>> {
    use sea_orm::QueryOrder;
    let column = match link(0) {
        ContactLink::Partner(_) => Column::PartnerId,
        ContactLink::Course(_) => Column::CourseId,
        ContactLink::Iteration(_) => Column::IterationId,
    };
    let mut out: std::collections::BTreeMap<i32, Vec<point_of_contact::Model>> =
        std::collections::BTreeMap::new();
    for chunk in ids.chunks(500) {
        for m in Entity::find()
            .filter(column.is_in(chunk.iter().copied()))
            .order_by_asc(Column::Id)
            .all(conn)
            .await?
        {
            let key = match link(0) {
                ContactLink::Partner(_) => m.partner_id,
                ContactLink::Course(_) => m.course_id,
                ContactLink::Iteration(_) => m.iteration_id,
            };
            if let Some(key) = key {
                out.entry(key).or_default().push(m);
            }
        }
    }
    Ok(out)
}

pub async fn create<C: ConnectionTrait>(
    conn: &C,
    input: NewContact,
) -> Result<point_of_contact::Model> {
    let (mut partner_id, mut course_id, mut iteration_id) = (None, None, None);
    match input.link {
        ContactLink::Partner(id) => {
            partner::get(conn, id).await?;
            partner_id = Some(id);
        }
        ContactLink::Course(id) => {
            course::get(conn, id).await?;
            course_id = Some(id);
        }
        ContactLink::Iteration(id) => {
            iteration::get(conn, id).await?;
            iteration_id = Some(id);
        }
    }
    let at = now();
    let model = ActiveModel {
        role: Set(input.role),
        family_name: Set(validate::text("familyName", &input.family_name, 120)?),
        given_name: Set(validate::text("givenName", &input.given_name, 120)?),
        organisation: Set(validate::optional_text(
            "organisation",
            input.organisation,
            300,
        )?),
        email: Set(optional(input.email, email)?),
        phone: Set(optional(input.phone, phone)?),
        partner_id: Set(partner_id),
        course_id: Set(course_id),
        iteration_id: Set(iteration_id),
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
    changes: ContactChanges,
) -> Result<point_of_contact::Model> {
    let mut am = ActiveModel::default();
    if let Some(v) = changes.role {
        am.role = Set(v);
    }
    if let Some(v) = changes.family_name {
        am.family_name = Set(validate::text("familyName", &v, 120)?);
    }
    if let Some(v) = changes.given_name {
        am.given_name = Set(validate::text("givenName", &v, 120)?);
    }
    if let Some(v) = changes.organisation {
        am.organisation = Set(validate::optional_text("organisation", v, 300)?);
    }
    if let Some(v) = changes.email {
        am.email = Set(optional(v, email)?);
    }
    if let Some(v) = changes.phone {
        am.phone = Set(optional(v, phone)?);
    }
    update_versioned::<Entity, _>(
        conn,
        ENTITY,
        (Column::Id, Column::Version, Column::UpdatedAt),
        id,
        version,
        am,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_in_the_usual_syntax_pass_and_others_are_invalid() {
        for good in [
            "a@b.tm",
            "desk.officer+ipcp@hq.nato.int",
            " x_y@mfa.gov.tm ",
        ] {
            assert!(email(good).is_ok(), "{good}");
        }
        for bad in [
            "", "plain", "@b.tm", "a@", "a@b", "a@@b.tm", "a b@c.tm", "a@b..tm", ".a@b.tm",
            "a.@b.tm", "a@-b.tm", "a@b.t", "a@b.123",
        ] {
            assert_eq!(
                email(bad).err().map(|e| e.code()),
                Some(ErrorCode::InvalidEmail),
                "{bad}"
            );
        }
    }

    #[test]
    fn phones_must_be_e164() {
        assert_eq!(
            phone("+993 12 34 56 78").ok().as_deref(),
            Some("+99312345678")
        );
        for bad in [
            "99312345678",
            "+0123",
            "+1",
            "+1234567890123456",
            "+993-12",
            "tel",
        ] {
            assert_eq!(
                phone(bad).err().map(|e| e.code()),
                Some(ErrorCode::InvalidPhone),
                "{bad}"
            );
        }
    }
}
