//! The dashboard queries and their SQL twins: for each, the GraphQL query the dashboard sends and
//! ONE hand-written SQL statement that returns the same JSON (`{"data": ...}`), checked equal
//! before each case is measured.

use serde_json::{json, Value};

/// What a case needs from the dataset, looked up once over SQL at start-up.
pub struct Ids {
    pub partner: String,
    /// The ACTIVE cycle of `partner`.
    pub active_cycle: i32,
}

pub enum Bind {
    Text(String),
    Int(i32),
}

/// GraphQL variables and the SQL twin's binds ($1, $2, ... in order).
pub struct Params {
    pub variables: Value,
    pub binds: Vec<Bind>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Light,
    Heavy,
}

impl Weight {
    pub fn name(self) -> &'static str {
        match self {
            Weight::Light => "light",
            Weight::Heavy => "heavy",
        }
    }

    /// Issue 6: the service's throughput at 8 and 32 clients, as a share of the SQL's.
    pub fn throughput_target(self) -> f64 {
        match self {
            Weight::Light => 0.5,
            Weight::Heavy => 0.9,
        }
    }
}

pub struct Case {
    pub name: &'static str,
    pub weight: Weight,
    pub graphql: &'static str,
    pub sql: &'static str,
    pub params: fn(&Ids) -> Params,
    /// Applied to both answers before they are compared.
    pub normalise: Option<fn(&mut Value)>,
    /// Root fields of the query: the statements per request of the compiled path when every one
    /// of them compiles (issue 25: one statement per compiled root field).
    pub root_fields: usize,
    /// Issue 25's throughput target for the compiled path at 8 and 32 clients, as a share of the
    /// SQL twin's (the light query and the two heavy nested ones); `None`: issue 6's still hold.
    pub compiled_target: Option<f64>,
}

fn by_partner_code(ids: &Ids) -> Params {
    Params {
        variables: json!({ "code": ids.partner }),
        binds: vec![Bind::Text(ids.partner.clone())],
    }
}

fn by_active_cycle(ids: &Ids) -> Params {
    Params {
        variables: json!({ "cycleId": ids.active_cycle.to_string() }),
        binds: vec![Bind::Int(ids.active_cycle)],
    }
}

/// The service orders a timeline by (start date, kind) only: items tied on both may come in either
/// order, so both answers' timelines are put in one total order before they are compared.
fn sort_timeline(data: &mut Value) {
    if let Some(Value::Array(items)) = data.pointer_mut("/partnerOverview/timeline") {
        items.sort_by_key(|item| {
            (
                item["startDate"].to_string(),
                item["kind"].to_string(),
                item.to_string(),
            )
        });
    }
}

/// Statuses holding a seat, as the service counts them.
macro_rules! holding {
    () => {
        "('CONFIRMED', 'ATTENDED', 'COMPLETED', 'FAILED')"
    };
}

pub const CYCLE_REPORT_GRAPHQL: &str = "query($cycleId: ID!) { cycleReport(cycleId: $cycleId) {
    cycle { ...C } figures { ...F } previousCycle { ...C } previous { ...F } } }
  fragment C on ReportCycle { id partnerCode partnerName kind status startDate endDate }
  fragment F on CycleFigures {
    objectivesByStatus { areaCode status count }
    objectiveIndicators { objectiveId title areaCode status target actual }
    topics { topic iterations heldIterations seatsHeld capacity fillRate partnerSeatsHeld }
    officersTrained
    officersTrainedByTopic { code count } officersTrainedByService { code count } officersTrainedByRank { code count }
    funnel { code count }
    seatsHeld completed noShow withdrawnAfterConfirmation confirmedPlaces completionRate noShowRate withdrawalRate
    activitiesByArea { areaCode count } }";

/// The common table expressions of the cycle report's twins: the cycles (`cur`, `prev`, `k`),
/// the counted enrollments (`w`), their counts (`g`), the indicators (`ind`) and every figure
/// of each cycle (`fig`).
macro_rules! cycle_report_ctes {
    () => {
        concat!(
        "WITH cur AS (
           SELECT c.id, c.partner_id, p.code AS partner_code, p.name AS partner_name, c.kind, c.status,
                  c.start_date, c.end_date, c.renews_cycle_id
           FROM programme_cycle c JOIN partner p ON p.id = c.partner_id WHERE c.id = $1),
         prev AS (
           SELECT c.id, c.partner_id, p.code AS partner_code, p.name AS partner_name, c.kind, c.status,
                  c.start_date, c.end_date, c.renews_cycle_id
           FROM programme_cycle c JOIN partner p ON p.id = c.partner_id
           WHERE c.id = (SELECT COALESCE(cur.renews_cycle_id,
                           (SELECT x.id FROM programme_cycle x WHERE x.partner_id = cur.partner_id
                              AND x.start_date < cur.start_date AND x.id <> cur.id AND x.status <> 'DRAFT'
                            ORDER BY x.start_date DESC, x.id DESC LIMIT 1)) FROM cur)),
         k AS (SELECT 0 AS which, * FROM cur UNION ALL SELECT 1, * FROM prev),
         w AS MATERIALIZED (
           SELECT k.which, e.iteration_id, e.officer_id, e.status, e.confirmed_at IS NOT NULL AS confirmed,
                  c.topic, f.service, f.rank, i.end_date
           FROM k JOIN course_iteration i ON i.start_date >= k.start_date AND i.end_date <= k.end_date
           JOIN enrollment e ON e.partner_id = k.partner_id AND e.iteration_id = i.id
           JOIN course c ON c.id = i.course_id
           JOIN officer f ON f.id = e.officer_id),
         g AS MATERIALIZED (
           SELECT w.which, w.status, w.topic, w.service, w.rank, GROUPING(w.topic, w.service, w.rank) AS by,
                  COUNT(*) AS n, COUNT(*) FILTER (WHERE w.confirmed) AS nc, COUNT(DISTINCT w.officer_id) AS officers
           FROM w GROUP BY GROUPING SETS ((w.which, w.status), (w.which, w.status, w.topic),
                                          (w.which, w.status, w.service), (w.which, w.status, w.rank))),
         ind AS MATERIALIZED (
           SELECT k.which, io.objective_id, COUNT(DISTINCT w.officer_id) AS n
           FROM k JOIN objective o ON o.cycle_id = k.id JOIN iteration_objective io ON io.objective_id = o.id
           JOIN w ON w.which = k.which AND w.iteration_id = io.iteration_id AND w.status = 'COMPLETED'
           GROUP BY k.which, io.objective_id),
         fig AS (
           SELECT k.which, json_build_object(
             'objectivesByStatus', (SELECT COALESCE(json_agg(json_build_object('areaCode', g.code, 'status', g.status,
                                       'count', g.n) ORDER BY g.code, g.status), '[]')
                FROM (SELECT a.code, o.status, COUNT(*) AS n FROM objective o JOIN cooperation_area a ON a.id = o.area_id
                      WHERE o.cycle_id = k.id GROUP BY a.code, o.status) g),
             'objectiveIndicators', (SELECT COALESCE(json_agg(json_build_object('objectiveId', o.id::text, 'title', o.title,
                                       'areaCode', a.code, 'status', o.status, 'target', o.target, 'actual', COALESCE(ind.n, 0))
                                       ORDER BY a.code, o.id), '[]')
                FROM objective o JOIN cooperation_area a ON a.id = o.area_id
                LEFT JOIN ind ON ind.which = k.which AND ind.objective_id = o.id
                WHERE o.cycle_id = k.id),
             'topics', (SELECT COALESCE(json_agg(json_build_object('topic', t.topic, 'iterations', t.n,
                           'heldIterations', t.held, 'seatsHeld', t.seats, 'capacity', t.cap,
                           'fillRate', CASE WHEN t.cap > 0 THEN t.seats::float8 / t.cap ELSE 0 END,
                           'partnerSeatsHeld', COALESCE(ps.n, 0)) ORDER BY t.topic), '[]')
                FROM (SELECT c.topic, COUNT(*) AS n, COUNT(*) FILTER (WHERE i.status = 'HELD') AS held,
                             COALESCE(SUM(i.seats_held) FILTER (WHERE i.status = 'HELD'), 0) AS seats,
                             COALESCE(SUM(i.capacity) FILTER (WHERE i.status = 'HELD'), 0) AS cap
                      FROM course_iteration i JOIN course c ON c.id = i.course_id
                      WHERE i.start_date >= k.start_date AND i.end_date <= k.end_date AND (
                        EXISTS (SELECT 1 FROM enrollment e WHERE e.partner_id = k.partner_id AND e.iteration_id = i.id)
                        OR EXISTS (SELECT 1 FROM iteration_objective io JOIN objective o ON o.id = io.objective_id
                                   WHERE io.iteration_id = i.id AND o.cycle_id = k.id))
                      GROUP BY c.topic) t
                LEFT JOIN (SELECT g.topic, SUM(g.n) AS n FROM g
                           WHERE g.which = k.which AND g.by = 3 AND g.status IN ", holding!(), "
                           GROUP BY g.topic) ps ON ps.topic = t.topic),
             'officersTrained', COALESCE((SELECT g.officers FROM g WHERE g.which = k.which AND g.by = 7
                                            AND g.status = 'COMPLETED'), 0),
             'officersTrainedByTopic', (SELECT COALESCE(json_agg(json_build_object('code', g.topic, 'count', g.officers)
                                          ORDER BY g.topic), '[]')
                FROM g WHERE g.which = k.which AND g.by = 3 AND g.status = 'COMPLETED'),
             'officersTrainedByService', (SELECT COALESCE(json_agg(json_build_object('code', g.service, 'count', g.officers)
                                          ORDER BY g.service), '[]')
                FROM g WHERE g.which = k.which AND g.by = 5 AND g.status = 'COMPLETED'),
             'officersTrainedByRank', (SELECT COALESCE(json_agg(json_build_object('code', g.rank, 'count', g.officers)
                                          ORDER BY g.rank), '[]')
                FROM g WHERE g.which = k.which AND g.by = 6 AND g.status = 'COMPLETED'),
             'funnel', st.funnel,
             'seatsHeld', st.seats_held,
             'completed', st.completed,
             'noShow', st.no_show,
             'withdrawnAfterConfirmation', st.wac,
             'confirmedPlaces', st.seats_held + st.no_show + st.wac,
             'completionRate', CASE WHEN st.seats_held + st.no_show + st.wac > 0
                               THEN st.completed::float8 / (st.seats_held + st.no_show + st.wac) ELSE 0 END,
             'noShowRate', CASE WHEN st.seats_held + st.no_show + st.wac > 0
                           THEN st.no_show::float8 / (st.seats_held + st.no_show + st.wac) ELSE 0 END,
             'withdrawalRate', CASE WHEN st.seats_held + st.no_show + st.wac > 0
                               THEN st.wac::float8 / (st.seats_held + st.no_show + st.wac) ELSE 0 END,
             'activitiesByArea', (SELECT COALESCE(json_agg(json_build_object('areaCode', g.code, 'count', g.n)
                                     ORDER BY g.code), '[]')
                FROM (SELECT a.code, COUNT(*) AS n FROM activity x JOIN cooperation_area a ON a.id = x.area_id
                      WHERE x.cycle_id = k.id GROUP BY a.code) g)) AS f
           FROM k CROSS JOIN LATERAL (
             SELECT json_agg(json_build_object('code', s.code, 'count', COALESCE(g.n, 0)) ORDER BY s.ord) AS funnel,
                    COALESCE(SUM(g.n) FILTER (WHERE s.code IN ", holding!(), "), 0)::bigint AS seats_held,
                    COALESCE(SUM(g.n) FILTER (WHERE s.code = 'COMPLETED'), 0)::bigint AS completed,
                    COALESCE(SUM(g.n) FILTER (WHERE s.code = 'NO_SHOW'), 0)::bigint AS no_show,
                    COALESCE(SUM(g.nc) FILTER (WHERE s.code = 'WITHDRAWN'), 0)::bigint AS wac
             FROM unnest(ARRAY['NOMINATED', 'WAITLISTED', 'DECLINED', 'CONFIRMED', 'WITHDRAWN', 'ATTENDED',
                               'NO_SHOW', 'COMPLETED', 'FAILED', 'CANCELLED']) WITH ORDINALITY s(code, ord)
             LEFT JOIN g ON g.which = k.which AND g.by = 7 AND g.status = s.code) st)"
        )
    };
}

/// The cycle report in one statement: the cycle and the one it is compared with (the cycle it
/// renews, else the partner's preceding non-draft cycle); the enrollments each counts (its
/// partner's, in iterations within its dates) read once into `w`; every enrollment count in one
/// pass over `w` (`g`, grouping sets: by status, and by status with topic, service or rank;
/// `by` is GROUPING(topic, service, rank)); the objectives' indicators in one join (`ind`); then
/// every figure of each cycle, by the same rules as `src/service/report.rs`.
pub const CYCLE_REPORT_SQL: &str = concat!(
    cycle_report_ctes!(),
    "
     SELECT json_build_object('data', json_build_object('cycleReport', json_build_object(
       'cycle', (SELECT json_build_object('id', id::text, 'partnerCode', partner_code, 'partnerName', partner_name,
                   'kind', kind, 'status', status, 'startDate', start_date, 'endDate', end_date) FROM cur),
       'figures', (SELECT f FROM fig WHERE which = 0),
       'previousCycle', (SELECT json_build_object('id', id::text, 'partnerCode', partner_code,
                   'partnerName', partner_name, 'kind', kind, 'status', status, 'startDate', start_date,
                   'endDate', end_date) FROM prev),
       'previous', (SELECT f FROM fig WHERE which = 1))))"
);

/// The cycle report with the course evaluation and cost figures (issue 20).
pub const CYCLE_REPORT_FULL_GRAPHQL: &str = "query($cycleId: ID!) { cycleReport(cycleId: $cycleId) {
    cycle { ...C } figures { ...F } previousCycle { ...C } previous { ...F }
    evaluation { eligible responses responseRate withheldReason items { item responses mean distribution }
      followUpsDue followUpsRecorded followUpRate appliedAtWork { yes partly no } }
    costs { cycleId officersTrained currencies { currency total { planned { amountMinor } actual { amountMinor } }
      byCategory { code planned { amountMinor } actual { amountMinor } }
      bySource { code nation planned { amountMinor } actual { amountMinor } }
      costPerOfficerTrained { amountMinor } } } } }
  fragment C on ReportCycle { id partnerCode partnerName kind status startDate endDate }
  fragment F on CycleFigures {
    objectivesByStatus { areaCode status count }
    objectiveIndicators { objectiveId title areaCode status target actual }
    topics { topic iterations heldIterations seatsHeld capacity fillRate partnerSeatsHeld }
    officersTrained
    officersTrainedByTopic { code count } officersTrainedByService { code count } officersTrainedByRank { code count }
    funnel { code count }
    seatsHeld completed noShow withdrawnAfterConfirmation confirmedPlaces completionRate noShowRate withdrawalRate
    activitiesByArea { areaCode count } }";

/// The cycle report with its evaluation and cost figures in one statement: the report's CTEs,
/// then for the current cycle (`which = 0`) the level 1 counts over `w` and over the responses
/// (read by their own partner and iteration, as the service reads them), the ratings per item and
/// rating (`rt`), the follow-ups per answer (`fu`), and the cost lines of the cycle's activities
/// and of its partner's seats in its iterations per currency, category, source and stage (`cl`,
/// a union of two index-driven reads: written as one `OR` with a subquery on the cycle, PostgreSQL
/// ran the subquery once per cost line, 8 s at scale 1).
/// Aggregates over fewer than 3 answers are withheld (null), as `src/service/evaluation_report.rs`
/// does; amounts are never added across currencies; codes are ordered bytewise (`COLLATE "C"`),
/// as the service's maps order them.
pub const CYCLE_REPORT_FULL_SQL: &str = concat!(
    cycle_report_ctes!(),
    ",
     scope AS (
       SELECT i.id FROM cur JOIN course_iteration i ON i.start_date >= cur.start_date AND i.end_date <= cur.end_date),
     rs AS (
       SELECT COUNT(*) AS n FROM evaluation_response r JOIN cur ON r.partner_id = cur.partner_id
       WHERE r.iteration_id IN (SELECT id FROM scope)),
     rt AS (
       SELECT x.item, SUM(x.n)::bigint AS n, SUM(x.n * x.rating)::bigint AS total,
              json_agg(x.n ORDER BY x.rating) AS distribution
       FROM (SELECT it.item, rating.rating, COUNT(g.rating) AS n
             FROM (VALUES ('relevance', 1), ('content', 2), ('instruction', 3), ('organisation', 4), ('overall', 5))
                  it(item, ord)
             CROSS JOIN generate_series(1, 5) rating(rating)
             LEFT JOIN (SELECT e.item, e.rating FROM evaluation_rating e
                        JOIN evaluation_response r ON r.id = e.response_id JOIN cur ON r.partner_id = cur.partner_id
                        WHERE r.iteration_id IN (SELECT id FROM scope)) g
               ON g.item = it.item AND g.rating = rating.rating
             GROUP BY it.item, rating.rating) x
       GROUP BY x.item),
     fu AS (
       SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE u.applied = 'YES') AS yes,
              COUNT(*) FILTER (WHERE u.applied = 'PARTLY') AS partly, COUNT(*) FILTER (WHERE u.applied = 'NO') AS no
       FROM evaluation_follow_up u JOIN cur ON u.partner_id = cur.partner_id
       WHERE u.iteration_id IN (SELECT id FROM scope)),
     el AS (
       SELECT COUNT(*) AS eligible,
              COUNT(*) FILTER (WHERE w.status = 'COMPLETED'
                AND w.end_date <= ((now() AT TIME ZONE 'UTC')::date - interval '3 months')::date) AS due
       FROM w WHERE w.which = 0 AND w.status IN ('ATTENDED', 'COMPLETED', 'FAILED')),
     ot AS (SELECT COALESCE((SELECT g.officers FROM g WHERE g.which = 0 AND g.by = 7 AND g.status = 'COMPLETED'), 0) AS n),
     cl AS MATERIALIZED (
       SELECT l.currency, l.category, l.funding_source, COALESCE(l.funding_nation, '') AS nation, l.stage,
              SUM(l.amount_minor)::bigint AS amount
       FROM (SELECT l.* FROM cur JOIN activity x ON x.cycle_id = cur.id JOIN cost_line l ON l.activity_id = x.id
             UNION
             SELECT l.* FROM cur JOIN cost_line l ON l.partner_id = cur.partner_id
             WHERE l.iteration_id IN (SELECT id FROM scope)) l
       GROUP BY l.currency, l.category, l.funding_source, COALESCE(l.funding_nation, ''), l.stage),
     pa AS (
       SELECT cl.currency, cl.category, cl.funding_source, cl.nation,
              GROUPING(cl.category, cl.funding_source, cl.nation) AS by,
              COALESCE(SUM(cl.amount) FILTER (WHERE cl.stage = 'PLANNED'), 0)::bigint AS planned,
              COALESCE(SUM(cl.amount) FILTER (WHERE cl.stage = 'ACTUAL'), 0)::bigint AS actual
       FROM cl GROUP BY GROUPING SETS ((cl.currency), (cl.currency, cl.category),
                                       (cl.currency, cl.funding_source, cl.nation)))
     SELECT json_build_object('data', json_build_object('cycleReport', json_build_object(
       'cycle', (SELECT json_build_object('id', id::text, 'partnerCode', partner_code, 'partnerName', partner_name,
                   'kind', kind, 'status', status, 'startDate', start_date, 'endDate', end_date) FROM cur),
       'figures', (SELECT f FROM fig WHERE which = 0),
       'previousCycle', (SELECT json_build_object('id', id::text, 'partnerCode', partner_code,
                   'partnerName', partner_name, 'kind', kind, 'status', status, 'startDate', start_date,
                   'endDate', end_date) FROM prev),
       'previous', (SELECT f FROM fig WHERE which = 1),
       'evaluation', (SELECT json_build_object(
           'eligible', el.eligible, 'responses', rs.n,
           'responseRate', CASE WHEN el.eligible > 0 THEN rs.n::float8 / el.eligible ELSE 0 END,
           'withheldReason', CASE WHEN rs.n < 3 THEN 'TOO_FEW_RESPONSES' END,
           'items', CASE WHEN rs.n >= 3 THEN (
               SELECT COALESCE(json_agg(json_build_object('item', rt.item, 'responses', rt.n,
                        'mean', rt.total::float8 / rt.n::float8, 'distribution', rt.distribution)
                        ORDER BY array_position(ARRAY['relevance', 'content', 'instruction', 'organisation', 'overall'],
                                                rt.item::text)), '[]')
               FROM rt WHERE rt.n >= 3) END,
           'followUpsDue', el.due, 'followUpsRecorded', fu.n,
           'followUpRate', CASE WHEN el.due > 0 THEN fu.n::float8 / el.due ELSE 0 END,
           'appliedAtWork', CASE WHEN fu.n >= 3 THEN json_build_object('yes', fu.yes, 'partly', fu.partly, 'no', fu.no) END)
         FROM el, rs, fu),
       'costs', (SELECT json_build_object('cycleId', cur.id::text, 'officersTrained', ot.n,
           'currencies', COALESCE((
             SELECT json_agg(json_build_object('currency', t.currency,
                      'total', json_build_object('planned', json_build_object('amountMinor', t.planned),
                                                 'actual', json_build_object('amountMinor', t.actual)),
                      'byCategory', (SELECT json_agg(json_build_object('code', c.category,
                                       'planned', json_build_object('amountMinor', c.planned),
                                       'actual', json_build_object('amountMinor', c.actual))
                                       ORDER BY c.category COLLATE \"C\")
                                     FROM pa c WHERE c.by = 3 AND c.currency = t.currency),
                      'bySource', (SELECT json_agg(json_build_object('code', s.funding_source,
                                       'nation', NULLIF(s.nation, ''),
                                       'planned', json_build_object('amountMinor', s.planned),
                                       'actual', json_build_object('amountMinor', s.actual))
                                       ORDER BY s.funding_source COLLATE \"C\", s.nation COLLATE \"C\")
                                     FROM pa s WHERE s.by = 4 AND s.currency = t.currency),
                      'costPerOfficerTrained', CASE WHEN ot.n > 0 THEN json_build_object('amountMinor',
                          t.actual / ot.n + CASE WHEN (t.actual % ot.n) * 2 >= ot.n THEN 1 ELSE 0 END) END)
                      ORDER BY t.currency COLLATE \"C\")
             FROM pa t WHERE t.by = 7), '[]'))
         FROM cur, ot))))"
);

pub const PARTNER_OVERVIEW_GRAPHQL: &str =
    "query($code: String!) { partnerOverview(code: $code) { code name
    activeCycle { id partnerCode kind status startDate endDate } renewalDueOn daysUntilRenewal
    timeline { kind startDate endDate code text cycleId } } }";

/// The overview in one statement; a cycle's `text` is its status in English, as the service labels it.
pub const PARTNER_OVERVIEW_SQL: &str = "SELECT json_build_object('data', json_build_object('partnerOverview', json_build_object(
    'code', p.code, 'name', p.name,
    'activeCycle', CASE WHEN a.id IS NOT NULL THEN json_build_object('id', a.id::text, 'partnerCode', p.code,
                     'kind', a.kind, 'status', a.status, 'startDate', a.start_date, 'endDate', a.end_date) END,
    'renewalDueOn', a.end_date + 1,
    'daysUntilRenewal', (a.end_date + 1) - (now() AT TIME ZONE 'UTC')::date,
    'timeline', COALESCE((
      SELECT json_agg(json_build_object('kind', t.kind, 'startDate', t.first_day, 'endDate', t.last_day,
               'code', t.code, 'text', t.text, 'cycleId', t.cycle_id::text) ORDER BY t.first_day, t.kind)
      FROM (SELECT 'MILESTONE' AS kind, m.occurred_on AS first_day, m.occurred_on AS last_day, m.framework AS code,
                   m.description AS text, NULL::int AS cycle_id
            FROM partnership_milestone m WHERE m.partner_id = p.id
            UNION ALL
            SELECT 'CYCLE', c.start_date, c.end_date, c.kind,
                   CASE c.status WHEN 'DRAFT' THEN 'Draft' WHEN 'APPROVED' THEN 'Approved' WHEN 'ACTIVE' THEN 'Active'
                                 WHEN 'CLOSED' THEN 'Closed' WHEN 'SUPERSEDED' THEN 'Superseded' ELSE c.status END,
                   c.id
            FROM programme_cycle c WHERE c.partner_id = p.id
            UNION ALL
            SELECT 'ACTIVITY', x.start_date, x.end_date, x.kind, x.title, x.cycle_id
            FROM activity x JOIN programme_cycle c ON c.id = x.cycle_id WHERE c.partner_id = p.id) t), '[]'))))
  FROM partner p
  LEFT JOIN LATERAL (SELECT c.* FROM programme_cycle c WHERE c.partner_id = p.id AND c.status = 'ACTIVE') a ON true
  WHERE p.code = $1";

pub const CASES: &[Case] = &[
    Case {
        name: "partner by code with its active cycle",
        weight: Weight::Light,
        graphql: "query($code: String!) { partner(code: $code) { id code name activeCycle { id kind startDate endDate status } } }",
        sql: "SELECT json_build_object('data', json_build_object('partner', json_build_object(
                'id', p.id::text, 'code', p.code, 'name', p.name,
                'activeCycle', (SELECT json_build_object('id', c.id::text, 'kind', c.kind, 'startDate', c.start_date,
                                 'endDate', c.end_date, 'status', c.status)
                                FROM programme_cycle c WHERE c.partner_id = p.id AND c.status = 'ACTIVE'))))
              FROM partner p WHERE p.code = $1",
        params: by_partner_code,
        normalise: None,
        root_fields: 1,
        compiled_target: Some(0.6),
    },
    Case {
        name: "cycle report (active cycle and the previous one, every figure)",
        weight: Weight::Heavy,
        graphql: CYCLE_REPORT_GRAPHQL,
        sql: CYCLE_REPORT_SQL,
        params: by_active_cycle,
        normalise: None,
        root_fields: 1,
        compiled_target: None,
    },
    Case {
        name: "cycle report with evaluation and costs (issue 20)",
        weight: Weight::Heavy,
        graphql: CYCLE_REPORT_FULL_GRAPHQL,
        sql: CYCLE_REPORT_FULL_SQL,
        params: by_active_cycle,
        normalise: None,
        root_fields: 1,
        compiled_target: None,
    },
    Case {
        name: "partner overview (timeline, days until renewal)",
        weight: Weight::Light,
        graphql: PARTNER_OVERVIEW_GRAPHQL,
        sql: PARTNER_OVERVIEW_SQL,
        params: by_partner_code,
        normalise: Some(sort_timeline),
        root_fields: 1,
        compiled_target: None,
    },
    Case {
        name: "iterations page (held, 20) with 10 enrollments each and their officers",
        weight: Weight::Heavy,
        graphql: "query($code: String!) { partner(code: $code) { id } courseIterations(first: 20, status: HELD) { edges { node { id startDate capacity seatsHeld
                    enrollments(first: 10) { edges { node { status officer { rank service } } } } } } } }",
        sql: "SELECT json_build_object('data', json_build_object(
                'partner', (SELECT json_build_object('id', p.id::text) FROM partner p WHERE p.code = $1),
                'courseIterations', json_build_object('edges', COALESCE((
                  SELECT json_agg(json_build_object('node', json_build_object('id', i.id::text, 'startDate', i.start_date,
                           'capacity', i.capacity, 'seatsHeld', i.seats_held,
                           'enrollments', json_build_object('edges', COALESCE((
                             SELECT json_agg(json_build_object('node', json_build_object('status', e.status,
                                      'officer', json_build_object('rank', f.rank, 'service', f.service))) ORDER BY e.id)
                             FROM (SELECT * FROM enrollment WHERE iteration_id = i.id ORDER BY id LIMIT 10) e
                             JOIN officer f ON f.id = e.officer_id), '[]'::json)))) ORDER BY i.id)
                  FROM (SELECT * FROM course_iteration WHERE status = 'HELD' ORDER BY id LIMIT 20) i), '[]'::json))))",
        params: by_partner_code,
        normalise: None,
        root_fields: 2,
        compiled_target: Some(0.9),
    },
    Case {
        name: "deep: partner > cycles > objectives > iterations > 10 enrollments > officer",
        weight: Weight::Heavy,
        graphql: "query($code: String!) { partner(code: $code) { cycles { id objectives { title iterations { startDate
                    enrollments(first: 10) { edges { node { status officer { rank } } } } } } } } }",
        sql: "SELECT json_build_object('data', json_build_object('partner', json_build_object('cycles', COALESCE((
                SELECT json_agg(json_build_object('id', c.id::text, 'objectives', COALESCE((
                  SELECT json_agg(json_build_object('title', o.title, 'iterations', COALESCE((
                    SELECT json_agg(json_build_object('startDate', i.start_date, 'enrollments', json_build_object('edges', COALESCE((
                      SELECT json_agg(json_build_object('node', json_build_object('status', e.status,
                               'officer', json_build_object('rank', f.rank))) ORDER BY e.id)
                      FROM (SELECT * FROM enrollment WHERE iteration_id = i.id ORDER BY id LIMIT 10) e
                      JOIN officer f ON f.id = e.officer_id), '[]'::json))) ORDER BY i.id)
                    FROM iteration_objective io JOIN course_iteration i ON i.id = io.iteration_id
                    WHERE io.objective_id = o.id), '[]'::json)) ORDER BY o.id)
                  FROM objective o WHERE o.cycle_id = c.id), '[]'::json)) ORDER BY c.start_date, c.id)
                FROM programme_cycle c WHERE c.partner_id = p.id), '[]'::json))))
              FROM partner p WHERE p.code = $1",
        params: by_partner_code,
        normalise: None,
        root_fields: 1,
        compiled_target: Some(0.9),
    },
];
