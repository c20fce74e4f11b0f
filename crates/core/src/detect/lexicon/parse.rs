//! The lexicon file format (`lexicons/README.md`): sets, entries, compounds and false friends,
//! read line by line into a [`LexiconDetector`], with errors that name the source and line.

use super::*;

/// Reads lexicon sources line by line.
#[derive(Default)]
pub(super) struct Parser {
    sets: HashMap<String, Vec<String>>,
    entries: Vec<Entry>,
    /// Marked key and category of each entry → its index, for replacement by later lines.
    by_key: HashMap<(String, Category), usize>,
    compounds: Vec<Compound>,
    parts: Vec<Part>,
    /// (Marked key, plain matching allowed) of each part → its index.
    part_keys: HashMap<(String, bool), u32>,
    false_friends: Vec<String>,
    ff_keys: HashSet<String>,
    /// Phrases that name a group or an identity (`@groups`).
    groups: Vec<String>,
    group_keys: HashSet<String>,
    homographs: rustc_hash::FxHashSet<String>,
}

/// The section a line belongs to.
#[derive(Clone, Copy)]
pub(super) enum Section {
    None,
    Category(Category),
    FalseFriends,
    Groups,
}

impl Parser {
    pub(super) fn source(&mut self, source: usize, text: &str) -> Result<(), LexiconError> {
        let mut section = Section::None;
        let mut default_score = 0.8f32;
        let mut default_flags = (true, false);
        for (n, raw) in text.lines().enumerate() {
            let err = |kind| LexiconError {
                source,
                line: n + 1,
                kind,
            };
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(d) = line.strip_prefix('@') {
                let (name, arg) = d.split_once(char::is_whitespace).unwrap_or((d, ""));
                let arg = arg.trim();
                match name {
                    "category" => {
                        let c: Category = arg
                            .parse()
                            .map_err(|_| err(LexiconErrorKind::UnknownCategory(arg.into())))?;
                        if !c.is_abusive_language() {
                            return Err(err(LexiconErrorKind::NotALexiconCategory(arg.into())));
                        }
                        section = Section::Category(c);
                        default_score = 0.8;
                        default_flags = (true, false);
                    }
                    "false_friends" => section = Section::FalseFriends,
                    "groups" => section = Section::Groups,
                    "score" => default_score = parse_score(arg).map_err(err)?,
                    "flags" => default_flags = parse_flags(arg, (true, false)).map_err(err)?,
                    "set" => self.define_set(arg).map_err(err)?,
                    "homographs" => {
                        for w in arg.split(',').map(str::trim).filter(|w| !w.is_empty()) {
                            let k = key_of(w).map_err(err)?;
                            self.homographs.insert(k.trim().to_string());
                        }
                    }
                    other => return Err(err(LexiconErrorKind::UnknownDirective(other.into()))),
                }
                continue;
            }
            let fields = split_top_level(line, '|');
            if fields.len() > 3 {
                return Err(err(LexiconErrorKind::TooManyFields));
            }
            let (phrase, score, flags) = (fields[0], fields.get(1), fields.get(2));
            let parts = split_top_level(phrase, '~');
            if parts.len() > MAX_PARTS {
                return Err(err(LexiconErrorKind::TooManyParts));
            }
            match section {
                Section::None => return Err(err(LexiconErrorKind::NoCategory)),
                Section::FalseFriends | Section::Groups => {
                    if score.is_some() || flags.is_some() {
                        return Err(err(LexiconErrorKind::PhraseListFields));
                    }
                    if parts.len() > 1 {
                        return Err(err(LexiconErrorKind::CompoundInPhraseList));
                    }
                    let (list, keys) = match section {
                        Section::Groups => (&mut self.groups, &mut self.group_keys),
                        _ => (&mut self.false_friends, &mut self.ff_keys),
                    };
                    for v in expand(phrase, &self.sets).map_err(err)? {
                        let marked = key_of(&v).map_err(err)?;
                        if keys.insert(marked) {
                            list.push(v);
                        }
                    }
                }
                Section::Category(category) => {
                    let score = match score.filter(|s| !s.is_empty()) {
                        Some(s) => parse_score(s).map_err(err)?,
                        None => default_score,
                    };
                    let (plain, context) = match flags {
                        Some(f) => parse_flags(f, default_flags).map_err(err)?,
                        None => default_flags,
                    };
                    if parts.len() > 1 {
                        self.compound(&parts, category, score, plain, context)
                            .map_err(err)?;
                        continue;
                    }
                    for v in expand(phrase, &self.sets).map_err(err)? {
                        let marked = key_of(&v).map_err(err)?;
                        let entry = Entry {
                            phrase: v,
                            category,
                            score,
                            plain,
                            context,
                        };
                        match self.by_key.get(&(marked.clone(), category)) {
                            // The first spelling stays the entry's name in reasons ("lồn",
                            // not a later "lozz" that normalises to it); the rest is replaced.
                            Some(&i) => {
                                let old = &mut self.entries[i];
                                old.score = entry.score;
                                old.plain = entry.plain;
                                old.context = entry.context;
                            }
                            None => {
                                self.by_key.insert((marked, category), self.entries.len());
                                self.entries.push(entry);
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    pub(super) fn compound(
        &mut self,
        parts: &[&str],
        category: Category,
        score: f32,
        plain: bool,
        context: bool,
    ) -> Result<(), LexiconErrorKind> {
        // A part with an empty alternative ("{toàn|đều|}") is optional: the line stands for
        // one compound with the part and one without it.
        let mut expanded = Vec::with_capacity(parts.len());
        for part in parts {
            let mut variants = expand(part, &self.sets)?;
            let optional = variants.iter().any(String::is_empty);
            variants.retain(|v| !v.is_empty());
            if variants.is_empty() {
                return Err(LexiconErrorKind::EmptyPhrase);
            }
            expanded.push((variants, optional));
        }
        for dropped in 0u32..1 << parts.len() {
            let keep = |i: usize| dropped & (1 << i) == 0;
            if (0..parts.len()).any(|i| !keep(i) && !expanded[i].1)
                || dropped.count_ones() as usize == parts.len()
            {
                continue;
            }
            let id = self.compounds.len() as u32;
            let kept: Vec<usize> = (0..parts.len()).filter(|&i| keep(i)).collect();
            for (at, &i) in kept.iter().enumerate() {
                for v in &expanded[i].0 {
                    let marked = key_of(v)?;
                    let next = self.parts.len() as u32;
                    let p = *self.part_keys.entry((marked, plain)).or_insert(next);
                    if p == next {
                        self.parts.push(Part {
                            phrase: v.clone(),
                            plain,
                            uses: Vec::new(),
                        });
                    }
                    let uses = &mut self.parts[p as usize].uses;
                    if !uses.contains(&(id, at as u8)) {
                        uses.push((id, at as u8));
                    }
                }
            }
            self.compounds.push(Compound {
                pattern: kept
                    .iter()
                    .map(|&i| parts[i])
                    .collect::<Vec<_>>()
                    .join(" ~ "),
                category,
                score,
                plain,
                context,
                parts: kept.len(),
            });
        }
        Ok(())
    }

    pub(super) fn define_set(&mut self, arg: &str) -> Result<(), LexiconErrorKind> {
        let (name, members) = arg
            .split_once('=')
            .ok_or(LexiconErrorKind::BadSetDefinition)?;
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Err(LexiconErrorKind::BadSetDefinition);
        }
        let mut all = Vec::new();
        for m in members.split(',') {
            let m = m.trim();
            if m.is_empty() {
                return Err(LexiconErrorKind::BadSetDefinition);
            }
            all.extend(expand(m, &self.sets)?);
        }
        self.sets.insert(name.to_string(), all);
        Ok(())
    }

    pub(super) fn finish(self) -> LexiconDetector {
        let n = self.entries.len() + self.false_friends.len() + self.parts.len();
        let mut phrases = Vec::with_capacity(n);
        let mut roles = Vec::with_capacity(n);
        for (i, e) in self.entries.iter().enumerate() {
            phrases.push((e.phrase.as_str(), plain_matching(e.plain)));
            roles.push(Role::Entry(i as u32));
        }
        for ff in &self.false_friends {
            phrases.push((ff.as_str(), PlainMatching::Allowed));
            roles.push(Role::FalseFriend);
        }
        for (i, p) in self.parts.iter().enumerate() {
            phrases.push((p.phrase.as_str(), plain_matching(p.plain)));
            roles.push(Role::Part(i as u32));
        }
        let groups = PhraseMatcher::new(
            self.groups
                .iter()
                .map(|g| (g.as_str(), PlainMatching::Allowed)),
        );
        LexiconDetector {
            matcher: PhraseMatcher::new(phrases),
            groups,
            roles,
            false_friends: self.false_friends.len(),
            entries: self.entries,
            compounds: self.compounds,
            parts: self.parts,
            homographs: self.homographs,
        }
    }
}

pub(super) fn plain_matching(allowed: bool) -> PlainMatching {
    if allowed {
        PlainMatching::Allowed
    } else {
        PlainMatching::Forbidden
    }
}

/// The marked key of a phrase, or an error if it has no word.
pub(super) fn key_of(phrase: &str) -> Result<String, LexiconErrorKind> {
    let (marked, _) = phrase_keys(phrase);
    if marked.is_empty() {
        Err(LexiconErrorKind::EmptyPhrase)
    } else {
        Ok(marked)
    }
}

/// Splits a line on `sep` where it is not inside `{…}`, trimming the pieces.
pub(super) fn split_top_level(line: &str, sep: char) -> Vec<&str> {
    let mut depth = 0i32;
    let mut start = 0;
    let mut fields = Vec::with_capacity(3);
    for (i, c) in line.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            c if c == sep && depth == 0 => {
                fields.push(line[start..i].trim());
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    fields.push(line[start..].trim());
    fields
}

pub(super) fn parse_score(s: &str) -> Result<f32, LexiconErrorKind> {
    match s.trim().parse::<f32>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(LexiconErrorKind::BadScore(s.trim().into())),
    }
}

/// Parses `marked, context` into (plain allowed, context), starting from `default`.
pub(super) fn parse_flags(
    s: &str,
    default: (bool, bool),
) -> Result<(bool, bool), LexiconErrorKind> {
    let (mut plain, mut context) = default;
    for f in s.split([',', ' ']).map(str::trim).filter(|f| !f.is_empty()) {
        match f {
            "marked" => plain = false,
            "plain" => plain = true,
            "context" => context = true,
            other => return Err(LexiconErrorKind::UnknownFlag(other.into())),
        }
    }
    Ok((plain, context))
}

/// Expands `{set}` references and `{a|b|}` alternatives (an empty alternative makes a part
/// optional) into every phrase the pattern stands for, with spaces collapsed.
pub(super) fn expand(
    pattern: &str,
    sets: &HashMap<String, Vec<String>>,
) -> Result<Vec<String>, LexiconErrorKind> {
    let mut out = vec![String::new()];
    let mut rest = pattern;
    while !rest.is_empty() {
        match rest.find(['{', '}']) {
            None => {
                for o in &mut out {
                    o.push_str(rest);
                }
                break;
            }
            Some(i) if rest.as_bytes()[i] == b'}' => {
                return Err(LexiconErrorKind::UnbalancedBraces)
            }
            Some(i) => {
                let lit = &rest[..i];
                let close = rest[i..]
                    .find('}')
                    .map(|j| i + j)
                    .ok_or(LexiconErrorKind::UnbalancedBraces)?;
                let inner = &rest[i + 1..close];
                if inner.contains('{') {
                    return Err(LexiconErrorKind::UnbalancedBraces);
                }
                let owned: Vec<String>;
                let alts: &[String] = if inner.contains('|') {
                    owned = inner.split('|').map(|a| a.trim().to_string()).collect();
                    &owned
                } else {
                    sets.get(inner.trim())
                        .ok_or_else(|| LexiconErrorKind::UnknownSet(inner.trim().into()))?
                };
                if out.len().saturating_mul(alts.len()) > MAX_VARIANTS {
                    return Err(LexiconErrorKind::TooManyVariants);
                }
                let mut next = Vec::with_capacity(out.len() * alts.len());
                for o in &out {
                    for a in alts {
                        let mut s = String::with_capacity(o.len() + lit.len() + a.len() + 1);
                        s.push_str(o);
                        s.push_str(lit);
                        s.push(' ');
                        s.push_str(a);
                        s.push(' ');
                        next.push(s);
                    }
                }
                out = next;
                rest = &rest[close + 1..];
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect())
}
