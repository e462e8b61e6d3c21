//! The benchmark dataset: deterministic, and every row holds the invariants.

use crate::helpers::TestApp;

async fn load(app: &TestApp) -> ipcp::service::bench_data::Sizes {
    let db = ipcp::service::Db::connect(&ipcp::config::DatabaseArgs::new(app.database.url.clone()))
        .await
        .expect("connect");
    ipcp::service::bench_data::load(
        &db,
        &ipcp::service::uow::Actor::cli("seed"),
        0.01,
        &|_, _, _| {},
    )
    .await
    .expect("load")
}

async fn the_benchmark_dataset_holds_the_invariants_and_the_requested_sizes(app: TestApp) {
    let sizes = load(&app).await;
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM partner").await,
        sizes.partners as i64
    );
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM enrollment").await,
        sizes.enrollments() as i64
    );
    assert_eq!(sizes.enrollments(), 10_000);
    // Seat counters match the seat-holding enrollments and stay within capacity.
    let mismatched = "SELECT COUNT(*) FROM course_iteration i WHERE i.seats_held > i.capacity OR i.seats_held <> \
        (SELECT COUNT(*) FROM enrollment e WHERE e.iteration_id = i.id AND e.status IN ('CONFIRMED','ATTENDED','COMPLETED','FAILED'))";
    assert_eq!(app.sql_count(mismatched).await, 0);
    // No officer holds seats in two overlapping iterations.
    let overlapping = "SELECT COUNT(*) FROM enrollment a JOIN course_iteration ia ON ia.id = a.iteration_id \
        JOIN enrollment b ON b.officer_id = a.officer_id AND b.id > a.id JOIN course_iteration ib ON ib.id = b.iteration_id \
        WHERE a.status IN ('CONFIRMED','ATTENDED','COMPLETED','FAILED') AND b.status IN ('CONFIRMED','ATTENDED','COMPLETED','FAILED') \
        AND ia.start_date <= ib.end_date AND ib.start_date <= ia.end_date";
    assert_eq!(app.sql_count(overlapping).await, 0);
    // Each partner has exactly one ACTIVE cycle; activities lie inside their cycles.
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM programme_cycle WHERE status = 'ACTIVE'")
            .await,
        sizes.partners as i64
    );
    let outside = "SELECT COUNT(*) FROM activity a JOIN programme_cycle c ON c.id = a.cycle_id \
        WHERE a.start_date < c.start_date OR a.end_date > c.end_date";
    assert_eq!(app.sql_count(outside).await, 0);
    // Waitlists are FIFO positions 1..n per iteration.
    let gaps = "SELECT COUNT(*) FROM course_iteration i WHERE \
        (SELECT COUNT(*) FROM enrollment e WHERE e.iteration_id = i.id AND e.status = 'WAITLISTED') <> \
        COALESCE((SELECT MAX(waitlist_position) FROM enrollment e WHERE e.iteration_id = i.id), 0)";
    assert_eq!(app.sql_count(gaps).await, 0);
    // Evaluations: responses of officers who attended, five ratings 1-5 each, copied partner and
    // iteration; follow-ups of completed enrollments once due; costs never negative.
    assert!(
        app.sql_count("SELECT COUNT(*) FROM evaluation_response")
            .await
            > 100
    );
    assert!(
        app.sql_count("SELECT COUNT(*) FROM evaluation_follow_up")
            .await
            > 10
    );
    assert!(app.sql_count("SELECT COUNT(*) FROM cost_line").await > 50);
    for broken in [
        "SELECT COUNT(*) FROM evaluation_response r JOIN enrollment e ON e.id = r.enrollment_id \
         WHERE e.status NOT IN ('ATTENDED','COMPLETED','FAILED') OR e.partner_id <> r.partner_id \
         OR e.iteration_id <> r.iteration_id",
        "SELECT COUNT(*) FROM evaluation_response r WHERE \
         (SELECT COUNT(*) FROM evaluation_rating g WHERE g.response_id = r.id AND g.rating BETWEEN 1 AND 5) <> 5",
        "SELECT COUNT(*) FROM evaluation_response r JOIN course_iteration i ON i.id = r.iteration_id \
         WHERE r.responded_on < i.end_date",
        "SELECT COUNT(*) FROM evaluation_follow_up f JOIN enrollment e ON e.id = f.enrollment_id \
         WHERE e.status <> 'COMPLETED' OR e.partner_id <> f.partner_id",
        "SELECT COUNT(*) FROM cost_line WHERE amount_minor < 0",
    ] {
        assert_eq!(app.sql_count(broken).await, 0, "{broken}");
    }
    // A second load into the same database is refused.
    let db = ipcp::service::Db::connect(&ipcp::config::DatabaseArgs::new(app.database.url.clone()))
        .await
        .expect("connect");
    assert!(ipcp::service::bench_data::load(
        &db,
        &ipcp::service::uow::Actor::cli("seed"),
        0.01,
        &|_, _, _| {}
    )
    .await
    .is_err());
}

async fn the_same_scale_gives_the_same_rows(app: TestApp) {
    load(&app).await;
    let other = TestApp::spawn(app.database.backend).await;
    load(&other).await;
    for sql in [
        "SELECT SUM(capacity) FROM course_iteration",
        "SELECT COUNT(*) FROM enrollment WHERE status = 'COMPLETED'",
        "SELECT SUM(officer_id * iteration_id % 9973) FROM enrollment WHERE status = 'FAILED'",
        "SELECT COUNT(*) FROM activity WHERE end_date > start_date",
        "SELECT COUNT(*) FROM evaluation_rating WHERE rating = 5",
        "SELECT COUNT(*) FROM evaluation_follow_up WHERE applied = 'PARTLY'",
        "SELECT CAST(SUM(amount_minor % 9973) AS BIGINT) FROM cost_line",
    ] {
        assert_eq!(
            app.sql_count(sql).await,
            other.sql_count(sql).await,
            "{sql}"
        );
    }
}

crate::on_both_backends!(
    the_benchmark_dataset_holds_the_invariants_and_the_requested_sizes,
    the_same_scale_gives_the_same_rows
);
