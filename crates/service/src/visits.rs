//! Visits for Decree 147's provider report: page views of the public web pages and API reads,
//! counted per Vietnam day without personal data — no address, no cookie, no visitor id:
//! only the day and a count. Distinct visitors are not counted: telling two visits of one
//! person from visits of two would need an identifier of the person, even a salted hash of it,
//! which the checker's promise of keeping nothing about its users rules out; page views are the
//! figure the report asks for ("lượt truy cập").
//!
//! A request only adds one to a counter in memory ([`VisitCounter::count`]); the server
//! flushes the counts to the store on a timer and at shutdown ([`Service::flush_visits`]): one
//! upsert per day, one row per day however many requests.

use crate::vn_time::vn_day;
use crate::{Result, Service};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Page views not yet flushed, by Vietnam day (`YYYY-MM-DD`).
#[derive(Debug, Default)]
pub struct VisitCounter {
    pending: Mutex<BTreeMap<String, i64>>,
}

impl VisitCounter {
    /// One page view now.
    pub fn count(&self) {
        let day = vn_day(quytac_store::now_ms());
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        *pending.entry(day).or_default() += 1;
    }

    fn take(&self) -> BTreeMap<String, i64> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn put_back(&self, day: String, views: i64) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        *pending.entry(day).or_default() += views;
    }
}

impl Service {
    /// One page view (a public web page or an API read): counted in memory.
    pub fn count_visit(&self) {
        self.visits.count();
    }

    /// Adds the page views counted since the last flush to the store, one upsert per day.
    /// A day the store did not take is kept for the next flush.
    pub async fn flush_visits(&self) -> Result<()> {
        let mut failed = None;
        for (day, views) in self.visits.take() {
            if failed.is_some() {
                self.visits.put_back(day, views);
                continue;
            }
            if let Err(e) = self.store.add_page_views(&day, views).await {
                self.visits.put_back(day, views);
                failed = Some(e);
            }
        }
        match failed {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }
}
