//! AG-6: public consultations on draft policies.
//!
//! An agency officer (or an admin) opens a consultation with a closing time. Anyone with a
//! token comments until it closes; each comment passes the content checks as a citizen's post
//! and is stored as written and masked; only the masked text is ever shown or exported. A
//! comment with a violation other than personal data is *stored but withheld*
//! (`quytac_core::workflow::text::withheld_from_public`): not published, the commenter told
//! why, the agency still sees it (masked) in the CSV export. Each comment has a stance chosen
//! by the commenter or read by the classifier; the summary counts published comments by
//! stance with their most frequent points.

use crate::vn_time::vn_string;
use crate::{Actor, ErrorKind, Result, Service, ServiceError};
use quytac_core::agency::{classify_stance, frequent_points, CivilDate, DateTimeVn, Stance};
use quytac_core::item::{Author, Item, Post, Role as AuthorRole};
use quytac_core::workflow::agency::may_act_for;
use quytac_core::workflow::consultation::{status_at, ConsultationPhase, StanceSource};
use quytac_core::workflow::text::{validate, withheld_from_public, TextBounds};
use quytac_store::consultations::{
    Consultation, ConsultationComment, NewConsultation, NewConsultationComment,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// The longest comment, in characters.
const MAX_COMMENT: usize = 5000;
/// The longest a consultation may run, and the furthest ahead it may open.
const MAX_OPEN_MS: i64 = 366 * 24 * 3600 * 1000;
const MAX_TITLE: usize = 300;
const MAX_SUMMARY: usize = 5000;
/// Points shown per stance group.
const POINTS_PER_STANCE: usize = 5;

/// A time as clients may send it: Unix milliseconds, or text — `YYYY-MM-DD` (the end of that
/// day in Vietnam), `YYYY-MM-DDTHH:MM[:SS]` (Vietnam time), or either with `Z` / `±HH:MM`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum TimeField {
    Ms(i64),
    Text(String),
}

/// Unix ms of a [`TimeField`].
pub fn parse_time(field: &str, t: &TimeField) -> Result<i64> {
    let bad = || {
        ServiceError::invalid_field(format!(
            "`{field}`: expected Unix milliseconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM (Vietnam time unless an offset is given)"
        ))
    };
    let s = match t {
        TimeField::Ms(ms) if *ms > 0 => return Ok(*ms),
        TimeField::Ms(_) => return Err(bad()),
        TimeField::Text(s) => s.trim(),
    };
    let num = |x: &str| {
        x.parse::<u32>()
            .ok()
            .filter(|_| x.bytes().all(|b| b.is_ascii_digit()))
    };
    let (date, rest) = s.split_at(s.find('T').unwrap_or(s.len()));
    let mut d = date.split('-');
    let (Some(y), Some(m), Some(dd), None) = (d.next(), d.next(), d.next(), d.next()) else {
        return Err(bad());
    };
    let (Some(y), Some(m), Some(dd)) = (num(y), num(m), num(dd)) else {
        return Err(bad());
    };
    let date = CivilDate::new(y as i32, m, dd).map_err(|_| bad())?;
    if rest.is_empty() {
        // The whole day counts: closes at the next midnight, Vietnam time.
        let next = date.add_days(1).ok_or_else(bad)?;
        return Ok(DateTimeVn::new(next, 0, 0).map_err(|_| bad())?.to_unix() * 1000);
    }
    let rest = &rest[1..];
    let (clock, offset_min) = if let Some(c) = rest.strip_suffix('Z') {
        (c, Some(0i64))
    } else if let Some(i) = rest.rfind(['+', '-']) {
        let (c, o) = rest.split_at(i);
        let sign = if o.starts_with('-') { -1 } else { 1 };
        let (oh, om) = o[1..].split_once(':').ok_or_else(bad)?;
        let (oh, om) = (num(oh).ok_or_else(bad)?, num(om).ok_or_else(bad)?);
        (c, Some(sign * i64::from(oh * 60 + om)))
    } else {
        (rest, None)
    };
    let mut parts = clock.split(':');
    let (Some(h), Some(mi)) = (parts.next().and_then(num), parts.next().and_then(num)) else {
        return Err(bad());
    };
    let sec = match parts.next() {
        Some(x) => num(x).filter(|s| *s < 60).ok_or_else(bad)?,
        None => 0,
    };
    if parts.next().is_some() {
        return Err(bad());
    }
    let local = DateTimeVn::new(date, h, mi).map_err(|_| bad())?.to_unix();
    // `local` read the clock as Vietnam time (UTC+7); another offset shifts it.
    let secs = match offset_min {
        None => local,
        Some(off) => local + 7 * 3600 - off * 60,
    };
    Ok((secs + i64::from(sec)) * 1000)
}

/// Open a consultation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenConsultation {
    pub title: String,
    pub summary: String,
    pub closes_at: TimeField,
    #[serde(default)]
    pub opens_at: Option<TimeField>,
    #[serde(default)]
    pub draft_text: Option<String>,
    #[serde(default)]
    pub document_number: Option<String>,
}

/// Comment on a consultation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentOn {
    pub text: String,
    /// The commenter's own stance; when absent the classifier reads it from the text.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub stance: Option<Stance>,
}

/// A consultation as shown; `status` follows from its times.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsultationView {
    pub id: i64,
    pub agency_id: String,
    pub title: String,
    pub summary: String,
    pub draft_text: Option<String>,
    pub document_number: Option<String>,
    pub opens_at: i64,
    pub opens_at_local: String,
    pub closes_at: i64,
    pub closes_at_local: String,
    pub status: ConsultationPhase,
    pub created_at: i64,
}

impl ConsultationView {
    pub fn at(c: &Consultation, now: i64) -> Self {
        ConsultationView {
            id: c.id,
            agency_id: c.agency_id.clone(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            draft_text: c.draft_text.clone(),
            document_number: c.document_number.clone(),
            opens_at: c.opens_at,
            opens_at_local: vn_string(c.opens_at),
            closes_at: c.closes_at,
            closes_at_local: vn_string(c.closes_at),
            status: status_at(c.status, c.opens_at, c.closes_at, now),
            created_at: c.created_at,
        }
    }
}

/// A comment as the public sees it: masked text, no author, no findings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommentView {
    pub id: i64,
    pub text: String,
    /// `support`, `oppose` or `suggest`.
    pub stance: String,
    /// `commenter` or `classifier`.
    pub stance_source: String,
    pub created_at: i64,
    pub created_at_local: String,
}

impl From<&ConsultationComment> for CommentView {
    fn from(k: &ConsultationComment) -> Self {
        CommentView {
            id: k.id,
            text: k.masked_text.clone(),
            stance: k.stance.as_str().into(),
            stance_source: k.stance_source.as_str().into(),
            created_at: k.created_at,
            created_at_local: vn_string(k.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsultationOpened {
    pub consultation: ConsultationView,
}

/// A consultation with its published comments.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsultationShown {
    pub consultation: ConsultationView,
    pub comments: Vec<CommentView>,
    /// How many comments are withheld from the public.
    pub withheld: usize,
}

/// A comment as its author is told of it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommentAdded {
    #[serde(flatten)]
    pub comment: CommentView,
    pub published: bool,
    pub verdict: String,
    /// What was found (rule, category, severity), never where or the words.
    #[schema(value_type = Vec<Object>)]
    pub findings: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withheld_because: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommentFiled {
    pub comment: CommentAdded,
}

/// The published comments of one stance.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StanceGroup {
    pub stance: String,
    pub name_vi: String,
    pub count: usize,
    pub chosen_by_commenter: usize,
    pub classified: usize,
    /// The most frequent points of the group.
    #[schema(value_type = Vec<Object>)]
    pub points: Value,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsultationSummary {
    pub consultation: ConsultationView,
    pub total: usize,
    pub published: usize,
    pub withheld: usize,
    pub by_stance: Vec<StanceGroup>,
}

/// What was found in a comment, never where or the words (those may be personal data).
fn findings_view(check: &Value) -> Value {
    let findings: Vec<Value> = check["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    let mut m = serde_json::Map::new();
                    for k in ["rule", "category", "severity"] {
                        m.insert(k.into(), f[k].clone());
                    }
                    Value::Object(m)
                })
                .collect()
        })
        .unwrap_or_default();
    Value::Array(findings)
}

/// A cell a spreadsheet would run as a formula gets a leading apostrophe.
fn csv_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn closed(message: String) -> ServiceError {
    ServiceError::new(ErrorKind::ConsultationClosed, message)
}

impl Service {
    async fn consultation_or_404(&self, id: i64) -> Result<Consultation> {
        self.store
            .consultation(id)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("consultation {id} not found")))
    }

    /// An admin or an officer of the agency opens a consultation.
    pub async fn open_consultation(
        &self,
        actor: &Actor,
        agency_id: &str,
        cmd: OpenConsultation,
    ) -> Result<ConsultationOpened> {
        let now = quytac_store::now_ms();
        let title = validate("title", &cmd.title, TextBounds::line(MAX_TITLE, true))?;
        let summary = validate(
            "summary",
            &cmd.summary,
            TextBounds::prose(MAX_SUMMARY, true),
        )?;
        let closes_at = parse_time("closes_at", &cmd.closes_at)?;
        let opens_at = match &cmd.opens_at {
            Some(t) => parse_time("opens_at", t)?,
            None => now,
        };
        if closes_at <= now {
            return Err(ServiceError::invalid_field(
                "`closes_at` must be in the future",
            ));
        }
        if closes_at <= opens_at {
            return Err(ServiceError::invalid_field(
                "`closes_at` must be after `opens_at`",
            ));
        }
        if closes_at - opens_at > MAX_OPEN_MS || opens_at - now > MAX_OPEN_MS {
            return Err(ServiceError::invalid_field(
                "a consultation opens within a year and runs for at most a year",
            ));
        }
        self.agency_or_404(agency_id).await?;
        may_act_for(actor, agency_id)?;
        let (c, events) = self
            .store
            .create_consultation(
                &NewConsultation {
                    agency_id: agency_id.to_string(),
                    title,
                    summary,
                    draft_text: cmd.draft_text.filter(|t| !t.trim().is_empty()),
                    document_number: cmd.document_number.filter(|t| !t.trim().is_empty()),
                    opens_at,
                    closes_at,
                },
                &actor.name(),
            )
            .await?;
        self.after_commit(&events).await;
        Ok(ConsultationOpened {
            consultation: ConsultationView::at(&c, now),
        })
    }

    /// A consultation and every comment on it (withheld ones included: for pages that count
    /// them; only masked text is ever shown).
    pub async fn consultation_with_comments(
        &self,
        id: i64,
    ) -> Result<(Consultation, Vec<ConsultationComment>)> {
        let c = self.consultation_or_404(id).await?;
        let all = self.store.consultation_comments(id, false).await?;
        Ok((c, all))
    }

    /// A consultation with its published comments, masked.
    pub async fn consultation(&self, id: i64) -> Result<ConsultationShown> {
        let (c, all) = self.consultation_with_comments(id).await?;
        let comments: Vec<CommentView> = all
            .iter()
            .filter(|k| k.published)
            .map(CommentView::from)
            .collect();
        Ok(ConsultationShown {
            consultation: ConsultationView::at(&c, quytac_store::now_ms()),
            withheld: all.len() - comments.len(),
            comments,
        })
    }

    /// Checks, masks, reads the stance and stores a comment.
    pub async fn comment_on(&self, actor: &Actor, id: i64, cmd: CommentOn) -> Result<CommentFiled> {
        // Decree 147 (ND-1, ND-4), under a pack that holds them: a citizen comments through
        // the authenticated account their token speaks for.
        if actor.role == quytac_core::workflow::Role::Citizen
            && quytac_core::workflow::decree147::enforces(self.engine.pack(), "ND-1")
        {
            let account = self.store.account_of_token(actor.token_id).await?;
            self.check_decree_writer(Some(account.as_deref().unwrap_or(&actor.name())))
                .await?;
        }
        self.add_comment(id, &actor.name(), &cmd.text, cmd.stance)
            .await
    }

    /// A comment left on the public web page, where nobody signs in: recorded as
    /// `quytac_core::workflow::inquiry::WEB_CITIZEN`, checked and masked like any other.
    pub async fn comment_on_web(&self, id: i64, cmd: CommentOn) -> Result<CommentFiled> {
        self.add_comment(
            id,
            quytac_core::workflow::inquiry::WEB_CITIZEN,
            &cmd.text,
            cmd.stance,
        )
        .await
    }

    async fn add_comment(
        &self,
        id: i64,
        author: &str,
        text: &str,
        chosen: Option<Stance>,
    ) -> Result<CommentFiled> {
        let text = validate("text", text, TextBounds::prose(MAX_COMMENT, true))?;
        let c = self.consultation_or_404(id).await?;
        let now = quytac_store::now_ms();
        match status_at(c.status, c.opens_at, c.closes_at, now) {
            ConsultationPhase::Open => {}
            ConsultationPhase::Scheduled => {
                return Err(closed(format!(
                    "consultation {id} opens at {} (Asia/Ho_Chi_Minh); comments are not accepted yet",
                    vn_string(c.opens_at)
                )))
            }
            status => {
                return Err(closed(format!(
                    "consultation {id} is {status}: it closed at {} (Asia/Ho_Chi_Minh) and no longer accepts comments",
                    vn_string(c.closes_at)
                )))
            }
        }
        let result = self.engine.check(&Item::Post(Post {
            id: format!("consultation-{id}-comment"),
            text: text.clone(),
            author: Author {
                role: AuthorRole::Citizen,
                ..Author::default()
            },
            engages: None,
            links: Vec::new(),
        }));
        let withheld = withheld_from_public(&result);
        let (stance, source) = match chosen {
            Some(s) => (s, StanceSource::Commenter),
            None => (classify_stance(&text).stance, StanceSource::Classifier),
        };
        let mut check = serde_json::Map::new();
        check.insert(
            "verdict".into(),
            serde_json::to_value(result.verdict).unwrap_or_default(),
        );
        check.insert(
            "findings".into(),
            serde_json::to_value(&result.findings).unwrap_or_default(),
        );
        let (k, events) = self
            .store
            .add_consultation_comment(
                &NewConsultationComment {
                    consultation_id: id,
                    author: author.to_string(),
                    masked_text: self.engine.mask_personal_data(&text),
                    text,
                    stance,
                    stance_source: source,
                    verdict: result.verdict,
                    check_json: Value::Object(check).to_string(),
                    published: !withheld,
                },
                now,
            )
            .await
            .map_err(|e| match e.kind {
                // Closed between the check above and the write.
                quytac_store::ErrorKind::Conflict => closed(e.message),
                _ => e.into(),
            })?;
        self.after_commit(&events).await;
        let withheld_because = (!k.published).then(|| {
            let rules: Vec<String> = result
                .findings
                .iter()
                .filter(|f| {
                    f.severity == quytac_core::finding::Severity::Violation
                        && f.category != quytac_core::finding::Category::PersonalData
                })
                .map(|f| format!("{} ({})", f.rule, f.category))
                .collect();
            format!(
                "the comment breaks the code of conduct ({}); it is kept for the agency but not published",
                rules.join(", ")
            )
        });
        Ok(CommentFiled {
            comment: CommentAdded {
                comment: CommentView::from(&k),
                published: k.published,
                verdict: k.verdict.as_str().into(),
                findings: findings_view(&k.check),
                withheld_because,
            },
        })
    }

    /// Published comments counted by stance, with the most frequent points of each group;
    /// for admins and the agency's officers.
    pub async fn consultation_summary(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<ConsultationSummary> {
        let (c, all) = self.consultation_with_comments(id).await?;
        may_act_for(actor, &c.agency_id)?;
        let published: Vec<&ConsultationComment> = all.iter().filter(|k| k.published).collect();
        let by_stance = Stance::ALL
            .iter()
            .map(|s| {
                let group: Vec<&&ConsultationComment> =
                    published.iter().filter(|k| k.stance == *s).collect();
                let by_commenter = group
                    .iter()
                    .filter(|k| k.stance_source == StanceSource::Commenter)
                    .count();
                let points = frequent_points(
                    group.iter().map(|k| k.masked_text.as_str()),
                    POINTS_PER_STANCE,
                );
                StanceGroup {
                    stance: s.as_str().into(),
                    name_vi: s.name_vi().into(),
                    count: group.len(),
                    chosen_by_commenter: by_commenter,
                    classified: group.len() - by_commenter,
                    points: serde_json::to_value(points).unwrap_or_default(),
                }
            })
            .collect();
        Ok(ConsultationSummary {
            consultation: ConsultationView::at(&c, quytac_store::now_ms()),
            total: all.len(),
            published: published.len(),
            withheld: all.len() - published.len(),
            by_stance,
        })
    }

    /// Every comment (withheld ones flagged) as CSV, masked, times in Asia/Ho_Chi_Minh; UTF-8
    /// with a byte-order mark, so spreadsheets read the Vietnamese letters. For admins and the
    /// agency's officers.
    pub async fn consultation_csv(&self, actor: &Actor, id: i64) -> Result<Vec<u8>> {
        let (c, comments) = self.consultation_with_comments(id).await?;
        may_act_for(actor, &c.agency_id)?;
        let failed = |e: csv::Error| {
            ServiceError::new(ErrorKind::Internal, format!("CSV export failed: {e}"))
        };
        let mut w = csv::Writer::from_writer(Vec::from("\u{feff}".as_bytes()));
        w.write_record([
            "id",
            "created_at_asia_ho_chi_minh",
            "stance",
            "stance_source",
            "published",
            "verdict",
            "rules",
            "text_masked",
        ])
        .map_err(failed)?;
        for k in &comments {
            let rules: Vec<String> = k.check["findings"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|f| {
                            Some(format!(
                                "{}:{}",
                                f["rule"].as_str()?,
                                f["category"].as_str()?
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            w.write_record([
                k.id.to_string(),
                vn_string(k.created_at),
                k.stance.as_str().to_string(),
                k.stance_source.as_str().to_string(),
                if k.published { "yes" } else { "no" }.to_string(),
                k.verdict.as_str().to_string(),
                rules.join(" "),
                csv_safe(&k.masked_text),
            ])
            .map_err(failed)?;
        }
        w.into_inner()
            .map_err(|e| ServiceError::new(ErrorKind::Internal, format!("CSV export failed: {e}")))
    }

    /// `quytac serve --demo`: one open consultation with a few comments, on the first agency
    /// (one is registered when there is none).
    pub async fn load_consultations_demo(&self) -> Result<()> {
        let agency_id = match self.store.list_agencies().await?.into_iter().next() {
            Some(a) => a.id,
            None => {
                self.store
                    .create_agency(
                        &quytac_store::model::NewAgency {
                            id: "so-tt-hn".into(),
                            name: "Sở Thông tin và Truyền thông Hà Nội".into(),
                            parent_id: None,
                            official_domain: None,
                            page_handle: None,
                            portal_feed_url: None,
                            response_working_days: 5,
                            responsible: Default::default(),
                            competent_authority: false,
                        },
                        "demo",
                    )
                    .await?
                    .id
            }
        };
        let now = quytac_store::now_ms();
        let (c, events) = self
            .store
            .create_consultation(
                &NewConsultation {
                    agency_id,
                    title: "Dự thảo quy định mức thu phí trông giữ xe tại bệnh viện công lập".into(),
                    summary: "Lấy ý kiến người dân về mức thu phí trông giữ xe máy, ô tô tại các bệnh viện công lập trên địa bàn thành phố."
                        .into(),
                    draft_text: None,
                    document_number: Some("Dự thảo Quyết định sửa đổi Quyết định 44/2017/QĐ-UBND".into()),
                    opens_at: now,
                    closes_at: now + 30 * 24 * 3600 * 1000,
                },
                "demo",
            )
            .await?;
        self.after_commit(&events).await;
        for (who, text, stance) in [
            ("citizen:demo-1", "Tôi đồng tình với dự thảo, phí trông giữ xe hiện nay quá tùy tiện.", None),
            ("citizen:demo-2", "Phản đối tăng phí trông giữ xe, người nhà bệnh nhân đã rất vất vả.", None),
            ("citizen:demo-3", "Đề nghị miễn phí trông giữ xe cho người nhà bệnh nhân nghèo. Liên hệ tôi: 0912 345 678.", None),
            ("citizen:demo-4", "Nên bổ sung quy định về phí trông giữ xe qua đêm.", Some(Stance::Suggest)),
        ] {
            self.add_comment(c.id, who, text, stance).await?;
        }
        Ok(())
    }
}
