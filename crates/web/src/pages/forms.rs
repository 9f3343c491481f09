//! The record forms the township console and the village station's pages
//! share: one field as `field.html` draws it, the domain's `FieldError`
//! placed beside the field it names, the visit form and the case
//! registration (standalone, or filled in from a visit), and the parsing of
//! what was posted into the domain's records.

use std::collections::HashMap;

use chrono::NaiveDate;
use sanji_domain::record::{
    CaseRegistration, CaseSource, Category, Party, RiskLevel, Screening, Visit, VisitChannel,
};
use sanji_domain::time::parse_date;
use sanji_domain::{Code, FieldError, Labelled};
use sanji_node::views::VisitRow;
use uuid::Uuid;

/// One field of a form, as the template draws it.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub required: bool,
    /// `text`, `textarea`, `date`, `number`, `checkbox`, `select`.
    pub control: &'static str,
    pub options: Vec<(String, String)>,
    /// The `<datalist>` whose entries a text input offers (empty: none).
    pub list: &'static str,
    pub value: String,
    pub error: Option<String>,
}

/// A field as the record forms draw it: required unless said, showing what
/// was typed, else `default`.
pub fn field(
    name: &'static str,
    label: &'static str,
    control: &'static str,
    posted: &HashMap<String, String>,
    default: String,
) -> Field {
    Field {
        name,
        label,
        hint: "",
        required: true,
        control,
        options: Vec::new(),
        list: "",
        value: posted.get(name).cloned().unwrap_or(default),
        error: None,
    }
}

impl Field {
    pub fn optional(mut self) -> Field {
        self.required = false;
        self
    }

    pub fn hint(mut self, hint: &'static str) -> Field {
        self.hint = hint;
        self
    }

    pub fn options(mut self, options: Vec<(String, String)>) -> Field {
        self.options = options;
        self
    }
}

/// Who may be made responsible for a screening or case (a meeting's
/// responsibility, a screening's 稳控): the member units, then the villages.
pub fn responsible_choices(names: &sanji_node::directory::Listing) -> Vec<(String, String)> {
    let mut units: Vec<(String, String)> =
        names.units.iter().map(|u| (u.clone(), u.clone())).collect();
    units.extend(
        names
            .villages
            .iter()
            .map(|v| (v.name.clone(), format!("{}(村)", v.name))),
    );
    units
}

/// A closed vocabulary as drop-down choices: (identifier, Chinese label).
pub fn choices<T: Labelled>() -> Vec<(String, String)> {
    T::ALL
        .iter()
        .map(|v| (v.id().to_owned(), v.label().to_owned()))
        .collect()
}

/// Marks the field the domain named (its path told as the form's name);
/// an error on no field of the form is said above it.
pub fn mark(fields: &mut [Field], error: Option<FieldError>) -> Option<String> {
    let error = error?;
    let name = match error.field.as_str() {
        "visitor.name" | "parties[0].name" => "party",
        "visitor.contact" | "parties[0].contact" => "contact",
        // A second or later party was typed in 其他当事人.
        other if other.starts_with("parties[") => "others",
        other => other,
    };
    match fields.iter_mut().find(|f| f.name == name) {
        Some(f) => {
            f.error = Some(error.rule);
            None
        }
        None => Some(error.rule),
    }
}

pub fn posted_text<'a>(posted: &'a HashMap<String, String>, name: &str) -> &'a str {
    posted.get(name).map(|s| s.trim()).unwrap_or_default()
}

pub fn optional(posted: &HashMap<String, String>, name: &str) -> Option<String> {
    Some(posted_text(posted, name).to_owned()).filter(|s| !s.is_empty())
}

pub fn count(posted: &HashMap<String, String>, name: &str) -> Result<u32, FieldError> {
    posted_text(posted, name)
        .parse()
        .map_err(|_| FieldError::new(name, "须为整数,如 1"))
}

pub fn checked(posted: &HashMap<String, String>, name: &str) -> bool {
    posted_text(posted, name) == "true"
}

/// The parties typed: `party` (and its `contact`), then any names in
/// `others`, separated by 、 , , ; or spaces.
pub fn parties_of(posted: &HashMap<String, String>) -> Vec<Party> {
    let mut parties = vec![Party {
        name: posted_text(posted, "party").to_owned(),
        contact: optional(posted, "contact"),
    }];
    parties.extend(
        posted_text(posted, "others")
            .split(['、', ',', ',', ';', ';', ' ', '\u{3000}'])
            .filter(|name| !name.trim().is_empty())
            .map(|name| Party {
                name: name.trim().to_owned(),
                contact: None,
            }),
    );
    parties
}

/// The 接访 form's fields; `today` is the date's default.
pub fn visit_fields(today: String, posted: &HashMap<String, String>) -> Vec<Field> {
    let none = String::new;
    vec![
        field("channel", "方式", "select", posted, none()).options(choices::<VisitChannel>()),
        field("visited_on", "日期", "date", posted, today),
        field("party", "来访人", "text", posted, none()),
        field("contact", "联系电话", "text", posted, none()).optional(),
        field("people_count", "人数", "number", posted, "1".into()),
        field("category", "类别", "select", posted, none()).options(choices::<Category>()),
        field("summary", "反映的问题", "textarea", posted, none()).hint("来访人反映的事情和诉求"),
        field("answer", "当场答复", "textarea", posted, none())
            .optional()
            .hint("当场答复了的,写下答复的内容;需要立案办理的留空,登记后再「登记为案件」"),
    ]
}

/// A visit as posted on the 接访 form, received at `received_at` by `receiver`.
pub fn visit_of(
    received_at: Code,
    receiver: String,
    posted: &HashMap<String, String>,
) -> Result<Visit, FieldError> {
    Ok(Visit {
        received_at,
        visited_on: parse_date("visited_on", posted_text(posted, "visited_on"))?,
        channel: VisitChannel::parse_for("channel", posted_text(posted, "channel"))?,
        visitor: Party {
            name: posted_text(posted, "party").to_owned(),
            contact: optional(posted, "contact"),
        },
        people_count: count(posted, "people_count")?,
        category: Category::parse_for("category", posted_text(posted, "category"))?,
        summary: posted_text(posted, "summary").to_owned(),
        receiver,
        answer: optional(posted, "answer"),
    })
}

pub fn source_of(channel: VisitChannel) -> CaseSource {
    match channel {
        VisitChannel::InPerson => CaseSource::Visit,
        VisitChannel::Letter => CaseSource::Letter,
        VisitChannel::Phone => CaseSource::Phone,
    }
}

/// What a case registration form starts with: blank, or a visit's own words.
pub struct CaseDefaults {
    pub place: String,
    pub source: String,
    pub category: String,
    pub party: String,
    pub people: String,
    pub claim: String,
    pub first_receiver: String,
    pub first_unit: String,
}

impl CaseDefaults {
    /// A case from `visit`: nothing the visit already says is typed again.
    pub fn from_visit(visit: &VisitRow, first_unit: &str) -> CaseDefaults {
        CaseDefaults {
            place: visit.received_at.to_string(),
            source: source_of(visit.channel).id().into(),
            category: visit.category.id().into(),
            party: visit.visitor.clone(),
            people: visit.people_count.to_string(),
            claim: visit.summary.clone(),
            first_receiver: visit.receiver.clone(),
            first_unit: first_unit.to_owned(),
        }
    }
}

/// What the case form filled in from `visit` says above its fields.
pub fn from_visit_intro(visit: &VisitRow) -> String {
    format!(
        "从 {} 的{}(来访人 {})登记案件受理登记,内容已照接访记录填好,核对后登记。",
        visit.visited_on,
        visit.channel.label(),
        visit.visitor
    )
}

/// The 案件受理登记 form's fields: `places` are where it may have arisen;
/// `more_parties` adds a contact and further parties (the village's
/// standalone registration).
pub fn case_fields(
    defaults: CaseDefaults,
    places: Vec<(String, String)>,
    more_parties: bool,
    posted: &HashMap<String, String>,
) -> Vec<Field> {
    let mut fields = vec![
        field("place", "发生地", "select", posted, defaults.place)
            .options(places)
            .hint("纠纷发生的村(或本镇)"),
        field("source", "来源", "select", posted, defaults.source).options(choices::<CaseSource>()),
        field("category", "类别", "select", posted, defaults.category)
            .options(choices::<Category>()),
        field("party", "当事人", "text", posted, defaults.party),
    ];
    if more_parties {
        fields.push(field("contact", "联系电话", "text", posted, String::new()).optional());
        fields.push(
            field("others", "其他当事人", "text", posted, String::new())
                .optional()
                .hint("多名当事人用顿号隔开,如:张三、李四"),
        );
    }
    fields.extend([
        field(
            "people_involved",
            "涉及人数",
            "number",
            posted,
            defaults.people,
        ),
        field("claim", "诉求", "textarea", posted, defaults.claim),
        field(
            "first_receiver",
            "首问首接人",
            "text",
            posted,
            defaults.first_receiver,
        )
        .hint("首问首接:第一个接待的人,始终对本案负责"),
        field(
            "first_unit",
            "首接单位",
            "text",
            posted,
            defaults.first_unit,
        ),
        field("complex", "疑难案件", "checkbox", posted, String::new()).optional(),
    ]);
    fields
}

/// A case registration as posted, registered `today`, turned from `from_record` if any.
pub fn registration_of(
    today: NaiveDate,
    from_record: Option<Uuid>,
    posted: &HashMap<String, String>,
) -> Result<CaseRegistration, FieldError> {
    Ok(CaseRegistration {
        place: Code::parse(posted_text(posted, "place"))
            .map_err(|e| FieldError::new("place", e.to_string()))?,
        registered_on: today,
        source: CaseSource::parse_for("source", posted_text(posted, "source"))?,
        category: Category::parse_for("category", posted_text(posted, "category"))?,
        parties: parties_of(posted),
        people_involved: count(posted, "people_involved")?,
        claim: posted_text(posted, "claim").to_owned(),
        first_receiver: posted_text(posted, "first_receiver").to_owned(),
        first_unit: posted_text(posted, "first_unit").to_owned(),
        complex: checked(posted, "complex"),
        from_record,
    })
}

/// Takes the `action` a form made (or the field it could not make it from)
/// as this person through the operator layer: once taken, on to where
/// `done` says; a bad field shows the form `again` with it marked.
pub(crate) async fn take_form_action(
    console: &crate::Console,
    person: &crate::session::Person,
    action: Result<sanji_node::ops::Action, FieldError>,
    done: impl FnOnce(&sanji_node::ops::ActOutcome) -> String,
    again: impl AsyncFnOnce(FieldError) -> Result<axum::response::Response, crate::PageError>,
) -> Result<axum::response::Response, crate::PageError> {
    use axum::response::IntoResponse;
    let taken = match action {
        Ok(action) => {
            console
                .operations()
                .act(&person.account.actor(), action)
                .await
        }
        Err(e) => Err(sanji_node::NodeError::Invalid(e)),
    };
    match taken {
        Ok(outcome) => Ok(axum::response::Redirect::to(&done(&outcome)).into_response()),
        Err(sanji_node::NodeError::Invalid(e)) => again(e).await,
        // Not this person's to do: said as such, not as a failure.
        Err(sanji_node::NodeError::Refused(why) | sanji_node::NodeError::Forbidden(why)) => {
            Err(crate::PageError::Forbidden(why))
        }
        Err(e) => Err(e.into()),
    }
}

/// The 不安定因素排查登记表's fields; the date is today unless typed.
pub fn screening_fields(
    today: String,
    clerk: String,
    posted: &HashMap<String, String>,
) -> Vec<Field> {
    let none = String::new;
    vec![
        field("screened_on", "排查日期", "date", posted, today),
        field("screener", "排查人", "text", posted, clerk),
        field("category", "纠纷类别", "select", posted, none()).options(choices::<Category>()),
        field(
            "risk",
            "风险等级",
            "select",
            posted,
            RiskLevel::General.id().into(),
        )
        .options(choices::<RiskLevel>())
        .hint("重大或有群体性事件风险的,登记后须在规定时限内报到镇中心"),
        field("party", "当事人", "text", posted, none()),
        field("contact", "联系电话", "text", posted, none()).optional(),
        field("others", "其他当事人", "text", posted, none())
            .optional()
            .hint("多名当事人用顿号隔开,如:张三、李四"),
        field("people_involved", "涉及人数", "number", posted, "1".into()),
        field("may_escalate", "易激化", "checkbox", posted, none()).optional(),
        field(
            "mass_incident_risk",
            "有群体性事件风险",
            "checkbox",
            posted,
            none(),
        )
        .optional(),
        field("description", "基本情况", "textarea", posted, none())
            .hint("矛盾纠纷的起因、经过和现状"),
        field("measures", "已采取的措施", "textarea", posted, none()).optional(),
    ]
}

/// A screening as posted, of `village` (the station's own, or the one the
/// center's screener chose); `line` only where the form has it.
pub fn screening_of(
    village: Code,
    posted: &HashMap<String, String>,
) -> Result<Screening, FieldError> {
    Ok(Screening {
        village,
        screened_on: parse_date("screened_on", posted_text(posted, "screened_on"))?,
        screener: posted_text(posted, "screener").to_owned(),
        category: Category::parse_for("category", posted_text(posted, "category"))?,
        parties: parties_of(posted),
        people_involved: count(posted, "people_involved")?,
        risk: RiskLevel::parse_for("risk", posted_text(posted, "risk"))?,
        may_escalate: checked(posted, "may_escalate"),
        mass_incident_risk: checked(posted, "mass_incident_risk"),
        description: posted_text(posted, "description").to_owned(),
        measures: posted_text(posted, "measures").to_owned(),
        line: optional(posted, "line"),
    })
}

/// A form page's status: 422 while it shows a refused field, 200 otherwise.
pub(crate) fn form_status(error: &Option<FieldError>) -> axum::http::StatusCode {
    if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    }
}

/// A form sent as `multipart/form-data`: its text fields and its one file.
pub(crate) struct Upload {
    pub fields: HashMap<String, String>,
    /// The file's name as the browser gave it; empty when none was chosen.
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Reads a form with a file of at most `max_bytes`; a file over it is read
/// to the end (keeping nothing more), so the browser is answered with
/// `too_large` rather than cut off.
pub(crate) async fn read_upload(
    mut form: axum::extract::Multipart,
    max_bytes: usize,
    too_large: String,
) -> Result<Upload, String> {
    let failed = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            too_large.clone()
        } else {
            format!("上传未完成({e}),请重新选择文件上传")
        }
    };
    let mut upload = Upload {
        fields: HashMap::new(),
        file_name: String::new(),
        bytes: Vec::new(),
    };
    while let Some(mut field) = form.next_field().await.map_err(failed)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            upload.file_name = field.file_name().unwrap_or_default().to_owned();
            while let Some(chunk) = field.chunk().await.map_err(failed)? {
                if upload.bytes.len() <= max_bytes {
                    upload.bytes.extend_from_slice(&chunk);
                }
            }
        } else {
            let text = field.text().await.map_err(failed)?;
            upload.fields.insert(name, text);
        }
    }
    if upload.bytes.len() > max_bytes {
        return Err(too_large);
    }
    Ok(upload)
}
