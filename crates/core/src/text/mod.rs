//! Vietnamese text handling: normalisation into match keys with exact offset mapping
//! ([`Normalized`]), Vietnamese letter tables, and byte/char offset conversion.

pub mod normalize;
pub mod offsets;
pub mod phrases;
pub mod vietnamese;

pub use normalize::{normal_form, phrase_keys, Key, KeyToken, Normalized};
pub use offsets::{slice_chars, CharOffsets};
pub use phrases::{PhraseMatch, PhraseMatcher, PlainMatching};
