//! Keyset pagination (Relay style) done in SQL: rows after/before a cursor, one extra row fetched
//! to know whether another page exists. A list is ordered by a chosen field with the unique id as
//! tie-breaker, and its cursors carry both (sort value, id), base64-encoded and opaque to clients, so
//! a page boundary stays put when rows are inserted before or after it.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, ModelTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Value,
};

use crate::error::{AppError, Result};

pub const MAX_PAGE_SIZE: u64 = 100;
pub const DEFAULT_PAGE_SIZE: u64 = 20;

#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub first: Option<i32>,
    pub after: Option<i32>,
    pub last: Option<i32>,
    pub before: Option<i32>,
    /// Whether the caller asked for the total count (costs one more statement).
    pub with_total: bool,
    /// Sort value of the `after` cursor (lists ordered by a field other than the id).
    pub after_key: Option<SortKey>,
    /// Sort value of the `before` cursor.
    pub before_key: Option<SortKey>,
}

/// The order a caller chose for a list: a field (the list's own enum; its default is the id) and a
/// direction.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListOrder<F> {
    pub field: F,
    pub descending: bool,
}

/// A value a list is sorted by, as a cursor carries it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SortKey {
    Text(String),
    Date(NaiveDate),
    Time(DateTime<Utc>),
}

impl SortKey {
    fn value(&self) -> Value {
        match self {
            SortKey::Text(s) => s.clone().into(),
            SortKey::Date(d) => (*d).into(),
            SortKey::Time(t) => (*t).into(),
        }
    }

    fn same_kind(&self, other: &SortKey) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// A position in a list: the sort value (none when ordered by id alone) and the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub key: Option<SortKey>,
    pub id: i32,
}

impl Cursor {
    /// Opaque text: base64 (URL-safe) of `i:ID`, `t:ID:TEXT`, `d:ID:YYYY-MM-DD` or `s:ID:RFC3339`.
    pub fn encode(&self) -> String {
        let plain = match &self.key {
            None => format!("i:{}", self.id),
            Some(SortKey::Text(s)) => format!("t:{}:{s}", self.id),
            Some(SortKey::Date(d)) => format!("d:{}:{d}", self.id),
            Some(SortKey::Time(t)) => format!("s:{}:{}", self.id, t.to_rfc3339()),
        };
        URL_SAFE_NO_PAD.encode(plain)
    }

    /// The cursor an `encode` produced; None for anything else.
    pub fn decode(text: &str) -> Option<Cursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).ok()?;
        let plain = String::from_utf8(bytes).ok()?;
        let (tag, rest) = plain.split_once(':')?;
        let (id, value) = match rest.split_once(':') {
            Some((id, value)) => (id, Some(value)),
            None => (rest, None),
        };
        let id = id.parse::<i32>().ok().filter(|id| *id > 0)?;
        let key = match (tag, value) {
            ("i", None) => None,
            ("t", Some(v)) => Some(SortKey::Text(v.to_owned())),
            ("d", Some(v)) => Some(SortKey::Date(v.parse().ok()?)),
            ("s", Some(v)) => Some(SortKey::Time(
                DateTime::parse_from_rfc3339(v).ok()?.with_timezone(&Utc),
            )),
            _ => return None,
        };
        Some(Cursor { key, id })
    }
}

/// The order of a list: a column and how to read its value from a row (none: by id alone), and the
/// direction. The id is always the tie-breaker, in the same direction.
/// Reads a row's sort value.
pub type KeyOf<E> = fn(&<E as EntityTrait>::Model) -> SortKey;

pub struct Sort<E: EntityTrait> {
    pub column: Option<(E::Column, KeyOf<E>)>,
    pub descending: bool,
    /// A value of the kind the column holds, to refuse a cursor of another ordering.
    kind: Option<SortKey>,
}

impl<E: EntityTrait> Default for Sort<E> {
    fn default() -> Self {
        Sort {
            column: None,
            descending: false,
            kind: None,
        }
    }
}

impl<E: EntityTrait> Sort<E> {
    /// By a text column.
    pub fn text(column: E::Column, key: fn(&E::Model) -> SortKey, descending: bool) -> Self {
        Self::by(column, key, descending, SortKey::Text(String::new()))
    }

    /// By a date column.
    pub fn date(column: E::Column, key: fn(&E::Model) -> SortKey, descending: bool) -> Self {
        Self::by(column, key, descending, SortKey::Date(NaiveDate::MIN))
    }

    /// By a timestamp column.
    pub fn time(column: E::Column, key: fn(&E::Model) -> SortKey, descending: bool) -> Self {
        Self::by(
            column,
            key,
            descending,
            SortKey::Time(DateTime::<Utc>::MIN_UTC),
        )
    }

    fn by(
        column: E::Column,
        key: fn(&E::Model) -> SortKey,
        descending: bool,
        kind: SortKey,
    ) -> Self {
        Sort {
            column: Some((column, key)),
            descending,
            kind: Some(kind),
        }
    }

    /// By id alone.
    pub fn by_id(descending: bool) -> Self {
        Sort {
            column: None,
            descending,
            kind: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Page<M> {
    pub items: Vec<M>,
    pub has_next: bool,
    pub has_previous: bool,
    pub total: Option<u64>,
    /// The cursor of each item (empty: the items' ids alone are their cursors). Encoded only when a
    /// client asks for it.
    pub cursors: Vec<Cursor>,
}

pub(crate) fn size(field: &str, n: Option<i32>) -> Result<Option<u64>> {
    match n {
        None => Ok(None),
        Some(n) if n < 0 => Err(AppError::invalid(field, "must not be negative")),
        Some(n) if n as u64 > MAX_PAGE_SIZE => Err(AppError::invalid(
            field,
            format!("at most {MAX_PAGE_SIZE} items per page"),
        )),
        Some(n) => Ok(Some(n as u64)),
    }
}

/// A page of `select`'s rows in id order.
pub async fn page<E, C>(
    conn: &C,
    select: Select<E>,
    id_col: E::Column,
    req: &PageRequest,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    page_sorted(conn, select, id_col, Sort::default(), req).await
}

/// `(column, id)` strictly beyond `(key, id)` in the direction `greater`.
fn beyond<E: EntityTrait>(
    column: Option<E::Column>,
    id_col: E::Column,
    key: Option<&SortKey>,
    id: i32,
    greater: bool,
) -> Condition {
    let past = |col: E::Column, v: Value| if greater { col.gt(v) } else { col.lt(v) };
    match (column, key) {
        (Some(col), Some(key)) => Condition::any().add(past(col, key.value())).add(
            Condition::all()
                .add(col.eq(key.value()))
                .add(past(id_col, id.into())),
        ),
        _ => Condition::all().add(past(id_col, id.into())),
    }
}

/// The cursor's sort value must match the list's order (a cursor of another ordering is refused).
fn check_key(
    field: &str,
    id: Option<i32>,
    key: Option<&SortKey>,
    sample: Option<&SortKey>,
    sorted: bool,
) -> Result<()> {
    if id.is_none() {
        return Ok(());
    }
    let fits = match (sorted, key) {
        (false, None) => true,
        (true, Some(k)) => sample.is_none_or(|s| s.same_kind(k)),
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err(AppError::invalid(
            field,
            "this cursor belongs to another ordering of the list",
        ))
    }
}

/// A page of `select`'s rows in the order `sort` (then id).
pub async fn page_sorted<E, C>(
    conn: &C,
    select: Select<E>,
    id_col: E::Column,
    sort: Sort<E>,
    req: &PageRequest,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let first = size("first", req.first)?;
    let last = size("last", req.last)?;
    if first.is_some() && last.is_some() {
        return Err(AppError::invalid(
            "last",
            "give either first or last, not both",
        ));
    }
    let sorted = sort.column.is_some();
    let kind = sort.kind.as_ref();
    check_key("after", req.after, req.after_key.as_ref(), kind, sorted)?;
    check_key("before", req.before, req.before_key.as_ref(), kind, sorted)?;
    let total = if req.with_total {
        Some(select.clone().count(conn).await?)
    } else {
        None
    };
    let backward = last.is_some();
    let n = first.or(last).unwrap_or(DEFAULT_PAGE_SIZE);
    let column = sort.column.as_ref().map(|(c, _)| *c);
    let mut q = select;
    if let Some(after) = req.after {
        q = q.filter(beyond::<E>(
            column,
            id_col,
            req.after_key.as_ref(),
            after,
            !sort.descending,
        ));
    }
    if let Some(before) = req.before {
        q = q.filter(beyond::<E>(
            column,
            id_col,
            req.before_key.as_ref(),
            before,
            sort.descending,
        ));
    }
    let ascending = sort.descending == backward;
    let order = if ascending {
        sea_orm::Order::Asc
    } else {
        sea_orm::Order::Desc
    };
    if let Some(col) = column {
        q = q.order_by(col, order.clone());
    }
    q = q.order_by(id_col, order);
    let mut items = q.limit(n + 1).all(conn).await?;
    let more = items.len() as u64 > n;
    items.truncate(n as usize);
    if backward {
        items.reverse();
    }
    let cursors = items
        .iter()
        .map(|m| {
            let id = match m.get(id_col) {
                Value::Int(Some(id)) => id,
                _ => 0,
            };
            Cursor {
                key: sort.column.as_ref().map(|(_, key)| key(m)),
                id,
            }
        })
        .collect();
    Ok(if backward {
        Page {
            items,
            has_previous: more,
            has_next: req.before.is_some(),
            total,
            cursors,
        }
    } else {
        Page {
            items,
            has_next: more,
            has_previous: req.after.is_some(),
            total,
            cursors,
        }
    })
}
