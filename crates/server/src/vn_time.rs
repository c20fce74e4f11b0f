//! Times in Vietnam (Asia/Ho_Chi_Minh, UTC+7 without daylight saving): the one way the API,
//! the pages and the service show them lives in `quytac_service::vn_time`.

pub use quytac_service::vn_time::*;
