//! Vietnamese personal names (CS-1): is a display name a real personal name, and is it the
//! person's legal name?
//!
//! A Vietnamese name is written surname first: a surname (họ) of one syllable ("Nguyễn") or a
//! compound one ("Tôn Nữ", "Âu Dương", "Nguyễn Phúc"), middle names (tên đệm, often "Văn" or
//! "Thị"), and the given name (tên), the last word: "Nguyễn Thị Minh Khai". Many ethnic-minority
//! names follow other patterns and are accepted as written: Ê Đê names open with the particle
//! "Y" (men) or "H'" (women) and end with the family name ("Y Moan Niê", "H'Hen Niê"); Jrai and
//! Hmong names put the family name first ("Ksor H'Mai", "Rơ Châm Ly", "Hầu A Lềnh"). The
//! surnames recognised are in `lexicons/surnames.txt`.
//!
//! # Policy: when does a display name match the legal name?
//!
//! CS-1 asks civil servants to appear under their real full name ("họ tên thật"). With the
//! legal name known, the display name **matches** when it has exactly the words of the legal
//! name, each equal to its counterpart after folding
//!
//! - letter case ("NGUYỄN VĂN AN", "nguyễn văn an");
//! - the placement of the tone mark, old and new style ("Hoà" = "Hòa", "Thuý" = "Thúy");
//! - diacritics, where a word is written without any ("Nguyen Van An"); a word written *with*
//!   marks must carry the same ones ("Ân" is not "An");
//! - final "y" and "i" after a consonant, spellings of the same syllable before and after the
//!   spelling reforms ("Lý" = "Lí", "Quý" = "Quí", "Mỹ" = "Mĩ");
//!
//! in one of two orders:
//!
//! - the legal order ("Nguyễn Văn An");
//! - the surname moved to the end, the Western rendering of the *whole* name, which keeps the
//!   middle and given names in their order ("Văn An Nguyễn").
//!
//! Everything else is a `real_name` finding whose message names the difference: a part left out
//! ("An Nguyễn" leaves out the middle name, "Văn An" the surname), a different part (given name,
//! middle name, surname — also a regional variant such as Huỳnh for Hoàng, or other diacritics),
//! an initial for a part ("Nguyễn V. An"), words in another order ("An Văn Nguyễn"), added words
//! (a title, a nickname, a place). A partial name is never enough: many people share "An
//! Nguyễn". Whatever the legal name, a display name that is not shaped like a name is reported
//! for what it is: digits, emoji or symbols, a user handle ("an.nguyen99"), a nickname in
//! brackets or quotes, decorative letters.
//!
//! Without a legal name, the display name alone must look like a real full name: letters only,
//! at least two words, a recognised surname first (or last, in Western order), no title
//! ("Thầy giáo làng", "Bác sĩ …") and no nickname words ("xinh đẹp", "cute", "official").

use crate::text::vietnamese;
use std::sync::OnceLock;
use unicode_normalization::UnicodeNormalization;

const SURNAMES: &str = include_str!("../../../../lexicons/surnames.txt");

/// What is wrong with a display name, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    Missing,
    /// Digits, emoji, symbols, or letters of another script or a decorative font: what was
    /// found, described.
    NotALetterName(String),
    /// A user handle rather than a name ("an.nguyen99", "@an_nguyen").
    Handle(String),
    /// A nickname: in brackets or quotes, or a nickname word.
    Nickname(String),
    /// A part of the name reduced to its initial ("Nguyễn V. An").
    Abbreviated(String),
    /// A title or role instead of a name ("Thầy giáo làng", "Bác sĩ Nguyễn Văn An").
    TitleOnly(String),
    /// No recognised Vietnamese surname, or a single word.
    NoSurname,
    /// Differs from the legal name: `detail` names the difference.
    DiffersFromLegal {
        display: String,
        legal: String,
        detail: String,
    },
}

impl NameProblem {
    /// The problem in English, for the finding's message.
    pub fn describe(&self) -> String {
        match self {
            NameProblem::Missing => "no display name".into(),
            NameProblem::NotALetterName(what) => {
                format!("the display name contains {what}, which names do not")
            }
            NameProblem::Handle(h) => format!("\"{h}\" is a user handle, not a personal name"),
            NameProblem::Nickname(n) => format!("the display name has a nickname: {n}"),
            NameProblem::Abbreviated(a) => {
                format!("the display name abbreviates part of the name ({a})")
            }
            NameProblem::NoSurname => {
                "the display name is not a full name with a Vietnamese surname".into()
            }
            NameProblem::TitleOnly(t) => {
                format!("\"{t}\" is a title or role, not the person's full name")
            }
            NameProblem::DiffersFromLegal {
                display,
                legal,
                detail,
            } => {
                format!("display name \"{display}\" differs from legal name \"{legal}\": {detail}")
            }
        }
    }
}

// --- Words and their keys ---------------------------------------------------------------

/// One word of a name with its match keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameWord {
    /// As written (NFC).
    pub text: String,
    /// Lowercase, tone mark on its canonical vowel, final y/i unified.
    pub marked: String,
    /// [`NameWord::marked`] without diacritics.
    pub plain: String,
    /// Written with Vietnamese diacritics (a tone, a shape mark or đ).
    pub has_marks: bool,
}

impl NameWord {
    pub fn new(text: &str) -> NameWord {
        // A dot or comma after a word of two letters or more is punctuation ("TS.", "An,");
        // after one letter it makes an initial ("V.").
        let key_text = {
            let t = text.trim_end_matches(['.', ',']);
            if t.chars().filter(|c| c.is_alphabetic()).count() >= 2 {
                t
            } else {
                text
            }
        };
        let mut chars: Vec<char> = key_text
            .nfc()
            .flat_map(char::to_lowercase)
            .map(|c| match c {
                '’' | 'ʼ' | '‘' | '`' => '\'',
                // The Icelandic eth, typed for đ on some keyboards.
                'ð' => 'đ',
                c => c,
            })
            .collect();
        let has_marks = chars.iter().any(|&c| vietnamese::has_mark(c));
        vietnamese::canonical_tone(&mut chars);
        unify_final_y(&mut chars);
        let marked: String = chars.iter().collect();
        let plain: String = chars.iter().map(|&c| vietnamese::strip(c)).collect();
        NameWord {
            text: text.nfc().collect(),
            marked,
            plain,
            has_marks,
        }
    }

    /// The same word of a name: same marked key when both are written with diacritics, else
    /// the same plain key.
    pub fn same(&self, other: &NameWord) -> bool {
        if self.has_marks && other.has_marks {
            self.marked == other.marked
        } else {
            self.plain == other.plain
        }
    }

    /// A display word against a word of the legal name. The legal name is taken to be written
    /// with its diacritics, so a display word with marks must carry the same ones ("Ân" is not
    /// "An"); a display word without any is compared without them, and so is everything when
    /// the legal name was recorded without diacritics at all (`legal_unmarked`).
    pub fn same_as_legal(&self, legal: &NameWord, legal_unmarked: bool) -> bool {
        if self.has_marks && !legal_unmarked {
            self.marked == legal.marked
        } else {
            self.plain == legal.plain
        }
    }

    /// A word against an entry of a list written with diacritics (surnames, titles).
    fn matches_entry(&self, entry: &NameWord) -> bool {
        self.same(entry)
    }
}

/// "ly" and "li", "quý" and "quí": a syllable whose only vowel is a final y after a consonant
/// is spelt with i (keeping its tone).
fn unify_final_y(chars: &mut [char]) {
    let n = chars.len();
    if n < 2 {
        return;
    }
    let Some(v) = vietnamese::vowel(chars[n - 1]) else {
        return;
    };
    if v.base() != 'y' {
        return;
    }
    let onset = &chars[..n - 1];
    let consonants = onset
        .iter()
        .all(|&c| vietnamese::vowel(c).is_none() && c.is_alphabetic());
    let qu = onset == ['q', 'u'];
    if consonants || qu {
        chars[n - 1] = vietnamese::Vowel {
            row: 5, // i
            tone: v.tone,
        }
        .char();
    }
}

/// Folds a name for comparison: lowercase, diacritics removed, single spaces.
pub fn fold_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in name.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.nfc().flat_map(char::to_lowercase) {
            out.push(vietnamese::strip(c));
        }
    }
    out
}

// --- Lists ------------------------------------------------------------------------------

/// A surname of the lexicon: its words, and the index of its group of regional variants.
struct Surname {
    words: Vec<NameWord>,
    group: usize,
    /// A prefix particle written joined to the next name ("H'", "K'").
    prefix: bool,
}

fn surnames() -> &'static [Surname] {
    static S: OnceLock<Vec<Surname>> = OnceLock::new();
    S.get_or_init(|| {
        let mut v = Vec::new();
        for (group, line) in SURNAMES
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .enumerate()
        {
            for variant in line.split(" = ") {
                let variant = variant.trim();
                v.push(Surname {
                    words: variant.split_whitespace().map(NameWord::new).collect(),
                    group,
                    prefix: variant.ends_with('\''),
                });
            }
        }
        // Longest first, so compound surnames win over their first syllable.
        v.sort_by_key(|s: &Surname| std::cmp::Reverse(s.words.len()));
        v
    })
}

/// The surname (index into [`surnames`]) that `words` start with, and its length in words.
fn surname_at_start(words: &[NameWord]) -> Option<(usize, usize)> {
    surnames().iter().enumerate().find_map(|(i, s)| {
        if s.prefix {
            let w = words.first()?;
            let p = &s.words[0];
            let starts = w.plain.starts_with(&p.plain) && w.plain.len() > p.plain.len();
            return starts.then_some((i, 1));
        }
        let n = s.words.len();
        (n <= words.len() && s.words.iter().zip(words).all(|(a, b)| b.matches_entry(a)))
            .then_some((i, n))
    })
}

/// The surname that `words` end with (Western order), and its length in words.
fn surname_at_end(words: &[NameWord]) -> Option<(usize, usize)> {
    surnames().iter().enumerate().find_map(|(i, s)| {
        let n = s.words.len();
        (!s.prefix
            && n < words.len()
            && s.words
                .iter()
                .zip(&words[words.len() - n..])
                .all(|(a, b)| b.matches_entry(a)))
        .then_some((i, n))
    })
}

/// Two words are variants of one surname (Hoàng and Huỳnh).
fn surname_variants(a: &[NameWord], b: &[NameWord]) -> bool {
    let group = |w: &[NameWord]| {
        surnames()
            .iter()
            .find(|s| s.words.len() == w.len() && s.words.iter().zip(w).all(|(x, y)| y.same(x)))
            .map(|s| s.group)
    };
    matches!((group(a), group(b)), (Some(x), Some(y)) if x == y)
}
/// The name word lists, embedded from `lexicons/name_words.toml` so that reviewers change
/// vocabulary in data, not code.
const NAME_WORDS_TOML: &str = include_str!("../../../../lexicons/name_words.toml");

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NameWordLists {
    titles: Vec<String>,
    slogans: Vec<String>,
    nicknames: Vec<String>,
}

fn name_word_lists() -> &'static NameWordLists {
    static L: OnceLock<NameWordLists> = OnceLock::new();
    L.get_or_init(|| {
        toml::from_str(NAME_WORDS_TOML)
            .expect("lexicons/name_words.toml is valid (checked by tests)")
    })
}

fn phrase_list(src: &[String]) -> Vec<Vec<NameWord>> {
    let mut v: Vec<Vec<NameWord>> = src
        .iter()
        .map(|p| p.split_whitespace().map(NameWord::new).collect())
        .collect();
    v.sort_by_key(|p: &Vec<NameWord>| std::cmp::Reverse(p.len()));
    v
}

fn titles() -> &'static [Vec<NameWord>] {
    static T: OnceLock<Vec<Vec<NameWord>>> = OnceLock::new();
    T.get_or_init(|| phrase_list(&name_word_lists().titles))
}

fn slogan_words() -> &'static [Vec<NameWord>] {
    static T: OnceLock<Vec<Vec<NameWord>>> = OnceLock::new();
    T.get_or_init(|| phrase_list(&name_word_lists().slogans))
}

fn nickname_words() -> &'static [Vec<NameWord>] {
    static T: OnceLock<Vec<Vec<NameWord>>> = OnceLock::new();
    T.get_or_init(|| phrase_list(&name_word_lists().nicknames))
}

/// Length of the longest phrase of `list` at `words[at..]`.
fn phrase_at(list: &[Vec<NameWord>], words: &[NameWord], at: usize) -> usize {
    list.iter()
        .find(|p| at + p.len() <= words.len() && p.iter().zip(&words[at..]).all(|(a, b)| b.same(a)))
        .map_or(0, Vec::len)
}

/// The number of leading words that are titles ("Thầy giáo", "TS. BS.").
fn title_prefix(words: &[NameWord]) -> usize {
    let mut at = 0;
    loop {
        let n = phrase_at(titles(), words, at);
        if n == 0 {
            return at;
        }
        at += n;
    }
}

// --- Parsing ----------------------------------------------------------------------------

/// A display or legal name split into words, with its surname recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalName {
    pub words: Vec<NameWord>,
    /// Words of the surname at the start (0 when none was recognised).
    pub surname_len: usize,
    /// The name opens with an Ê Đê particle ("Y", "H'…"): given name, then family name last.
    pub particle: bool,
}

impl PersonalName {
    /// Splits a name into words (spaces and hyphens between letters separate words; a dot
    /// after an initial stays with it) and recognises its surname.
    pub fn parse(name: &str) -> PersonalName {
        let words: Vec<NameWord> = name
            .split(|c: char| c.is_whitespace() || c == '-')
            .filter(|w| !w.is_empty())
            .map(NameWord::new)
            .collect();
        let found = surname_at_start(&words);
        let particle = found.is_some_and(|(i, _)| {
            let s = &surnames()[i];
            s.prefix || (s.words.len() == 1 && s.words[0].plain == "y")
        });
        PersonalName {
            surname_len: found.map_or(0, |(_, n)| n),
            particle,
            words,
        }
    }

    pub fn surname(&self) -> &[NameWord] {
        &self.words[..self.surname_len.min(self.words.len())]
    }

    /// The given name: the last word (when there is more than the surname).
    pub fn given(&self) -> Option<&NameWord> {
        (self.words.len() > self.surname_len.max(1) || self.surname_len == 0)
            .then(|| self.words.last())
            .flatten()
    }

    /// The words between the surname and the given name.
    pub fn middle(&self) -> &[NameWord] {
        let end = self.words.len().saturating_sub(1);
        let start = self.surname_len.min(end);
        &self.words[start..end]
    }

    /// The role of word `i` in the legal order.
    fn role(&self, i: usize) -> Role {
        if self.particle {
            return if i + 1 == self.words.len() {
                Role::Surname
            } else {
                Role::Given
            };
        }
        let s = self.surname_len.max(1);
        if i < s {
            Role::Surname
        } else if i + 1 == self.words.len() {
            Role::Given
        } else {
            Role::Middle
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Surname,
    Middle,
    Given,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Surname => "surname",
            Role::Middle => "middle name",
            Role::Given => "given name",
        }
    }
}

// --- Shape: what a name cannot contain ------------------------------------------------

/// Latin letters as Vietnamese and minority names use them (not a decorative font or another
/// script).
fn is_name_letter(c: char) -> bool {
    c.is_ascii_alphabetic()
        || vietnamese::is_vietnamese_letter(c)
        || matches!(c as u32, 0xC0..=0x24F | 0x1E00..=0x1EFF) && c.is_alphabetic()
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ' | '‘' | '`')
}

/// Problems of a display name that no legal name can excuse: nothing there, digits, emoji,
/// symbols, a handle, a nickname in brackets or quotes, decorative letters.
fn intrinsic_problem(display: &str) -> Option<NameProblem> {
    let s: String = display.nfc().collect();
    let s = s.trim();
    if s.is_empty() || !s.chars().any(char::is_alphanumeric) {
        return Some(NameProblem::Missing);
    }
    // A handle: one token with dots, underscores or an @ between its characters, or letters
    // run into digits.
    if !s.contains(char::is_whitespace)
        && (s.starts_with('@')
            || s.chars().any(|c| c == '_')
            || s.trim_end_matches('.').contains('.') && !is_initials(s))
    {
        return Some(NameProblem::Handle(s.to_string()));
    }
    if let Some(nick) = bracketed(s) {
        return Some(NameProblem::Nickname(nick));
    }
    let with_digits: Vec<&str> = s
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_numeric))
        .collect();
    if !with_digits.is_empty() {
        let handle = !s.contains(char::is_whitespace) && s.chars().any(char::is_alphabetic);
        return Some(if handle {
            NameProblem::Handle(s.to_string())
        } else {
            NameProblem::NotALetterName(format!("digits (\"{}\")", with_digits.join(" ")))
        });
    }
    let mut other: Vec<char> = Vec::new();
    let mut decorative = false;
    for c in s.chars() {
        if c.is_whitespace() || is_apostrophe(c) || c == '-' || c == '.' {
            continue;
        }
        if c.is_alphabetic() {
            if !is_name_letter(c) && !other.contains(&c) {
                // A letter of a fancy font folds to a plain one under NFKC (𝓐, Ａ); a letter of
                // another script does not.
                let folded: String = c.to_string().nfkc().collect();
                decorative |= folded.chars().all(|f| f.is_ascii_alphabetic());
                other.push(c);
            }
        } else if unicode_mark(c) {
            continue;
        } else if !other.contains(&c) {
            other.push(c);
        }
    }
    if other.is_empty() {
        // A dot that is not after an initial ("Nguyễn.Văn An").
        return None;
    }
    let shown: String = other.iter().take(4).collect();
    let what = if decorative && other.iter().all(|c| c.is_alphabetic()) {
        format!("letters of a decorative font (\"{shown}\")")
    } else if other.iter().all(|c| c.is_alphabetic()) {
        format!("letters of another script (\"{shown}\")")
    } else if other.iter().any(|&c| is_emoji(c)) {
        format!("emoji or pictographs (\"{shown}\")")
    } else {
        format!("symbols (\"{shown}\")")
    };
    Some(NameProblem::NotALetterName(what))
}

/// A combining mark left after NFC (a stray accent on a letter that has no precomposed form).
fn unicode_mark(c: char) -> bool {
    matches!(c as u32, 0x300..=0x36F)
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0xFE0F | 0x200D)
}

/// "V." or "N.V.A.": initials with dots.
fn is_initials(s: &str) -> bool {
    s.split('.')
        .filter(|p| !p.is_empty())
        .all(|p| p.chars().count() == 1)
}

/// The text in brackets or quotes, with them ("(Bin)", "\"Tèo\"").
fn bracketed(s: &str) -> Option<String> {
    const PAIRS: [(char, char); 7] = [
        ('(', ')'),
        ('[', ']'),
        ('{', '}'),
        ('"', '"'),
        ('“', '”'),
        ('«', '»'),
        ('<', '>'),
    ];
    for (open, close) in PAIRS {
        if let Some(a) = s.find(open) {
            let rest = &s[a + open.len_utf8()..];
            let inner = rest.find(close).map_or(rest, |b| &rest[..b]);
            return Some(format!("{open}{}{close}", inner.trim()));
        }
    }
    // Single quotes around a word: 'Tèo' (an apostrophe inside a word, as in H'Hen, is not).
    for w in s.split_whitespace() {
        let chars: Vec<char> = w.chars().collect();
        if chars.len() > 2 && is_apostrophe(chars[0]) && is_apostrophe(chars[chars.len() - 1]) {
            return Some(w.to_string());
        }
    }
    None
}

fn join(words: &[&NameWord]) -> String {
    words
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An initial standing for a name part: a letter with a dot ("V."), a lone consonant (a lone
/// vowel is a syllable: "Y Moan Niê", "Hầu A Lềnh"), or initials run together ("H.T.").
fn is_initial(w: &NameWord) -> bool {
    let letters: Vec<char> = w.text.chars().filter(|c| c.is_alphabetic()).collect();
    match letters.len() {
        0 => false,
        1 => {
            w.text.ends_with('.')
                || (w.text.chars().count() == 1 && vietnamese::vowel(letters[0]).is_none())
        }
        // "H.T.", "N.V.A": initials run together with dots.
        _ => w.text.contains('.') && is_initials(&w.text),
    }
}

// --- Checks -----------------------------------------------------------------------------

/// The CS-1 check of a display name: against the legal name when one is known, else on its
/// own. `None` when the name is acceptable (see the module's policy).
pub fn check_name(display: &str, legal: Option<&str>) -> Option<NameProblem> {
    match legal.filter(|l| !l.trim().is_empty()) {
        Some(legal) => compare_with_legal(display, legal),
        None => check_display_name(display),
    }
}

/// Checks a display name on its own: letters only, a full name with a surname, no title, no
/// nickname.
pub fn check_display_name(display: &str) -> Option<NameProblem> {
    if let Some(p) = intrinsic_problem(display) {
        return Some(p);
    }
    let name = PersonalName::parse(display);
    let words = &name.words;
    if let Some(w) = words.iter().find(|w| is_initial(w)) {
        return Some(NameProblem::Abbreviated(w.text.clone()));
    }
    let titled = title_prefix(words);
    // A title counts unless the whole name is a surname-led name that happens to start with
    // a title word that is also a surname ("Ông Văn Dũng").
    if titled > 0 && !(name.surname_len > 0 && titled <= name.surname_len && words.len() >= 3) {
        return Some(NameProblem::TitleOnly(display.trim().to_string()));
    }
    let found = |list: &[Vec<NameWord>], i: usize| {
        let n = phrase_at(list, words, i);
        (n > 0).then_some((i, n))
    };
    if let Some((i, n)) = (0..words.len()).find_map(|i| found(slogan_words(), i)) {
        let shown = join(&words[i..i + n].iter().collect::<Vec<_>>());
        return Some(NameProblem::Nickname(format!("\"{shown}\"")));
    }
    if let Some((i, _)) = (0..words.len()).find_map(|i| found(nickname_words(), i)) {
        // A nickname word that is the given name of a surname-led name is accepted.
        if !(name.surname_len > 0 && words.len() >= 3 && i + 1 == words.len()) {
            return Some(NameProblem::Nickname(format!("\"{}\"", words[i].text)));
        }
    }
    if words.len() < 2 {
        return Some(NameProblem::NoSurname);
    }
    if name.surname_len > 0 || surname_at_end(words).is_some() {
        None
    } else {
        Some(NameProblem::NoSurname)
    }
}

/// Compares a display name with the legal name (CS-1) under the module's policy; the problem
/// names the difference.
pub fn compare_with_legal(display: &str, legal: &str) -> Option<NameProblem> {
    if let Some(p) = intrinsic_problem(display) {
        return Some(p);
    }
    let d = PersonalName::parse(display);
    let l = PersonalName::parse(legal);
    let dw = &d.words;
    let lw = &l.words;
    let lu = unmarked(lw);
    let same_seq = |a: &[NameWord], b: &[&NameWord]| {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_as_legal(y, lu))
    };
    let legal_order: Vec<&NameWord> = lw.iter().collect();
    if same_seq(dw, &legal_order) {
        return None;
    }
    // Western order: the surname (its lexicon length, or the first word) moved to the end.
    for s in [l.surname_len, 1] {
        if s == 0 || s >= lw.len() || l.particle {
            continue;
        }
        let western: Vec<&NameWord> = lw[s..].iter().chain(&lw[..s]).collect();
        if same_seq(dw, &western) {
            return None;
        }
    }
    Some(NameProblem::DiffersFromLegal {
        display: display.trim().to_string(),
        legal: legal.trim().to_string(),
        detail: difference(&d, &l),
    })
}

/// A name written without any diacritic.
fn unmarked(words: &[NameWord]) -> bool {
    !words.iter().any(|w| w.has_marks)
}

/// Names the difference between a display name and the legal name.
fn difference(d: &PersonalName, l: &PersonalName) -> String {
    let dw = &d.words;
    let lw = &l.words;
    let lu = unmarked(lw);
    let mut parts: Vec<String> = Vec::new();
    // Titles in front.
    let titled = {
        let t = title_prefix(dw);
        // Not when the legal name itself starts with those words ("Ông" is also a surname).
        if t > 0 && lw.len() >= t && dw[..t].iter().zip(lw).all(|(a, b)| a.same_as_legal(b, lu)) {
            0
        } else {
            t
        }
    };
    if titled > 0 {
        parts.push(format!(
            "adds the title \"{}\"",
            join(&dw[..titled].iter().collect::<Vec<_>>())
        ));
    }
    let rest = &dw[titled..];
    // Align: each legal word takes the first unused equal display word.
    let mut used = vec![false; rest.len()];
    let mut pos_of: Vec<Option<usize>> = Vec::with_capacity(lw.len());
    for w in lw {
        let found = (0..rest.len()).find(|&j| !used[j] && rest[j].same_as_legal(w, lu));
        if let Some(j) = found {
            used[j] = true;
        }
        pos_of.push(found);
    }
    if titled == 0 && pos_of.iter().all(Option::is_none) {
        return "shares no word with the legal name: another name altogether".into();
    }
    let missing: Vec<usize> = (0..lw.len()).filter(|&i| pos_of[i].is_none()).collect();
    let mut extra: Vec<usize> = (0..rest.len()).filter(|&j| !used[j]).collect();

    // Substitutions: a missing legal word and an extra display word in the same place.
    let mut replaced: Vec<(usize, usize)> = Vec::new();
    let mut still_missing: Vec<usize> = Vec::new();
    for &i in &missing {
        // The display position this legal word would have: after the previous matched word.
        let prev = (0..i).rev().find_map(|k| pos_of[k]);
        let want = prev.map_or(0, |p| p + 1);
        let next_bound = (i + 1..lw.len())
            .find_map(|k| pos_of[k])
            .unwrap_or(rest.len());
        let cand = extra.iter().position(|&j| j >= want && j < next_bound);
        match cand {
            Some(k) => {
                let j = extra.remove(k);
                replaced.push((i, j));
            }
            None => still_missing.push(i),
        }
    }
    for (i, j) in &replaced {
        let (lword, dword) = (&lw[*i], &rest[*j]);
        let role = l.role(*i);
        let why = if is_initial(dword) && lword.plain.chars().next() == dword.plain.chars().next() {
            parts.push(format!(
                "abbreviates the {} \"{}\" as \"{}\"",
                role.name(),
                lword.text,
                dword.text
            ));
            continue;
        } else if lword.plain == dword.plain {
            " (other diacritics)"
        } else if role == Role::Surname
            && surname_variants(std::slice::from_ref(lword), std::slice::from_ref(dword))
        {
            " (a regional variant of the family name, not the legal one)"
        } else {
            ""
        };
        parts.push(format!(
            "the {} is \"{}\" where the legal name has \"{}\"{why}",
            role.name(),
            dword.text,
            lword.text
        ));
    }
    if !still_missing.is_empty() {
        let mut by_role: Vec<String> = Vec::new();
        for role in [Role::Surname, Role::Middle, Role::Given] {
            let ws: Vec<&NameWord> = still_missing
                .iter()
                .filter(|&&i| l.role(i) == role)
                .map(|&i| &lw[i])
                .collect();
            if !ws.is_empty() {
                let plural = if ws.len() > 1 && role == Role::Middle {
                    "middle names"
                } else {
                    role.name()
                };
                by_role.push(format!("the {plural} \"{}\"", join(&ws)));
            }
        }
        parts.push(format!("leaves out {}", by_role.join(" and ")));
    }
    if !extra.is_empty() {
        let ws: Vec<&NameWord> = extra.iter().map(|&j| &rest[j]).collect();
        let nick = ws.iter().any(|w| {
            let one = [(*w).clone()];
            phrase_at(nickname_words(), &one, 0) > 0 || phrase_at(slogan_words(), &one, 0) > 0
        });
        parts.push(format!(
            "adds {}\"{}\"",
            if nick { "the nickname or slogan " } else { "" },
            join(&ws)
        ));
    }
    // Order of the words both have.
    let order: Vec<usize> = pos_of.iter().flatten().copied().collect();
    if order.windows(2).any(|w| w[0] > w[1]) {
        let given_first = l
            .words
            .len()
            .checked_sub(1)
            .and_then(|g| pos_of[g])
            .is_some_and(|g| order.iter().all(|&p| p >= g));
        let surname_last = pos_of
            .first()
            .copied()
            .flatten()
            .is_some_and(|s| order.iter().all(|&p| p <= s));
        parts.push(
            if given_first && surname_last && order.len() == lw.len() && lw.len() > 2 {
                "the words are in reverse order (only the surname may move to the end)".into()
            } else if given_first {
                "puts the given name first".into()
            } else {
                "has the words in another order (only the surname may move to the end)".into()
            },
        );
    }
    if parts.is_empty() {
        parts.push("the words differ".into());
    }
    parts.join("; ")
}

/// One pair of the name test set (`eval/names.jsonl`): is a `real_name` finding expected?
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct NameCase {
    pub legal_name: String,
    pub display_name: String,
    pub expect_finding: bool,
    #[serde(default)]
    pub note: String,
}

impl NameCase {
    /// The check's verdict on the pair, as the engine gives it.
    pub fn check(&self) -> Option<NameProblem> {
        check_name(&self.display_name, Some(&self.legal_name))
    }
}
#[cfg(test)]
mod tests;
