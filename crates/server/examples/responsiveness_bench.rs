//! How fast `GET /v1/agencies/{id}/responsiveness` answers with 100,000 inquiries stored
//! (issue 6 target: ≤ 50 ms on SQLite).
//!
//! Seeds a temporary SQLite database with one agency holding 100,000 inquiries over two years
//! (90 % answered, from an hour to four weeks after receipt; the rest open, most of them
//! overdue), written with plain SQL for speed (no audit events: a benchmark fixture, not
//! service data), then rebuilds the per-month figures from the rows. Then starts the real
//! application on a free port and calls the endpoint over HTTP: 5 warm-up calls, then 50
//! timed ones, one at a time. Prints the median and 95th percentile latency, and the same for
//! the public page and the ranking page.
//!
//! ```text
//! cargo run --release -p quytac-server --example responsiveness_bench [-- N]
//! ```

use quytac_server::vn_time::vn_month;
use quytac_server::{Application, Config};
use quytac_store::model::NewAgency;
use quytac_store::Store;
use std::time::Instant;

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

/// A small deterministic generator (xorshift64*), so every run seeds the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: i64) -> i64 {
        (self.next() % n as u64) as i64
    }
}

async fn seed(store: &Store, n: usize) -> anyhow::Result<()> {
    for (id, parent) in [("ubnd-bench", None), ("so-bench", Some("ubnd-bench"))] {
        store
            .create_agency(
                &NewAgency {
                    id: id.into(),
                    name: format!("Cơ quan {id}"),
                    parent_id: parent.map(str::to_string),
                    official_domain: None,
                    page_handle: None,
                    portal_feed_url: None,
                    response_working_days: 10,
                    responsible: Default::default(),
                    competent_authority: false,
                },
                "bench",
            )
            .await?;
    }
    let now = quytac_store::now_ms();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut tx = store.pool().begin().await?;
    let mut rows = Vec::with_capacity(500);
    for i in 0..n {
        let created = now - 730 * DAY + rng.below(730 * DAY);
        // Ten working days is about two weeks.
        let due = created + 14 * DAY;
        let answered = rng.below(10) < 9;
        let delay = HOUR + rng.below(28 * DAY);
        let (status, reply_due, first, answer_ms, wd) = if answered && created + delay < now {
            (
                "answered",
                "NULL".to_string(),
                (created + delay).to_string(),
                delay.to_string(),
                (delay / DAY * 5 / 7).to_string(),
            )
        } else {
            (
                "open",
                due.to_string(),
                "NULL".into(),
                "NULL".into(),
                "NULL".into(),
            )
        };
        rows.push(format!(
            "('so-bench', 'citizen:{i}', 'question', 'Câu hỏi số {i}', 'Câu hỏi số {i}', \
             '{{\"verdict\":\"pass\",\"findings\":[]}}', '{status}', {created}, '{}', 10, {due}, \
             {reply_due}, {first}, {answer_ms}, {wd}, {created})",
            vn_month(created)
        ));
        if rows.len() == 500 || i + 1 == n {
            sqlx::query(&format!(
                "INSERT INTO inquiries (agency_id, citizen, kind, text, masked_text, check_json, \
                 status, created_at, month, working_days, due_at, reply_due_at, \
                 first_answered_at, answer_ms, answer_working_days, updated_at) VALUES {}",
                rows.join(", ")
            ))
            .execute(&mut *tx)
            .await?;
            rows.clear();
        }
    }
    tx.commit().await?;
    // The rows went in behind the store's back: compute the per-month figures from them.
    store.rebuild_inquiry_rollups("bench").await?;
    sqlx::query("ANALYZE").execute(store.pool()).await?;
    Ok(())
}

/// One GET over a fresh connection, as a browser or client would make it; the time until the
/// whole body has arrived.
async fn get(client: &reqwest::Client, url: &str) -> anyhow::Result<(f64, String)> {
    let start = Instant::now();
    let r = client.get(url).send().await?;
    let status = r.status();
    let body = r.text().await?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(status.is_success(), "{url}: {status} {body}");
    Ok((ms, body))
}

fn summary(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95), v[v.len() - 1])
}

async fn measure(client: &reqwest::Client, url: &str) -> anyhow::Result<(f64, f64, f64, String)> {
    let mut body = String::new();
    for _ in 0..5 {
        body = get(client, url).await?.1;
    }
    let mut times = Vec::with_capacity(50);
    for _ in 0..50 {
        times.push(get(client, url).await?.0);
    }
    let (median, p95, max) = summary(times);
    Ok((median, p95, max, body))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100_000);
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());

    let started = Instant::now();
    let store = Store::connect(&url).await?;
    seed(&store, n).await?;
    store.close().await;
    println!(
        "seeded {n} inquiries for one agency in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let app = Application::build(Config::new("127.0.0.1:0".parse()?, url)).await?;
    let port = app.port();
    tokio::spawn(app.run_until(std::future::pending()));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;

    let base = format!("http://127.0.0.1:{port}");
    let (median, p95, max, body) = measure(
        &client,
        &format!("{base}/v1/agencies/so-bench/responsiveness"),
    )
    .await?;
    let v: serde_json::Value = serde_json::from_str(&body)?;
    println!("total: {}", v["total"]);
    println!("months: {}", v["months"].as_array().map_or(0, |m| m.len()));
    println!(
        "GET /v1/agencies/{{id}}/responsiveness ({n} inquiries, 50 calls): median {median:.2} ms, p95 {p95:.2} ms, max {max:.2} ms"
    );
    let (median, p95, max, _) =
        measure(&client, &format!("{base}/agencies/so-bench/responsiveness")).await?;
    println!("GET /agencies/{{id}}/responsiveness (page): median {median:.2} ms, p95 {p95:.2} ms, max {max:.2} ms");
    let (median, p95, max, _) =
        measure(&client, &format!("{base}/agencies/responsiveness")).await?;
    println!("GET /agencies/responsiveness (ranking): median {median:.2} ms, p95 {p95:.2} ms, max {max:.2} ms");
    Ok(())
}
