//! Agency accountability (issue 6): the pure parts that the service calls.
//!
//! - [`calendar`]: civil dates and Vietnam local times (UTC+7, no daylight saving).
//! - [`lunar`]: the Vietnamese lunar calendar (Hồ Ngọc Đức's algorithm), Tết and Giỗ Tổ.
//! - [`holidays`]: public holidays and substitute days of the Labour Code 2019, with overrides.
//! - [`deadline`]: due times in working days for citizens' questions (AG-7).
//! - [`feed`]: a bounded RSS 2.0 / Atom reader that turns a portal feed into [`feed::Article`]s.
//! - [`facts`]: numbers with units, money, percentages, dates, times and document numbers
//!   found in Vietnamese text, normalised so that two wordings of one fact compare equal.
//! - [`portal`]: AG-4 consistency — which articles speak of a post's subject, which facts
//!   differ, and the resulting `portal_inconsistency` detections and findings;
//!   [`portal_eval`] measures it on labelled post/article pairs.
//! - [`stance`] and [`points`]: AG-6 consultations — the stance of a citizen's comment
//!   (support, oppose, suggest) and the most frequent points of a group of comments.
//!
//! **Architecture invariant:** nothing here reads a clock, a file or the network: the service
//! passes `now`, dates and feed bytes in.

pub mod calendar;
pub mod deadline;
pub mod facts;
pub mod feed;
pub mod holidays;
pub mod lunar;
pub mod points;
pub mod portal;
pub mod portal_eval;
pub mod stance;

pub use calendar::{CivilDate, DateError, DateTimeVn, Weekday};
pub use deadline::{due_at, is_working_day, receipt_day, working_days_between};
pub use feed::{parse_feed, Article, Feed, FeedError, FeedLimits};
pub use holidays::HolidayCalendar;
pub use lunar::{from_lunar, to_lunar, LunarDate};
pub use points::{frequent_points, Point};
pub use portal::{
    compare, compare_detailed, mismatches_to_detections, PortalComparison, PortalMismatch,
};
pub use stance::{classify as classify_stance, Stance, StanceGuess};
