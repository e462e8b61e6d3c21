//! Reads from a streaming standby (issue 23), with `--standby-postgres`: the dashboard query mix
//! served with reads on the standby against the same mix with reads on the primary, and
//! read-your-writes (a mutation followed at once by a read of it, through the service).
//!
//! `bench/replica` starts a throw-away primary and standby on this machine for it. Primary,
//! standby, server and load all share the same cores, so only the ratio means something.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use serde_json::{json, Value};

use crate::{
    cases::{Ids, CASES},
    drive, drive_sampled,
    load::{Error, Measure, Op, OpFuture},
    start_server_with, Api, Args, WARM_UP_SECONDS,
};

/// Each call sends the next dashboard query of the mix, in turn.
fn mix_op(api: &Api, ids: &Ids) -> Op {
    let bodies: Arc<Vec<Value>> = Arc::new(CASES.iter().map(|c| crate::body(c, ids)).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let api = api.clone();
    Arc::new(move || -> OpFuture {
        let (api, bodies, next) = (api.clone(), bodies.clone(), next.clone());
        Box::pin(async move {
            let body = &bodies[next.fetch_add(1, Ordering::Relaxed) % bodies.len()];
            api.call(body).await.map(|_| ())
        })
    })
}

/// Waits until the standby has replayed everything the primary has written so far.
async fn standby_caught_up(primary_db: &str, standby_db: &str) -> Result<(), Error> {
    let primary = sea_orm::sqlx::PgPool::connect(primary_db).await?;
    let standby = sea_orm::sqlx::PgPool::connect(standby_db).await?;
    let target: String = sea_orm::sqlx::query_scalar("SELECT pg_current_wal_lsn()::text")
        .fetch_one(&primary)
        .await?;
    for _ in 0..6000 {
        let behind: bool =
            sea_orm::sqlx::query_scalar("SELECT pg_last_wal_replay_lsn() < $1::text::pg_lsn")
                .bind(&target)
                .fetch_one(&standby)
                .await?;
        if !behind {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err("the standby did not catch up with the primary in 10 minutes".into())
}

/// Read-your-writes through the service: `n` times, a mutation and at once a read of what it
/// created, by the writer (token window) and by another caller sending the position back. The
/// count of reads that saw the write, of each kind.
async fn read_your_writes(api: &Api, ids_partner: i64, n: usize) -> Result<(usize, usize), Error> {
    let (mut own, mut sent) = (0, 0);
    for k in 0..n {
        let created = api
            .client
            .post(&api.url)
            .bearer_auth(&api.token)
            .json(&json!({
                "query": "mutation($p: ID!, $n: String!) { createOfficer(input: {partnerId: $p, familyName: $n, givenName: \"Bench\", rank: \"Captain\", service: ARMY}) { id } }",
                "variables": { "p": ids_partner.to_string(), "n": format!("Replica{k}") }
            }))
            .send()
            .await?;
        let position = created
            .headers()
            .get("ipcp-wal-position")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or("a mutation's answer has no Ipcp-Wal-Position: are replicas configured?")?;
        let created: Value = created.json().await?;
        let id = created["data"]["createOfficer"]["id"]
            .as_str()
            .ok_or_else(|| format!("createOfficer failed: {created}"))?
            .to_owned();
        let read = json!({ "query": "query($id: ID!) { officer(id: $id) { id } }", "variables": { "id": id } });
        let answer: Value = api.post(&read).await?;
        if answer["data"]["officer"]["id"] == json!(id) {
            own += 1;
        }
        let answer: Value = api
            .client
            .post(&api.url)
            .bearer_auth(&api.reader_token)
            .header("ipcp-wal-position", &position)
            .json(&read)
            .send()
            .await?
            .json()
            .await?;
        if answer["data"]["officer"]["id"] == json!(id) {
            sent += 1;
        }
    }
    Ok((own, sent))
}

/// The measurement; returns the Markdown section.
pub async fn measure(
    args: &Args,
    db_url: &str,
    standby_server: &str,
    ids: &Ids,
) -> Result<String, Error> {
    let standby_db = format!("{standby_server}/{}", args.database);
    standby_caught_up(db_url, &standby_db).await?;
    let partner_id: i64 = {
        let pool = sea_orm::sqlx::PgPool::connect(db_url).await?;
        sea_orm::sqlx::query_scalar::<_, i32>("SELECT id FROM partner WHERE code = $1")
            .bind(&ids.partner)
            .fetch_one(&pool)
            .await?
            .into()
    };
    let seconds = args.seconds as f64;
    let mut rows: Vec<(usize, Measure, Measure)> = Vec::new();
    let on_primary = start_server_with(args, db_url, false, &[]).await?;
    let on_standby = start_server_with(
        args,
        db_url,
        false,
        &[("IPCP_DATABASE_REPLICA_URLS", standby_db.as_str())],
    )
    .await?;
    for &clients in &args.clients {
        let primary_op = mix_op(&on_primary.api, ids);
        drive(clients, WARM_UP_SECONDS, primary_op.clone()).await?;
        let primary = drive_sampled(on_primary.child.id(), clients, seconds, primary_op).await?;
        let standby_op = mix_op(&on_standby.api, ids);
        drive(clients, WARM_UP_SECONDS, standby_op.clone()).await?;
        let standby = drive_sampled(on_standby.child.id(), clients, seconds, standby_op).await?;
        eprintln!(
            "dashboard mix @{clients}: reads on the primary {:.0}/s, on the standby {:.0}/s",
            primary.per_second, standby.per_second
        );
        rows.push((clients, primary, standby));
    }
    let n = 200;
    let (own, sent) = read_your_writes(&on_standby.api, partner_id, n).await?;
    eprintln!("read-your-writes: {own}/{n} by the writer, {sent}/{n} with the position sent back");
    let mut md = String::from(
        "## Reads on a streaming standby (issue 23)\n\n\
         `bench/replica`: a throw-away primary and one streaming standby on this machine, the \
         scale-1 dataset, two servers with their defaults except the harness's usual settings \
         (`IPCP_RATE_LIMIT_PER_SECOND=0`, `IPCP_DB_MAX_CONNECTIONS=32`, `IPCP_MAX_COMPLEXITY=100000`, \
         `IPCP_EXPOSE_STATEMENT_COUNT=true`, `IPCP_METRICS=false`, `IPCP_WEBHOOK_WORKER=false`), one \
         with `IPCP_DATABASE_REPLICA_URLS` naming the standby; both PostgreSQL servers run with \
         `shared_buffers=512MB`. The dashboard query mix sends the \
         benchmark's queries in turn. Primary, standby, servers and load share the same 2 cores, \
         so the ratio is the figure, not the rates.\n\n\
         | clients | reads on the primary (req/s) | reads on the standby (req/s) | ratio | p50 primary / standby (ms) |\n\
         |---|---|---|---|---|\n",
    );
    for (clients, primary, standby) in &rows {
        md.push_str(&format!(
            "| {clients} | {:.0} | {:.0} | {:.2} | {:.1} / {:.1} |\n",
            primary.per_second,
            standby.per_second,
            standby.per_second / primary.per_second,
            primary.p50_ms,
            standby.p50_ms
        ));
    }
    md.push_str(&format!(
        "\nRead-your-writes, {n} times a `createOfficer` then at once `officer(id)` through the \
         standby-backed server: the writer saw its write **{own}/{n}** times ({:.0}%); another \
         token sending the `Ipcp-Wal-Position` back saw it **{sent}/{n}** times ({:.0}%).\n",
        own as f64 * 100.0 / n as f64,
        sent as f64 * 100.0 / n as f64
    ));
    Ok(md)
}
