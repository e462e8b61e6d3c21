//! Spawning the application against a fresh database, and a small GraphQL client.

use std::sync::atomic::{AtomicU32, Ordering};

use entity::enums::Role;
use ipcp::{
    config::{CompiledReads, DatabaseArgs, ServeArgs, Settings},
    service::uow::Actor,
    service::Db,
    startup::Application,
};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn(TestApp)` once per backend, as `sqlite::NAME` and `postgres::NAME`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await;
                    super::$name(app).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await;
                    super::$name(app).await
                }
            )*
        }
    };
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// PostgreSQL server the tests create their databases on (the machine's own by default).
pub fn postgres_base_url() -> String {
    std::env::var("IPCP_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A fresh, empty database of the given backend; dropped with the value.
pub struct TestDatabase {
    pub backend: Backend,
    pub url: String,
    name: String,
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> TestDatabase {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!("ipcp_test_{}_{n}_{nanos}", std::process::id());
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                TestDatabase {
                    backend,
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    name: path.display().to_string(),
                }
            }
            Backend::Postgres => {
                let base = postgres_base_url();
                let admin = Database::connect(format!("{base}/postgres"))
                    .await
                    .unwrap_or_else(|e| {
                        panic!("PostgreSQL must run at {base} for the tests (see README): {e}")
                    });
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                TestDatabase {
                    backend,
                    url: format!("{base}/{name}"),
                    name,
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match self.backend {
            Backend::Sqlite => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", self.name));
                }
            }
            Backend::Postgres => {
                let name = self.name.clone();
                // Drop runs inside the test's runtime: do the async clean-up on a thread of its own.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    rt.block_on(async move {
                        if let Ok(admin) =
                            Database::connect(format!("{}/postgres", postgres_base_url())).await
                        {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub database: TestDatabase,
    /// An ADMIN token, sent by `gql`, `ok` and `error_code`.
    pub admin_token: String,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, ServeArgs::default()).await
    }

    pub async fn spawn_with(backend: Backend, serve: ServeArgs) -> TestApp {
        Self::spawn_configured(backend, serve, |_| {}).await
    }

    /// As `spawn_with`, with database settings changed by `configure` (a longer statement timeout).
    pub async fn spawn_configured(
        backend: Backend,
        mut serve: ServeArgs,
        configure: impl FnOnce(&mut DatabaseArgs),
    ) -> TestApp {
        let database = TestDatabase::create(backend).await;
        serve.listen = "127.0.0.1:0".parse().expect("address");
        // Every query the suite sends is answered by both paths, which must agree byte for byte
        // (a difference answers INTERNAL_SERVER_ERROR): the differential test of compiled reads.
        if serve.compiled_reads == CompiledReads::On {
            serve.compiled_reads = CompiledReads::Verify;
        }
        let mut database_args = DatabaseArgs::new(database.url.clone());
        configure(&mut database_args);
        let settings = Settings {
            database: database_args,
            serve,
        };
        let app = Application::build(settings)
            .await
            .unwrap_or_else(|e| panic!("app failed to start: {e:?}"));
        let address = format!("http://{}", app.local_addr().expect("bound address"));
        let admin = ipcp::service::token::create(
            &app.db,
            &Actor::cli("token"),
            "create",
            "test-admin",
            Role::Admin,
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("admin token: {e:?}"));
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            client: reqwest::Client::new(),
            database,
            admin_token: admin.secret,
        }
    }

    /// A second application on this app's database, built with `serve` (listening on a port of
    /// its own, with the default database settings) and running until the test ends; its address.
    pub async fn twin_with(&self, mut serve: ServeArgs) -> String {
        serve.listen = "127.0.0.1:0".parse().expect("address");
        let settings = Settings {
            database: DatabaseArgs::new(self.database.url.clone()),
            serve,
        };
        let app = Application::build(settings)
            .await
            .unwrap_or_else(|e| panic!("twin app failed to start: {e:?}"));
        let address = format!("http://{}", app.local_addr().expect("bound address"));
        tokio::spawn(app.run_until_stopped());
        address
    }

    /// POSTs a GraphQL request to the server at `address` with the given bearer token (none:
    /// anonymous); the status and the body's text exactly as sent.
    pub async fn gql_text_at(
        &self,
        address: &str,
        token: Option<&str>,
        query: &str,
        variables: &Value,
    ) -> (reqwest::StatusCode, String) {
        let mut request = self
            .client
            .post(format!("{address}/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        (status, response.text().await.expect("body"))
    }

    /// A connection to the app's database as the CLI opens it (another writer than the server).
    pub async fn db(&self) -> Db {
        Db::connect(&DatabaseArgs::new(self.database.url.clone()))
            .await
            .expect("connect")
    }

    /// A new token with `role`; its secret.
    pub async fn token_for(&self, role: Role) -> String {
        let db = self.db().await;
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let created = ipcp::service::token::create(
            &db,
            &Actor::cli("token"),
            "create",
            &format!("test-{n}"),
            role,
            None,
        )
        .await
        .expect("token");
        db.close().await.ok();
        created.secret
    }

    /// POSTs a GraphQL request with the given bearer token (none: anonymous); status and body.
    pub async fn gql_as(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (reqwest::StatusCode, Value) {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// POSTs a GraphQL request as ADMIN and returns the JSON body.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_as(Some(&self.admin_token), query, variables)
            .await
            .1
    }

    /// Runs a request that must succeed and returns its `data`.
    pub async fn ok(&self, query: &str, variables: Value) -> Value {
        let body = self.gql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// Runs a request that must fail and returns the first error's `extensions.code`.
    pub async fn error_code(&self, query: &str, variables: Value) -> String {
        let body = self.gql(query, variables).await;
        let code = body["errors"][0]["extensions"]["code"].as_str();
        code.unwrap_or_else(|| panic!("expected an error with a code, got {body:#}"))
            .to_owned()
    }

    /// Runs a SQL query straight against the test database (checks that nothing changed).
    pub async fn sql_count(&self, sql: &str) -> i64 {
        self.sql_one(sql).await
    }

    /// Runs a SQL query returning one text value straight against the test database.
    pub async fn sql_text(&self, sql: &str) -> String {
        self.sql_one(sql).await
    }

    async fn sql_one<T: sea_orm::TryGetable>(&self, sql: &str) -> T {
        let conn = Database::connect(&self.database.url)
            .await
            .expect("connect");
        let row = conn
            .query_one_raw(sea_orm::Statement::from_string(
                conn.get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .expect("query")
            .expect("one row");
        let value = row.try_get_by_index(0).expect("one value of the type");
        conn.close().await.ok();
        value
    }
}

/// Columns that change when a caller is merely served (a token's last use), left out of
/// [`TestApp::contents`]: "nothing changed" means no record of the domain, the audit log, the change
/// log or any other table changed.
const VOLATILE_COLUMNS: &[(&str, &str)] = &[
    ("api_token", "last_used_at"),
    ("feed_token", "last_used_at"),
];

/// The full contents of every table: each row as text, sorted, per table.
pub type Contents = std::collections::BTreeMap<String, Vec<String>>;

impl TestApp {
    /// Every table's full contents (see [`Contents`]); compare two to prove a request wrote
    /// nothing, UPDATEs included.
    pub async fn contents(&self) -> Contents {
        let conn = Database::connect(&self.database.url)
            .await
            .expect("connect");
        let backend = conn.get_database_backend();
        let sqlite = backend == sea_orm::DatabaseBackend::Sqlite;
        let text_rows = |sql: String| {
            let conn = &conn;
            async move {
                conn.query_all_raw(sea_orm::Statement::from_string(backend, sql.clone()))
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
                    .into_iter()
                    .map(|row| row.try_get_by_index::<String>(0).expect("text"))
                    .collect::<Vec<String>>()
            }
        };
        // Every column of every table, in order, in one statement: "table<TAB>column" rows.
        let mut columns_of = std::collections::BTreeMap::<String, Vec<String>>::new();
        for entry in text_rows(if sqlite {
            "SELECT m.name || char(9) || c.name FROM sqlite_master m, pragma_table_info(m.name) c \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, c.cid"
                .into()
        } else {
            "SELECT c.relname::text || chr(9) || a.attname::text FROM pg_attribute a \
             JOIN pg_class c ON a.attrelid = c.oid JOIN pg_namespace n ON c.relnamespace = n.oid \
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 \
             AND NOT a.attisdropped ORDER BY c.relname, a.attnum"
                .into()
        })
        .await
        {
            let (table, column) = entry.split_once('\t').expect("table and column");
            let columns = columns_of.entry(table.to_owned()).or_default();
            if !VOLATILE_COLUMNS.contains(&(table, column)) {
                columns.push(column.to_owned());
            }
        }
        let mut contents = Contents::new();
        for (table, columns) in columns_of {
            let row = if sqlite {
                columns
                    .iter()
                    .map(|c| format!("quote(\"{c}\")"))
                    .collect::<Vec<_>>()
                    .join(" || ',' || ")
            } else {
                format!(
                    "concat_ws(',', {})",
                    columns
                        .iter()
                        .map(|c| format!("quote_nullable(\"{c}\"::text)"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let rows = text_rows(format!("SELECT {row} FROM \"{table}\" ORDER BY 1")).await;
            contents.insert(table, rows);
        }
        conn.close().await.ok();
        contents
    }

    /// Panics, naming the tables that differ, unless the database holds exactly `before`.
    pub async fn assert_unchanged(&self, before: &Contents, what: &str) {
        let after = self.contents().await;
        if &after != before {
            let changed: Vec<String> = after
                .iter()
                .filter(|(t, rows)| before.get(*t) != Some(rows))
                .map(|(t, rows)| {
                    format!(
                        "{t}: {} rows before, {} after; new or changed: {:?}",
                        before.get(t).map_or(0, Vec::len),
                        rows.len(),
                        rows.iter()
                            .filter(|r| !before.get(t).is_some_and(|b| b.contains(r)))
                            .take(3)
                            .collect::<Vec<_>>()
                    )
                })
                .collect();
            panic!("{what} changed the database: {changed:#?}");
        }
    }
}

/// Builders for the records most tests need.
pub mod fixtures {
    use super::*;

    pub async fn partner(app: &TestApp, code: &str) -> String {
        let data = app
            .ok(
                "mutation($code: String!) { createPartner(input: {code: $code, name: \"Partner\"}) { id } }",
                json!({ "code": code }),
            )
            .await;
        data["createPartner"]["id"].as_str().expect("id").to_owned()
    }

    pub async fn area(app: &TestApp, code: &str) -> String {
        let data = app
            .ok(
                "mutation($code: String!) { createCooperationArea(input: {code: $code, name: \"Area\", description: \"d\"}) { id } }",
                json!({ "code": code }),
            )
            .await;
        data["createCooperationArea"]["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }

    /// A DRAFT cycle; returns (id, version).
    pub async fn cycle(app: &TestApp, partner_id: &str, kind: &str, start: &str) -> (String, i64) {
        let data = app
            .ok(
                "mutation($p: ID!, $k: ProgrammeKind!, $s: Date!) { createProgrammeCycle(input: {partnerId: $p, kind: $k, startDate: $s}) { id version } }",
                json!({ "p": partner_id, "k": kind, "s": start }),
            )
            .await;
        let c = &data["createProgrammeCycle"];
        (
            c["id"].as_str().expect("id").to_owned(),
            c["version"].as_i64().expect("version"),
        )
    }

    pub async fn course(app: &TestApp, code: &str, min_slp: Option<&str>) -> String {
        let data = app
            .ok(
                "mutation($code: String!, $slp: String) { createCourse(input: {code: $code, title: \"Course\", topic: BORDER_SECURITY, organiser: \"NATO School Oberammergau\", delivery: RESIDENTIAL, durationDays: 5, minSlp: $slp}) { id } }",
                json!({ "code": code, "slp": min_slp }),
            )
            .await;
        data["createCourse"]["id"].as_str().expect("id").to_owned()
    }

    pub async fn iteration(
        app: &TestApp,
        course_id: &str,
        start: &str,
        end: &str,
        capacity: i64,
        quota: Option<i64>,
    ) -> String {
        let data = app
            .ok(
                "mutation($c: ID!, $s: Date!, $e: Date!, $cap: Int!, $q: Int) { createCourseIteration(input: {courseId: $c, startDate: $s, endDate: $e, location: \"Oberammergau\", capacity: $cap, partnerQuota: $q, status: OPEN}) { id } }",
                json!({ "c": course_id, "s": start, "e": end, "cap": capacity, "q": quota }),
            )
            .await;
        data["createCourseIteration"]["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }

    pub async fn officer(app: &TestApp, partner_id: &str, slp: Option<&str>) -> String {
        let data = app
            .ok(
                "mutation($p: ID!, $slp: String) { createOfficer(input: {partnerId: $p, familyName: \"Officer\", givenName: \"Test\", rank: \"Captain\", service: ARMY, slp: $slp}) { id } }",
                json!({ "p": partner_id, "slp": slp }),
            )
            .await;
        data["createOfficer"]["id"].as_str().expect("id").to_owned()
    }
}

/// The day `offset` days from today (negative: in the past), as YYYY-MM-DD.
pub fn days_from_today(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}
