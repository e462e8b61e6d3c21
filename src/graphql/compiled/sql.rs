//! The compiler: a root field's merged selection to one SQL statement whose single text column is
//! the field's JSON, written compact (no spaces) in selection order, byte for byte as the
//! resolvers' answer serialises. Objects are `'{"key":' || value || ...` concatenations, lists
//! an ordered `string_agg` (`group_concat` on SQLite) over a correlated subquery, connections a
//! page of `n + 1` rows numbered to tell the page from the extra row.
//!
//! A NULL anywhere in a concatenation makes the whole answer NULL: every nullable value is written
//! `COALESCE(..., 'null')`, and a row that should exist but does not (a record deleted between
//! statements) makes the field fall back to the resolvers, which report it as they do.
//!
//! What the compiler does not know (a field, an argument, a type) makes the root field fall back.

use entity::enums::Role;

use super::select::{Arg, Node, Unsupported, Vars};
use crate::service::auth::{allows, Access};
use async_graphql::{parser::types::ExecutableDocument, Value as ConstValue};

type Compiled<T> = Result<T, Unsupported>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
}

/// A value bound when the statement runs, read from the request's arguments.
#[derive(Debug, Clone)]
pub enum Param {
    /// An `ID` naming a record: a positive integer.
    Id(Arg),
    /// An ISO 3166 alpha-3 code, normalised as the service does.
    Code(Arg),
    /// An enum value, as the database stores it (its GraphQL name).
    Enum(Arg),
    /// A `Date` (YYYY-MM-DD).
    Date(Arg),
    /// A page size (0 to 100, default 20), plus `extra`.
    PageSize { arg: Option<Arg>, extra: i32 },
    /// The id in an id-ordered list's cursor.
    CursorId(Arg),
    /// Today (UTC), for `daysUntilRenewal`.
    Today,
}

/// The object types the compiler knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Partner,
    Milestone,
    Cycle,
    Objective,
    Iteration,
    Enrollment,
    Officer,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Partner => "Partner",
            Ty::Milestone => "PartnershipMilestone",
            Ty::Cycle => "ProgrammeCycle",
            Ty::Objective => "Objective",
            Ty::Iteration => "CourseIteration",
            Ty::Enrollment => "Enrollment",
            Ty::Officer => "Officer",
        }
    }

    fn table(self) -> &'static str {
        match self {
            Ty::Partner => "partner",
            Ty::Milestone => "partnership_milestone",
            Ty::Cycle => "programme_cycle",
            Ty::Objective => "objective",
            Ty::Iteration => "course_iteration",
            Ty::Enrollment => "enrollment",
            Ty::Officer => "officer",
        }
    }
}

/// How a field's value is read.
enum Field {
    /// The row's id, as an `ID` string.
    Id,
    /// An integer column.
    Int(&'static str, Null),
    /// A text, enum or date column (all written as JSON strings).
    Text(&'static str, Null),
    /// Personal data: the column for callers with the personal-data right, else null.
    Personal(&'static str),
    /// Seats still free.
    OpenSeats,
    /// Days until renewal (APPROVED or ACTIVE cycles only).
    DaysUntilRenewal,
    /// One related record: its type, the condition on it (`{c}` the related row, `{t}` this
    /// one), an order to pick the first, and whether it may be missing.
    One {
        ty: Ty,
        cond: &'static str,
        order: &'static str,
        null: Null,
    },
    /// A list of related records: `from` (with `{c}` and `{t}`, and `{l}` a link table's alias)
    /// and its order.
    List {
        ty: Ty,
        from: &'static str,
        order: &'static str,
    },
    /// A forward-paged connection of related records (nested lists page forward only).
    Page {
        ty: Ty,
        cond: &'static str,
        /// The argument filtering on the related row's `status` column, if the field has one.
        status_arg: bool,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Null {
    Yes,
    No,
}

fn field(ty: Ty, name: &str) -> Option<Field> {
    use Field as F;
    use Null::{No, Yes};
    Some(match (ty, name) {
        (_, "id") => F::Id,
        (_, "version") => F::Int("version", No),
        (Ty::Partner, "code") => F::Text("code", No),
        (Ty::Partner, "name") => F::Text("name", No),
        (Ty::Partner, "notes") => F::Text("notes", Yes),
        (Ty::Partner, "cycles") => F::List {
            ty: Ty::Cycle,
            from: "programme_cycle {c} WHERE {c}.partner_id = {t}.id",
            order: "{c}.start_date, {c}.id",
        },
        (Ty::Partner, "activeCycle") => F::One {
            ty: Ty::Cycle,
            cond: "{c}.partner_id = {t}.id AND {c}.status = 'ACTIVE'",
            order: "{c}.id",
            null: Yes,
        },
        (Ty::Partner, "milestones") => F::List {
            ty: Ty::Milestone,
            from: "partnership_milestone {c} WHERE {c}.partner_id = {t}.id",
            order: "{c}.occurred_on, {c}.id",
        },
        (Ty::Partner, "officers") => F::Page {
            ty: Ty::Officer,
            cond: "{c}.partner_id = {t}.id",
            status_arg: false,
        },
        (Ty::Milestone, "framework") => F::Text("framework", No),
        (Ty::Milestone, "occurredOn") => F::Text("occurred_on", No),
        (Ty::Milestone, "description") => F::Text("description", No),
        (Ty::Milestone, "partner") => F::One {
            ty: Ty::Partner,
            cond: "{c}.id = {t}.partner_id",
            order: "{c}.id",
            null: No,
        },
        (Ty::Cycle, "kind") => F::Text("kind", No),
        (Ty::Cycle, "startDate") => F::Text("start_date", No),
        (Ty::Cycle, "endDate") => F::Text("end_date", No),
        (Ty::Cycle, "status") => F::Text("status", No),
        (Ty::Cycle, "nacApprovedOn") => F::Text("nac_approved_on", Yes),
        (Ty::Cycle, "partnerApprovedOn") => F::Text("partner_approved_on", Yes),
        (Ty::Cycle, "daysUntilRenewal") => F::DaysUntilRenewal,
        (Ty::Cycle, "partner") => F::One {
            ty: Ty::Partner,
            cond: "{c}.id = {t}.partner_id",
            order: "{c}.id",
            null: No,
        },
        (Ty::Cycle, "renews") => F::One {
            ty: Ty::Cycle,
            cond: "{c}.id = {t}.renews_cycle_id",
            order: "{c}.id",
            null: Yes,
        },
        (Ty::Cycle, "renewedBy") => F::One {
            ty: Ty::Cycle,
            cond: "{c}.renews_cycle_id = {t}.id",
            order: "{c}.id",
            null: Yes,
        },
        (Ty::Cycle, "objectives") => F::List {
            ty: Ty::Objective,
            from: "objective {c} WHERE {c}.cycle_id = {t}.id",
            order: "{c}.id",
        },
        (Ty::Objective, "title") => F::Text("title", No),
        (Ty::Objective, "indicator") => F::Text("indicator", No),
        (Ty::Objective, "baseline") => F::Text("baseline", Yes),
        (Ty::Objective, "status") => F::Text("status", No),
        (Ty::Objective, "cycle") => F::One {
            ty: Ty::Cycle,
            cond: "{c}.id = {t}.cycle_id",
            order: "{c}.id",
            null: No,
        },
        (Ty::Objective, "iterations") => F::List {
            ty: Ty::Iteration,
            from: "iteration_objective {l} JOIN course_iteration {c} ON {c}.id = {l}.iteration_id \
                   WHERE {l}.objective_id = {t}.id",
            order: "{l}.iteration_id",
        },
        (Ty::Iteration, "startDate") => F::Text("start_date", No),
        (Ty::Iteration, "endDate") => F::Text("end_date", No),
        (Ty::Iteration, "location") => F::Text("location", No),
        (Ty::Iteration, "capacity") => F::Int("capacity", No),
        (Ty::Iteration, "partnerQuota") => F::Int("partner_quota", Yes),
        (Ty::Iteration, "seatsHeld") => F::Int("seats_held", No),
        (Ty::Iteration, "openSeats") => F::OpenSeats,
        (Ty::Iteration, "status") => F::Text("status", No),
        (Ty::Iteration, "objectives") => F::List {
            ty: Ty::Objective,
            from: "iteration_objective {l} JOIN objective {c} ON {c}.id = {l}.objective_id \
                   WHERE {l}.iteration_id = {t}.id",
            order: "{l}.objective_id",
        },
        (Ty::Iteration, "enrollments") => F::Page {
            ty: Ty::Enrollment,
            cond: "{c}.iteration_id = {t}.id",
            status_arg: true,
        },
        (Ty::Enrollment, "status") => F::Text("status", No),
        (Ty::Enrollment, "waitlistPosition") => F::Int("waitlist_position", Yes),
        (Ty::Enrollment, "decidedBy") => F::Text("decided_by", Yes),
        (Ty::Enrollment, "iteration") => F::One {
            ty: Ty::Iteration,
            cond: "{c}.id = {t}.iteration_id",
            order: "{c}.id",
            null: No,
        },
        (Ty::Enrollment, "officer") => F::One {
            ty: Ty::Officer,
            cond: "{c}.id = {t}.officer_id",
            order: "{c}.id",
            null: No,
        },
        (Ty::Officer, "familyName") => F::Personal("family_name"),
        (Ty::Officer, "givenName") => F::Personal("given_name"),
        (Ty::Officer, "position") => F::Personal("position"),
        (Ty::Officer, "slp") => F::Personal("slp"),
        (Ty::Officer, "rank") => F::Text("rank", No),
        (Ty::Officer, "service") => F::Text("service", No),
        (Ty::Officer, "partner") => F::One {
            ty: Ty::Partner,
            cond: "{c}.id = {t}.partner_id",
            order: "{c}.id",
            null: No,
        },
        (Ty::Officer, "enrollments") => F::Page {
            ty: Ty::Enrollment,
            cond: "{c}.officer_id = {t}.id",
            status_arg: false,
        },
        _ => return None,
    })
}

/// One root field's statement: its text and what it binds, in order ($1.. / ?1..).
#[derive(Debug, Clone)]
pub struct Template {
    pub sql: String,
    pub params: Vec<Param>,
}

pub struct Compiler<'a, 'd> {
    doc: &'d ExecutableDocument,
    vars: &'a Vars<'a>,
    dialect: Dialect,
    role: Option<Role>,
    params: Vec<Param>,
    /// Parameters of the root fields compiled before this one, in the same statement.
    first_param: usize,
    aliases: usize,
}

impl<'a, 'd> Compiler<'a, 'd> {
    /// A compiler of one root field whose parameters are numbered after `first_param` others.
    pub fn new(
        doc: &'d ExecutableDocument,
        vars: &'a Vars<'a>,
        dialect: Dialect,
        role: Option<Role>,
        first_param: usize,
    ) -> Self {
        Compiler {
            doc,
            vars,
            dialect,
            role,
            params: Vec::new(),
            first_param,
            aliases: 0,
        }
    }

    /// The statement of a root field of `Query`, when the compiler handles all of it.
    pub fn root(mut self, node: &Node<'d>) -> Compiled<Template> {
        // Every root field it compiles needs read access; without it the resolvers' guard answers.
        if !self.role.is_some_and(|role| allows(role, Access::Read)) {
            return Err(Unsupported);
        }
        let sql = match node.name.as_str() {
            "partner" => {
                let t = self.alias();
                let cond = match (self.given(node, "id"), self.given(node, "code")) {
                    (Some(id), None) => format!("{t}.id = {}", self.param(Param::Id(id))),
                    (None, Some(code)) => format!("{t}.code = {}", self.param(Param::Code(code))),
                    _ => return Err(Unsupported),
                };
                self.only_args(node, &["id", "code"])?;
                let obj = self.object(Ty::Partner, &t, node)?;
                format!("SELECT {obj} FROM partner {t} WHERE {cond}")
            }
            "programmeCycle" | "courseIteration" => {
                let ty = if node.name == "programmeCycle" {
                    Ty::Cycle
                } else {
                    Ty::Iteration
                };
                self.only_args(node, &["id"])?;
                let id = self.given(node, "id").ok_or(Unsupported)?;
                let t = self.alias();
                let cond = format!("{t}.id = {}", self.param(Param::Id(id)));
                let obj = self.object(ty, &t, node)?;
                format!("SELECT {obj} FROM {} {t} WHERE {cond}", ty.table())
            }
            "courseIterations" => {
                self.only_args(
                    node,
                    &[
                        "courseId", "status", "from", "to", "first", "after", "last", "before",
                    ],
                )?;
                let c = self.alias();
                let mut conds = Vec::new();
                if let Some(id) = self.given(node, "courseId") {
                    conds.push(format!("{c}.course_id = {}", self.param(Param::Id(id))));
                }
                if let Some(status) = self.given(node, "status") {
                    conds.push(format!("{c}.status = {}", self.param(Param::Enum(status))));
                }
                if let Some(from) = self.given(node, "from") {
                    let p = self.date_param(from);
                    conds.push(format!("{c}.end_date >= {p}"));
                }
                if let Some(to) = self.given(node, "to") {
                    let p = self.date_param(to);
                    conds.push(format!("{c}.start_date <= {p}"));
                }
                let conn = self.connection(Ty::Iteration, &c, conds, node, true)?;
                format!("SELECT {conn}")
            }
            _ => return Err(Unsupported),
        };
        Ok(Template {
            sql,
            params: self.params,
        })
    }

    fn alias(&mut self) -> String {
        self.aliases += 1;
        format!("t{}", self.aliases)
    }

    fn param(&mut self, param: Param) -> String {
        self.params.push(param);
        let n = self.first_param + self.params.len();
        match self.dialect {
            Dialect::Postgres => format!("${n}"),
            Dialect::Sqlite => format!("?{n}"),
        }
    }

    fn date_param(&mut self, arg: Arg) -> String {
        let p = self.param(Param::Date(arg));
        match self.dialect {
            Dialect::Postgres => format!("{p}::date"),
            Dialect::Sqlite => p,
        }
    }

    /// An argument given a non-null value (decided on the shape of the variables).
    fn given(&self, node: &Node<'d>, name: &str) -> Option<Arg> {
        node.arg(name)
            .filter(|a| !matches!(self.vars.value(a), ConstValue::Null))
            .cloned()
    }

    /// Arguments other than `known` (given non-null) are not compiled.
    fn only_args(&self, node: &Node<'d>, known: &[&str]) -> Compiled<()> {
        for (name, arg) in &node.args {
            if !known.contains(&name.as_str()) && !matches!(self.vars.value(arg), ConstValue::Null)
            {
                return Err(Unsupported);
            }
        }
        Ok(())
    }

    /// The JSON text of the object `node` selects on the row `t` of type `ty`.
    fn object(&mut self, ty: Ty, t: &str, node: &Node<'d>) -> Compiled<String> {
        let children = node.children(self.doc, self.vars, ty.name())?;
        if children.is_empty() {
            return Err(Unsupported);
        }
        let mut parts = Vec::with_capacity(children.len());
        for child in &children {
            let value = if child.name == "__typename" {
                format!("'\"{}\"'", ty.name())
            } else {
                let field = field(ty, &child.name).ok_or(Unsupported)?;
                self.value(ty, t, child, field)?
            };
            parts.push((child.key.as_str(), value));
        }
        Ok(concat_object(&parts))
    }

    fn value(&mut self, _ty: Ty, t: &str, node: &Node<'d>, field: Field) -> Compiled<String> {
        let takes_args = matches!(field, Field::Page { .. });
        if !takes_args && !node.args.is_empty() {
            return Err(Unsupported);
        }
        Ok(match field {
            Field::Id => format!("'\"' || {t}.id || '\"'"),
            Field::Int(col, null) => self.nullable(self.int(&format!("{t}.{col}")), null),
            Field::Text(col, null) => self.text(&format!("{t}.{col}"), null),
            Field::Personal(col) => {
                if self.role.is_some_and(|r| allows(r, Access::PersonalData)) {
                    self.text(&format!("{t}.{col}"), Null::Yes)
                } else {
                    "'null'".into()
                }
            }
            Field::OpenSeats => match self.dialect {
                Dialect::Postgres => format!("GREATEST({t}.capacity - {t}.seats_held, 0)::text"),
                Dialect::Sqlite => {
                    format!("CAST(max({t}.capacity - {t}.seats_held, 0) AS TEXT)")
                }
            },
            Field::DaysUntilRenewal => {
                let today = self.param(Param::Today);
                let days = match self.dialect {
                    Dialect::Postgres => format!("({t}.end_date - {today}::date)::text"),
                    Dialect::Sqlite => format!(
                        "CAST(CAST(julianday({t}.end_date) - julianday({today}) AS INTEGER) AS TEXT)"
                    ),
                };
                format!(
                    "CASE WHEN {t}.status IN ('APPROVED', 'ACTIVE') THEN {days} ELSE 'null' END"
                )
            }
            Field::One {
                ty,
                cond,
                order,
                null,
            } => {
                let c = self.alias();
                let obj = self.object(ty, &c, node)?;
                let cond = fill(cond, &c, t, "");
                let order = fill(order, &c, t, "");
                let one = format!(
                    "(SELECT {obj} FROM {} {c} WHERE {cond} ORDER BY {order} LIMIT 1)",
                    ty.table()
                );
                self.nullable(one, null)
            }
            Field::List { ty, from, order } => {
                let c = self.alias();
                let l = self.alias();
                let obj = self.object(ty, &c, node)?;
                let from = fill(from, &c, t, &l);
                let order = fill(order, &c, t, &l);
                let agg = self.agg(&obj, &order);
                format!("COALESCE((SELECT '[' || {agg} || ']' FROM {from}), '[]')")
            }
            Field::Page {
                ty,
                cond,
                status_arg,
            } => {
                let known: &[&str] = if status_arg {
                    &["status", "first", "after"]
                } else {
                    &["first", "after"]
                };
                self.only_args(node, known)?;
                let c = self.alias();
                let mut conds = vec![fill(cond, &c, t, "")];
                if status_arg {
                    if let Some(status) = self.given(node, "status") {
                        conds.push(format!("{c}.status = {}", self.param(Param::Enum(status))));
                    }
                }
                self.connection(ty, &c, conds, node, false)?
            }
        })
    }

    fn int(&self, expr: &str) -> String {
        match self.dialect {
            Dialect::Postgres => format!("{expr}::text"),
            Dialect::Sqlite => format!("CAST({expr} AS TEXT)"),
        }
    }

    fn text(&self, expr: &str, null: Null) -> String {
        match self.dialect {
            Dialect::Postgres => self.nullable(format!("to_json({expr})::text"), null),
            // json_quote writes SQL NULL as `null`.
            Dialect::Sqlite => format!("json_quote({expr})"),
        }
    }

    fn nullable(&self, expr: String, null: Null) -> String {
        match null {
            Null::Yes => format!("COALESCE({expr}, 'null')"),
            Null::No => expr,
        }
    }

    /// The elements joined with commas in `order` (NULL for no rows).
    fn agg(&self, element: &str, order: &str) -> String {
        match self.dialect {
            Dialect::Postgres => format!("string_agg({element}, ',' ORDER BY {order})"),
            Dialect::Sqlite => format!("group_concat({element}, ',' ORDER BY {order})"),
        }
    }

    /// A Relay connection over the rows of `ty` (alias `c`) meeting `conds`, in id order: a page
    /// of `n + 1` rows numbered in the paging direction; the first `n` are the page.
    fn connection(
        &mut self,
        ty: Ty,
        c: &str,
        conds: Vec<String>,
        node: &Node<'d>,
        backward_allowed: bool,
    ) -> Compiled<String> {
        let first = self.given(node, "first");
        let last = self.given(node, "last");
        let after = self.given(node, "after");
        let before = self.given(node, "before");
        if !backward_allowed && (last.is_some() || before.is_some()) {
            return Err(Unsupported);
        }
        if first.is_some() && last.is_some() {
            return Err(Unsupported);
        }
        let backward = last.is_some();
        let size_arg = first.or(last);
        let mut page_conds = conds.clone();
        if let Some(after) = after.clone() {
            page_conds.push(format!("{c}.id > {}", self.param(Param::CursorId(after))));
        }
        if let Some(before) = before.clone() {
            page_conds.push(format!("{c}.id < {}", self.param(Param::CursorId(before))));
        }
        let children = node.children(self.doc, self.vars, &format!("{}Connection", ty.name()))?;
        if children.is_empty() {
            return Err(Unsupported);
        }
        // The extra row tells whether another page follows (or precedes, paging backward): read
        // and numbered only when `pageInfo` asks that.
        let more_field = if backward {
            "hasPreviousPage"
        } else {
            "hasNextPage"
        };
        let mut numbered = false;
        // Whether a part reads the page's rows (else the connection is one row of constants and
        // counts, the page still read so that its arguments are checked as the resolvers do).
        let mut rows_used = children
            .iter()
            .any(|c| c.name == "edges" || c.name == "nodes");
        for child in children.iter().filter(|c| c.name == "pageInfo") {
            let info = child.children(self.doc, self.vars, "PageInfo")?;
            numbered |= info.iter().any(|f| f.name == more_field);
            rows_used |= info
                .iter()
                .any(|f| f.name == more_field || f.name == "startCursor" || f.name == "endCursor");
        }
        let limit = self.param(Param::PageSize {
            arg: size_arg.clone(),
            extra: i32::from(numbered),
        });
        let dir = if backward { "DESC" } else { "ASC" };
        let q = self.alias();
        let rows = format!(
            "SELECT {c}.* FROM {} {c}{} ORDER BY {c}.id {dir} LIMIT {limit}",
            ty.table(),
            where_clause(&page_conds),
        );
        let page = if !rows_used {
            let p = self.alias();
            format!("(SELECT count(*) AS n_ FROM ({rows}) {p}) {q}")
        } else if numbered {
            let p = self.alias();
            format!(
                "(SELECT {p}.*, row_number() OVER (ORDER BY {p}.id {dir}) AS rn_ FROM ({rows}) {p}) {q}"
            )
        } else {
            format!("({rows}) {q}")
        };
        let paging = Paging {
            q: q.clone(),
            size: size_arg.clone(),
            numbered,
            backward,
            after: after.is_some(),
            before: before.is_some(),
        };
        let mut parts = Vec::with_capacity(children.len());
        for child in &children {
            if !child.args.is_empty() && child.name != "__typename" {
                return Err(Unsupported);
            }
            let value = match child.name.as_str() {
                "__typename" => format!("'\"{}Connection\"'", ty.name()),
                "totalCount" => {
                    let k = self.alias();
                    let conds = conds
                        .iter()
                        .map(|cond| rename(cond, c, &k))
                        .collect::<Vec<_>>();
                    let count = format!(
                        "(SELECT count(*) FROM {} {k}{})",
                        ty.table(),
                        where_clause(&conds)
                    );
                    self.int(&count)
                }
                "edges" => {
                    let edge = self.edge(ty, &q, child)?;
                    self.page_list(&edge, &paging)
                }
                "nodes" => {
                    let obj = self.object(ty, &q, child)?;
                    self.page_list(&obj, &paging)
                }
                "pageInfo" => self.page_info(child, &paging)?,
                _ => return Err(Unsupported),
            };
            parts.push((child.key.as_str(), value));
        }
        let obj = concat_object(&parts);
        Ok(format!("(SELECT {obj} FROM {page})"))
    }

    /// The page's rows (the first `n` of the numbered ones) with `expr` written for each.
    fn in_page(&mut self, expr: &str, paging: &Paging) -> String {
        if !paging.numbered {
            return expr.to_owned();
        }
        let n = self.param(Param::PageSize {
            arg: paging.size.clone(),
            extra: 0,
        });
        format!("CASE WHEN {}.rn_ <= {n} THEN {expr} END", paging.q)
    }

    /// `[...]` of `element` over the page's rows, in id order.
    fn page_list(&mut self, element: &str, paging: &Paging) -> String {
        let element = self.in_page(element, paging);
        let agg = self.agg(&element, &format!("{}.id", paging.q));
        format!("'[' || COALESCE({agg}, '') || ']'")
    }

    fn edge(&mut self, ty: Ty, q: &str, node: &Node<'d>) -> Compiled<String> {
        let children = node.children(self.doc, self.vars, &format!("{}Edge", ty.name()))?;
        if children.is_empty() {
            return Err(Unsupported);
        }
        let mut parts = Vec::with_capacity(children.len());
        for child in &children {
            if !child.args.is_empty() {
                return Err(Unsupported);
            }
            let value = match child.name.as_str() {
                "__typename" => format!("'\"{}Edge\"'", ty.name()),
                "node" => self.object(ty, q, child)?,
                "cursor" => self.cursor(&format!("{q}.id"))?,
                _ => return Err(Unsupported),
            };
            parts.push((child.key.as_str(), value));
        }
        Ok(concat_object(&parts))
    }

    fn page_info(&mut self, node: &Node<'d>, paging: &Paging) -> Compiled<String> {
        let children = node.children(self.doc, self.vars, "PageInfo")?;
        if children.is_empty() {
            return Err(Unsupported);
        }
        let q = &paging.q;
        let mut parts = Vec::with_capacity(children.len());
        for child in &children {
            if !child.args.is_empty() {
                return Err(Unsupported);
            }
            let literal = |b: bool| if b { "'true'" } else { "'false'" }.to_owned();
            let value = match child.name.as_str() {
                "__typename" => "'\"PageInfo\"'".to_owned(),
                "hasNextPage" if paging.backward => literal(paging.before),
                "hasPreviousPage" if !paging.backward => literal(paging.after),
                "hasNextPage" | "hasPreviousPage" => {
                    let n = self.param(Param::PageSize {
                        arg: paging.size.clone(),
                        extra: 0,
                    });
                    format!("CASE WHEN count(*) > {n} THEN 'true' ELSE 'false' END")
                }
                "startCursor" | "endCursor" => {
                    let pick = if child.name == "startCursor" {
                        "min"
                    } else {
                        "max"
                    };
                    let id = self.in_page(&format!("{q}.id"), paging);
                    let cursor = self.cursor(&format!("{pick}({id})"))?;
                    format!("COALESCE({cursor}, 'null')")
                }
                _ => return Err(Unsupported),
            };
            parts.push((child.key.as_str(), value));
        }
        Ok(concat_object(&parts))
    }

    /// The JSON string of an id-ordered list's cursor: base64url (no padding) of `i:<id>`.
    fn cursor(&self, id: &str) -> Compiled<String> {
        match self.dialect {
            Dialect::Postgres => Ok(format!(
                "'\"' || rtrim(translate(encode(convert_to('i:' || {id}, 'UTF8'), 'base64'), '+/', '-_'), '=') || '\"'"
            )),
            // SQLite has no base64: lists whose cursors are selected run through the resolvers.
            Dialect::Sqlite => Err(Unsupported),
        }
    }
}

/// A connection's page: its rows' alias, size, direction, and whether its rows are numbered
/// (`rn_`, one extra row read to tell whether more follow).
struct Paging {
    q: String,
    size: Option<Arg>,
    numbered: bool,
    backward: bool,
    after: bool,
    before: bool,
}

/// `'{"a":' || a || ',"b":' || b || '}'`: response keys are GraphQL names, safe in a literal.
fn concat_object(parts: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (i, (key, value)) in parts.iter().enumerate() {
        let open = if i == 0 { "{" } else { "," };
        out.push_str(&format!("'{open}\"{key}\":' || {value} || "));
    }
    out.push_str("'}'");
    out
}

fn where_clause(conds: &[String]) -> String {
    if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    }
}

fn fill(template: &str, c: &str, t: &str, l: &str) -> String {
    template
        .replace("{c}", c)
        .replace("{t}", t)
        .replace("{l}", l)
}

/// A condition on alias `from` rewritten for alias `to` (aliases are `t<N>`: matched with the dot).
fn rename(cond: &str, from: &str, to: &str) -> String {
    cond.replace(&format!("{from}."), &format!("{to}."))
}
