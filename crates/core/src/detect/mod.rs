//! Detectors: each looks at one text and pushes [`Detection`](crate::finding::Detection)s
//! (spans with a score). They know nothing about rules or subjects; the engine judges
//! detections against the active rule pack.

pub mod lexicon;
pub mod markers;
pub mod personal_data;
