//! Vietnamese text handling: normalisation into match keys with exact offset mapping
//! ([`Normalized`]), Vietnamese letter tables, byte/char offset conversion, and HTML as text
//! ([`html`]).

pub mod html;
pub mod normalize;
pub mod offsets;
pub mod phrases;
mod syllable;
pub mod vietnamese;

pub use normalize::{normal_form, phrase_keys, Key, KeyToken, Normalized};
pub use offsets::{slice_chars, CharOffsets};
pub use phrases::{PhraseMatch, PhraseMatcher, PlainMatching};
