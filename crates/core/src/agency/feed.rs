//! A bounded reader of RSS 2.0 and Atom feeds, the form in which official portals publish
//! their news.
//!
//! The reader is a small hand-written XML scanner rather than a full parser: a feed is shallow,
//! we only need the text of a handful of elements, and owning the scanner lets us guarantee
//! that no input panics and that work is bounded by the input size. It handles elements,
//! attributes, CDATA, comments, processing instructions, a DOCTYPE and character references;
//! namespaces are ignored by matching local names (`content:encoded` → `encoded`).

use super::calendar::{CivilDate, DateTimeVn};
use std::fmt;

/// Limits on what a feed may hold, so that a hostile portal cannot exhaust memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedLimits {
    pub max_bytes: usize,
    pub max_items: usize,
}

impl Default for FeedLimits {
    fn default() -> Self {
        FeedLimits {
            max_bytes: 5 * 1024 * 1024,
            max_items: 1000,
        }
    }
}

/// Why a feed was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FeedError {
    TooLarge {
        bytes: usize,
        limit: usize,
    },
    TooManyItems {
        limit: usize,
    },
    /// Only UTF-8 feeds are read (every Vietnamese portal we know serves UTF-8).
    NotUtf8,
    /// The document has neither an RSS `<channel>` nor an Atom `<feed>`.
    NotAFeed,
}

impl fmt::Display for FeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeedError::TooLarge { bytes, limit } => {
                write!(
                    f,
                    "feed of {bytes} bytes exceeds the limit of {limit} bytes"
                )
            }
            FeedError::TooManyItems { limit } => write!(f, "feed has more than {limit} items"),
            FeedError::NotUtf8 => f.write_str("feed is not valid UTF-8"),
            FeedError::NotAFeed => f.write_str("document is neither RSS 2.0 nor Atom"),
        }
    }
}

impl std::error::Error for FeedError {}

/// One article of a portal feed, its text stripped of HTML.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Article {
    pub title: String,
    pub url: String,
    /// Publication time as a Unix timestamp, when the feed gives a parseable one.
    pub published: Option<i64>,
    /// Summary and content, as plain text.
    pub text: String,
}

/// A parsed feed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Feed {
    pub title: String,
    pub articles: Vec<Article>,
}

/// Parses an RSS 2.0 or Atom document with the default limits.
pub fn parse_feed(bytes: &[u8]) -> Result<Feed, FeedError> {
    parse_feed_with(bytes, FeedLimits::default())
}

/// Which field of an item the text being read belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    Link,
    Date,
    Summary,
    Content,
}

fn field_of(local: &str) -> Option<Field> {
    Some(match local {
        "title" => Field::Title,
        "link" | "guid" => Field::Link,
        "pubdate" | "published" | "updated" | "date" => Field::Date,
        "description" | "summary" => Field::Summary,
        "encoded" | "content" => Field::Content,
        _ => return None,
    })
}

#[derive(Default)]
struct ItemBuilder {
    title: String,
    link: String,
    guid_link: String,
    date: String,
    summary: String,
    content: String,
}

impl ItemBuilder {
    fn finish(self) -> Article {
        let url = if self.link.trim().is_empty() {
            self.guid_link
        } else {
            self.link
        };
        let body = if self.content.trim().is_empty() {
            self.summary
        } else if self.summary.trim().is_empty() {
            self.content
        } else {
            format!("{}\n{}", self.summary, self.content)
        };
        Article {
            title: collapse_ws(&strip_html(&self.title)),
            url: url.trim().to_string(),
            published: parse_feed_date(self.date.trim()),
            text: collapse_ws(&strip_html(&body)),
        }
    }
}

/// Parses a feed with explicit limits.
pub fn parse_feed_with(bytes: &[u8], limits: FeedLimits) -> Result<Feed, FeedError> {
    if bytes.len() > limits.max_bytes {
        return Err(FeedError::TooLarge {
            bytes: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| FeedError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);

    let mut feed = Feed::default();
    let mut seen_root = false;
    // Local names of the open elements.
    let mut stack: Vec<String> = Vec::new();
    // Depth at which the current item/entry was opened.
    let mut item_depth: Option<usize> = None;
    let mut item = ItemBuilder::default();
    // The field being read and the depth of its element.
    let mut field: Option<(Field, usize, bool)> = None;
    let mut feed_title_depth: Option<usize> = None;

    let mut rest = text;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            append_text(&mut item, field, &mut feed, feed_title_depth, rest, true);
            break;
        };
        if lt > 0 {
            append_text(
                &mut item,
                field,
                &mut feed,
                feed_title_depth,
                &rest[..lt],
                true,
            );
        }
        rest = &rest[lt..];
        if let Some(r) = rest.strip_prefix("<!--") {
            rest = r.find("-->").map_or("", |i| &r[i + 3..]);
        } else if let Some(r) = rest.strip_prefix("<![CDATA[") {
            let end = r.find("]]>").unwrap_or(r.len());
            append_text(
                &mut item,
                field,
                &mut feed,
                feed_title_depth,
                &r[..end],
                false,
            );
            rest = r.get(end + 3..).unwrap_or("");
        } else if let Some(r) = rest.strip_prefix("<?") {
            rest = r.find("?>").map_or("", |i| &r[i + 2..]);
        } else if rest.starts_with("<!") {
            rest = skip_declaration(rest);
        } else if let Some(r) = rest.strip_prefix("</") {
            let end = r.find('>').unwrap_or(r.len());
            let local = local_name(r[..end].trim()).to_ascii_lowercase();
            rest = r.get(end + 1..).unwrap_or("");
            // Close up to the matching element; a stray end tag is ignored.
            if let Some(pos) = stack.iter().rposition(|n| *n == local) {
                stack.truncate(pos);
                let depth = stack.len();
                if field.is_some_and(|(_, d, _)| d >= depth) {
                    field = None;
                }
                if feed_title_depth.is_some_and(|d| d >= depth) {
                    feed_title_depth = None;
                }
                if item_depth.is_some_and(|d| d >= depth) {
                    item_depth = None;
                    if feed.articles.len() >= limits.max_items {
                        return Err(FeedError::TooManyItems {
                            limit: limits.max_items,
                        });
                    }
                    feed.articles.push(std::mem::take(&mut item).finish());
                }
            }
        } else {
            let r = &rest[1..];
            let end = tag_end(r);
            let tag = &r[..end];
            rest = r.get(end + 1..).unwrap_or("");
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let name_end = tag.find(|c: char| c.is_whitespace()).unwrap_or(tag.len());
            let local = local_name(&tag[..name_end]).to_ascii_lowercase();
            let attrs = &tag[name_end..];
            if local.is_empty() {
                continue;
            }
            let depth = stack.len();
            match local.as_str() {
                "channel" | "feed" => seen_root = true,
                "item" | "entry" if item_depth.is_none() => {
                    item_depth = Some(depth);
                    item = ItemBuilder::default();
                }
                _ => {}
            }
            if let Some(idepth) = item_depth {
                if depth == idepth + 1 && field.is_none() {
                    if let Some(f) = field_of(&local) {
                        // Atom links carry the URL in `href`; the alternate one is the article.
                        if local == "link" {
                            if let Some(href) = attr(attrs, "href") {
                                let rel = attr(attrs, "rel").unwrap_or_default();
                                if (rel.is_empty() || rel == "alternate") && item.link.is_empty() {
                                    item.link = href;
                                }
                            }
                        }
                        // An RSS guid is a link only when it says so (or by default).
                        let is_guid = local == "guid";
                        if !self_closing {
                            let is_permalink =
                                attr(attrs, "ispermalink").is_none_or(|v| v != "false");
                            field = if is_guid && !is_permalink {
                                None
                            } else {
                                Some((f, depth, is_guid))
                            };
                        }
                    }
                }
            } else if local == "title" && feed_title_depth.is_none() && feed.title.is_empty() {
                feed_title_depth = (!self_closing).then_some(depth);
            }
            if !self_closing {
                stack.push(local);
            }
        }
    }
    if !seen_root {
        return Err(FeedError::NotAFeed);
    }
    Ok(feed)
}

fn append_text(
    item: &mut ItemBuilder,
    field: Option<(Field, usize, bool)>,
    feed: &mut Feed,
    feed_title_depth: Option<usize>,
    raw: &str,
    decode: bool,
) {
    let owned;
    let text = if decode {
        owned = decode_entities(raw);
        owned.as_str()
    } else {
        raw
    };
    match field {
        Some((Field::Title, _, _)) => item.title.push_str(text),
        Some((Field::Link, _, true)) => item.guid_link.push_str(text),
        Some((Field::Link, _, false)) => item.link.push_str(text),
        Some((Field::Date, _, _)) => item.date.push_str(text),
        Some((Field::Summary, _, _)) => item.summary.push_str(text),
        Some((Field::Content, _, _)) => item.content.push_str(text),
        None if feed_title_depth.is_some() => feed.title.push_str(text.trim()),
        None => {}
    }
}

/// Skips `<!DOCTYPE …>` including an internal subset in brackets.
fn skip_declaration(s: &str) -> &str {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '>' if depth <= 0 => return &s[i + 1..],
            _ => {}
        }
    }
    ""
}

/// The byte index of the `>` closing a start tag, skipping quoted attribute values.
fn tag_end(s: &str) -> usize {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return i,
            _ => {}
        }
    }
    s.len()
}

fn local_name(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// The decoded value of attribute `name` (case-insensitive, prefix ignored).
fn attr(attrs: &str, name: &str) -> Option<String> {
    let mut s = attrs;
    loop {
        s = s.trim_start();
        let eq = s.find('=')?;
        let key = local_name(s[..eq].trim()).to_ascii_lowercase();
        let after = s[eq + 1..].trim_start();
        let quote = after.chars().next()?;
        let (value, next) = if quote == '"' || quote == '\'' {
            let body = &after[1..];
            let end = body.find(quote).unwrap_or(body.len());
            (&body[..end], body.get(end + 1..).unwrap_or(""))
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        if key == name {
            return Some(decode_entities(value));
        }
        s = next;
    }
}

/// Decodes XML character and entity references, and the common HTML ones portals double-
/// encode into their descriptions. Unknown references are kept as written.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let semi = rest[1..].find(';').map(|i| i + 1).filter(|&i| i <= 12);
        let decoded = semi.and_then(|i| {
            let name = &rest[1..i];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                "ndash" => Some('–'),
                "mdash" => Some('—'),
                "hellip" => Some('…'),
                "laquo" => Some('«'),
                "raquo" => Some('»'),
                "ldquo" => Some('“'),
                "rdquo" => Some('”'),
                _ => {
                    let num = name.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(code)
                }
            }?;
            Some((c, i + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Removes HTML tags (and the content of `script`/`style`), decoding entities; block tags
/// become spaces so that words of adjacent paragraphs do not merge.
pub fn strip_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let r = &rest[lt + 1..];
        // A `<` not followed by a tag name is text ("a < b").
        if !r.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!') {
            out.push('<');
            rest = r;
            continue;
        }
        let end = tag_end(r);
        let name: String = r
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        rest = r.get(end + 1..).unwrap_or("");
        if (name == "script" || name == "style") && !r.starts_with('/') {
            let close = format!("</{name}");
            let lower = rest.to_ascii_lowercase();
            rest = match lower.find(&close) {
                Some(i) => rest[i..].find('>').map_or("", |j| &rest[i + j + 1..]),
                None => "",
            };
        }
        out.push(' ');
    }
    out.push_str(rest);
    decode_entities(&out)
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Parses an RFC 822 (RSS `pubDate`) or RFC 3339 (Atom) date-time to a Unix timestamp.
pub fn parse_feed_date(s: &str) -> Option<i64> {
    parse_rfc3339(s).or_else(|| parse_rfc822(s))
}

fn num<T: std::str::FromStr>(s: &str) -> Option<T> {
    s.parse().ok()
}

fn parse_rfc3339(s: &str) -> Option<i64> {
    // 2024-03-12T08:30:00+07:00, 2024-03-12T01:30:00Z, 2024-03-12
    let date = s.get(..10)?;
    let mut parts = date.split('-');
    let (y, m, d) = (
        num(parts.next()?)?,
        num(parts.next()?)?,
        num(parts.next()?)?,
    );
    let day = CivilDate::new(y, m, d).ok()?;
    let rest = s.get(10..)?;
    let midnight = (day.jdn() - 2_440_588) * 86_400;
    if rest.is_empty() {
        return Some(midnight - 7 * 3600);
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let (h, mi) = (num::<i64>(rest.get(..2)?)?, num::<i64>(rest.get(3..5)?)?);
    let mut tail = &rest[5..];
    let mut sec = 0i64;
    if let Some(t) = tail.strip_prefix(':') {
        sec = num(t.get(..2)?)?;
        tail = &t[2..];
        if let Some(t) = tail.strip_prefix('.') {
            tail = t.trim_start_matches(|c: char| c.is_ascii_digit());
        }
    }
    let offset = parse_offset(tail)?;
    (h < 24 && mi < 60 && sec < 61).then_some(midnight + h * 3600 + mi * 60 + sec - offset)
}

fn parse_offset(s: &str) -> Option<i64> {
    let s = s.trim();
    match s {
        "Z" | "z" | "GMT" | "UT" | "UTC" => return Some(0),
        "" => return Some(7 * 3600),
        _ => {}
    }
    let sign = match s.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let digits: String = s[1..].chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 4 {
        return None;
    }
    Some(sign * (num::<i64>(&digits[..2])? * 3600 + num::<i64>(&digits[2..])? * 60))
}

fn parse_rfc822(s: &str) -> Option<i64> {
    // Tue, 12 Mar 2024 08:30:00 +0700
    let s = s.split_once(',').map_or(s, |(_, r)| r).trim();
    let mut it = s.split_whitespace();
    let d: u32 = num(it.next()?)?;
    let m = match it.next()?.get(..3)?.to_ascii_lowercase().as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    let mut y: i32 = num(it.next()?)?;
    if y < 100 {
        y += 2000;
    }
    let day = CivilDate::new(y, m, d).ok()?;
    let time = it.next().unwrap_or("00:00");
    let mut tp = time.split(':');
    let h: i64 = num(tp.next()?)?;
    let mi: i64 = num(tp.next()?)?;
    let sec: i64 = tp.next().and_then(num).unwrap_or(0);
    let offset = parse_offset(it.next().unwrap_or("GMT"))?;
    let local = DateTimeVn::new(day, 0, 0).ok()?.to_unix() + 7 * 3600;
    (h < 24 && mi < 60 && sec < 61).then_some(local + h * 3600 + mi * 60 + sec - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rss_with_cdata_and_entities() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Cổng TTĐT tỉnh</title>
<item><title>Hỗ trợ 1,5 tỷ đồng &amp; vật tư</title><link>https://example.gov.vn/a1</link>
<pubDate>Tue, 12 Mar 2024 08:30:00 +0700</pubDate>
<description><![CDATA[<p>UBND tỉnh <b>hỗ trợ</b> 1,5 tỷ đồng.</p><script>x()</script>]]></description>
</item></channel></rss>"#;
        let feed = parse_feed(xml.as_bytes()).unwrap();
        assert_eq!(feed.title, "Cổng TTĐT tỉnh");
        let a = &feed.articles[0];
        assert_eq!(a.title, "Hỗ trợ 1,5 tỷ đồng & vật tư");
        assert_eq!(a.url, "https://example.gov.vn/a1");
        assert_eq!(a.text, "UBND tỉnh hỗ trợ 1,5 tỷ đồng.");
        assert_eq!(a.published, Some(1_710_207_000));
    }

    #[test]
    fn reads_atom() {
        let xml = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>Bộ</title>
<entry><title type="html">Quyết định 874/QĐ-BTTTT</title>
<link rel="alternate" href="https://example.gov.vn/b?x=1&amp;y=2"/>
<published>2024-03-12T01:30:00Z</published>
<content type="html">&lt;p&gt;Nội dung&lt;/p&gt;</content></entry></feed>"#;
        let feed = parse_feed(xml.as_bytes()).unwrap();
        let a = &feed.articles[0];
        assert_eq!(a.url, "https://example.gov.vn/b?x=1&y=2");
        assert_eq!(a.text, "Nội dung");
        assert_eq!(a.published, Some(1_710_207_000));
    }

    #[test]
    fn refuses_oversized_and_non_feeds() {
        let limits = FeedLimits {
            max_bytes: 10,
            max_items: 1,
        };
        assert_eq!(
            parse_feed_with(b"<rss><channel></channel></rss>", limits),
            Err(FeedError::TooLarge {
                bytes: 30,
                limit: 10
            })
        );
        assert_eq!(
            parse_feed(b"<html><body/></html>"),
            Err(FeedError::NotAFeed)
        );
        assert_eq!(parse_feed(&[0xff, 0xfe]), Err(FeedError::NotUtf8));
        let two = b"<rss><channel><item><title>a</title></item><item></item></channel></rss>";
        let limits = FeedLimits {
            max_bytes: 1000,
            max_items: 1,
        };
        assert_eq!(
            parse_feed_with(two, limits),
            Err(FeedError::TooManyItems { limit: 1 })
        );
    }
}
