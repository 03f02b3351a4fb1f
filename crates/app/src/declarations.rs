//! Health declarations (khai báo y tế): [`App::declare`] from the public pages (no
//! account) or by staff through the API, for one person and the family members they
//! declare for; [`App::declaration`], the declaration by its code (the declarant on the
//! device that declared, or staff through the access check); the commune officers'
//! follow-up list ([`App::follow_up_list`], audited as a list read) and
//! [`App::mark_followed_up`].
//!
//! A declared person is matched to a stored person by identity number only, never by
//! name; a matched person is linked, not changed. Without a match a person is created
//! (reference `KB-` and the declaration's code), which the retention purge
//! ([`crate::retention`]) deletes with the declaration when nothing else refers to it.
//!
//! Every field is checked at once ([`App::check_declaration`] gives all the errors, for
//! a form shown again with each message next to its field); the use case itself
//! answers the first as [`AppError::Invalid`].

use crate::access::{self, check_role, Action};
use crate::actor::Actor;
use crate::error::{AppError, AppResult, Text};
use crate::{input, App};
use chrono::NaiveDate;
use phongdich_domain::declaration::{
    self as decl, Country, DeclarationCode, DeclarationKind, Flag, FollowUp, Symptom,
};
use phongdich_domain::{AdminLevel, BirthDate, FullName, IdentityDocument, Phone, Sex, UnitCode};
use phongdich_store::declarations::DECLARED_PERSON_PREFIX;
use phongdich_store::{Declaration, FollowUpQuery, NewDeclaration, NewPerson, StoreError};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// Persons one submission declares at most (the declarant and their family).
pub const MAX_PERSONS: usize = 10;

/// Rows per page of the follow-up list.
pub const FOLLOW_UP_PAGE: u64 = 100;

/// One person declared.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct PersonDeclared {
    /// Full name (họ và tên).
    #[serde(default)]
    pub full_name: String,
    /// CCCD (12 digits), CMND (9 digits) or passport number (1-2 letters, 6-8 digits).
    #[serde(default)]
    pub id_number: String,
    /// Date of birth `YYYY-MM-DD` or `DD/MM/YYYY`, or the year `YYYY`.
    #[serde(default)]
    pub birth: String,
    /// `male` or `female` (`nam`, `nữ`).
    #[serde(default)]
    pub sex: String,
    /// ISO 3166 two-letter code; `VN` when empty.
    #[serde(default)]
    pub nationality: Option<String>,
    /// Vietnamese phone number; required of the first person (the declarant).
    #[serde(default)]
    pub phone: Option<String>,
    /// Symptoms in the last 14 days: `fever`, `cough`, `shortness_of_breath`,
    /// `sore_throat`, `loss_of_taste_or_smell`, `fatigue`.
    #[serde(default)]
    pub symptoms: Vec<String>,
    /// Close contact with a case or a suspected case in the last 14 days.
    #[serde(default)]
    pub case_contact: bool,
    /// Was in an epidemic zone (locked down or at a high epidemic level) in the last
    /// 14 days.
    #[serde(default)]
    pub epidemic_zone: bool,
}

/// A declaration as submitted: the persons (the declarant first), their address and
/// the last 14 days' movements.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "kind": "voluntary",
    "persons": [{
        "full_name": "Lò Văn Pọm", "id_number": "012345678901", "birth": "1990",
        "sex": "male", "phone": "0912345678", "symptoms": ["cough"]
    }],
    "province": "12", "commune": "03386", "village": "Bản Nà Cà"
}))]
pub struct DeclarationInput {
    /// `voluntary`, `domestic` (movement between provinces) or `entry` (from abroad).
    #[serde(default)]
    pub kind: String,
    /// The persons declared, 1 to 10; the first is the declarant.
    #[serde(default)]
    pub persons: Vec<PersonDeclared>,
    /// The address's province (official code, `12`).
    #[serde(default)]
    pub province: String,
    /// The address's commune (official code, `03460`), in that province.
    #[serde(default)]
    pub commune: String,
    /// Village or residential group (thôn, bản, tổ dân phố), free text.
    #[serde(default)]
    pub village: Option<String>,
    /// House number and street, free text.
    #[serde(default)]
    pub address: Option<String>,
    /// Provinces visited in the last 14 days (official codes).
    #[serde(default)]
    pub visited_provinces: Vec<String>,
    /// Places visited in the last 14 days, free text.
    #[serde(default)]
    pub visited_places: Option<String>,
    /// Where the journey started: a province code (`domestic`) or a country code
    /// (`entry`); required for those kinds.
    #[serde(default)]
    pub origin: Option<String>,
    /// Local date of arrival `YYYY-MM-DD` (`domestic`, `entry`): within the last 14
    /// days or the next 3.
    #[serde(default)]
    pub arrival_date: Option<String>,
}

/// A field of a declaration that is wrong, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The person it is about (index in [`DeclarationInput::persons`]), `None` for
    /// the declaration's own fields.
    pub person: Option<usize>,
    /// The field's name (`id_number`, `commune`...).
    pub field: &'static str,
    /// Why, in both languages.
    pub message: Text,
}

impl FieldError {
    fn new(person: Option<usize>, field: &'static str, vi: &'static str, en: &'static str) -> Self {
        Self {
            person,
            field,
            message: Text::new(vi, en),
        }
    }

    /// As a use case's error: the field, and the person's number when not the first.
    pub fn into_app_error(self) -> AppError {
        let message = match self.person {
            Some(i) if i > 0 => Text {
                vi: Cow::Owned(format!("Người thứ {}: {}", i + 1, self.message.vi)),
                en: Cow::Owned(format!("Person {}: {}", i + 1, self.message.en)),
            },
            _ => self.message,
        };
        AppError::Invalid {
            field: self.field,
            message,
        }
    }
}

/// A person declared, every field parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPerson {
    /// Name.
    pub full_name: FullName,
    /// Document.
    pub identity: IdentityDocument,
    /// Birth.
    pub birth: BirthDate,
    /// Sex.
    pub sex: Sex,
    /// Nationality.
    pub nationality: Country,
    /// Phone.
    pub phone: Option<Phone>,
    /// Symptoms, in list order.
    pub symptoms: Vec<Symptom>,
    /// Close contact with a case or suspect.
    pub case_contact: bool,
    /// In an epidemic zone.
    pub epidemic_zone: bool,
}

impl ValidPerson {
    /// What flags this person.
    pub fn flags(&self) -> Vec<Flag> {
        decl::flags(&self.symptoms, self.case_contact, self.epidemic_zone)
    }
}

/// A declaration, every field parsed and every unit checked against the official list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidDeclaration {
    /// Kind.
    pub kind: DeclarationKind,
    /// Persons, the declarant first.
    pub persons: Vec<ValidPerson>,
    /// Province of the address.
    pub province: UnitCode,
    /// Commune of the address.
    pub commune: UnitCode,
    /// Village, free text.
    pub village: Option<String>,
    /// Street address, free text.
    pub address: Option<String>,
    /// Provinces visited, without repeats.
    pub visited_provinces: Vec<UnitCode>,
    /// Places visited.
    pub visited_places: Option<String>,
    /// Where from (province or country code).
    pub origin: Option<String>,
    /// Arrival.
    pub arrival_date: Option<NaiveDate>,
}

/// A declared person's code, as the result page and the API give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DeclaredCode {
    /// The code to show at checkpoints (10 characters; its QR code encodes it).
    pub code: String,
    /// Whom it is for.
    pub full_name: String,
    /// What flagged it for the commune's follow-up (`symptoms`, `case_contact`,
    /// `epidemic_zone`); empty: nothing.
    pub flags: Vec<String>,
}

/// What declaring made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Declared {
    /// The submission's code (the declarant's).
    pub submission: String,
    /// One code per person, in the order declared.
    pub codes: Vec<DeclaredCode>,
    /// This answers a repeated submission: nothing new was stored.
    pub replayed: bool,
}

impl Declared {
    fn of(rows: &[Declaration], replayed: bool) -> Self {
        Self {
            submission: rows
                .first()
                .map(|r| r.declared.submission.to_string())
                .unwrap_or_default(),
            codes: rows
                .iter()
                .map(|r| DeclaredCode {
                    code: r.declared.code.to_string(),
                    full_name: r.declared.full_name.to_string(),
                    flags: r
                        .declared
                        .flags
                        .iter()
                        .map(|f| f.as_str().to_owned())
                        .collect(),
                })
                .collect(),
            replayed,
        }
    }
}

/// Declarations as someone may see them.
#[derive(Debug, Clone)]
pub struct DeclarationView {
    /// The rows: the whole submission for its declarant, the one row for staff.
    pub rows: Vec<Declaration>,
    /// Names of the units the rows mention (provinces, communes).
    pub unit_names: HashMap<UnitCode, String>,
    /// Seen by its declarant (on the device that declared), not by staff.
    pub by_declarant: bool,
}

/// The follow-up list's filters, as typed on the page or in the API.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FollowUpFilter {
    /// A district or commune inside the jurisdiction.
    #[serde(default)]
    pub unit: Option<String>,
    /// `open` (default) or `done`.
    #[serde(default)]
    pub status: Option<String>,
    /// Only those flagged for `symptoms`, `case_contact` or `epidemic_zone`.
    #[serde(default)]
    pub flag: Option<String>,
    /// The cursor of the next page (`next_cursor` of the previous one).
    #[serde(default)]
    pub cursor: Option<String>,
}

/// A row of the follow-up list.
#[derive(Debug, Clone)]
pub struct FollowUpItem {
    /// The declaration.
    pub row: Declaration,
    /// Its commune's name.
    pub unit_name: Option<String>,
}

/// One page of the follow-up list.
#[derive(Debug, Clone)]
pub struct FollowUpPage {
    /// The unit the list is narrowed to (`None`: the whole deployment).
    pub unit: Option<UnitCode>,
    /// `Open` or `Done`.
    pub status: FollowUp,
    /// The flag filter.
    pub flag: Option<Flag>,
    /// Newest first.
    pub items: Vec<FollowUpItem>,
    /// The cursor of the next page.
    pub next: Option<i64>,
}

/// The units the address pickers offer.
#[derive(Debug, Clone)]
pub struct AddressUnits {
    /// Every province, in code order.
    pub provinces: Vec<(UnitCode, String)>,
    /// The province whose communes are listed.
    pub province: UnitCode,
    /// Its communes, grouped by district (the district's name; empty for communes
    /// directly under the province), in code order.
    pub communes: Vec<(String, Vec<(UnitCode, String)>)>,
}

/// What the official list says about the units a declaration names.
#[derive(Debug, Clone, Default)]
pub struct UnitFacts {
    /// Every province: code and name.
    pub provinces: HashMap<UnitCode, String>,
    /// The province the declared commune belongs to, when it is a commune.
    pub commune_province: Option<UnitCode>,
}

/// Checks every field of `input` against `today` (Vietnam's date) and the official
/// units; all the errors at once.
pub fn validate(
    input: &DeclarationInput,
    today: NaiveDate,
    units: &UnitFacts,
) -> Result<ValidDeclaration, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut err = |p, f, vi, en| errors.push(FieldError::new(p, f, vi, en));

    let kind = match input::optional(Some(&input.kind)) {
        None => {
            err(
                None,
                "kind",
                "Chọn loại tờ khai.",
                "Choose the kind of declaration.",
            );
            None
        }
        Some(k) => match DeclarationKind::parse(k) {
            Ok(k) => Some(k),
            Err(_) => {
                err(
                    None,
                    "kind",
                    "Loại tờ khai phải là voluntary, domestic hoặc entry.",
                    "The kind is voluntary, domestic or entry.",
                );
                None
            }
        },
    };

    if input.persons.is_empty() {
        err(
            None,
            "persons",
            "Cần khai báo ít nhất một người.",
            "Declare at least one person.",
        );
    } else if input.persons.len() > MAX_PERSONS {
        err(
            None,
            "persons",
            "Mỗi lần khai báo tối đa 10 người.",
            "At most 10 persons per declaration.",
        );
    }
    let mut persons = Vec::new();
    let mut numbers = HashSet::new();
    for (i, p) in input.persons.iter().take(MAX_PERSONS).enumerate() {
        let at = Some(i);
        let full_name = match input::optional(Some(&p.full_name)) {
            None => {
                err(
                    at,
                    "full_name",
                    "Cần nhập họ và tên.",
                    "The full name is needed.",
                );
                None
            }
            Some(n) => match FullName::parse(n) {
                Ok(n) => Some(n),
                Err(_) => {
                    err(
                        at,
                        "full_name",
                        "Họ và tên tối đa 100 ký tự.",
                        "The full name has at most 100 characters.",
                    );
                    None
                }
            },
        };
        let nationality = match input::optional(p.nationality.as_deref()) {
            None => Some(Country::vietnam()),
            Some(c) => match Country::parse(c) {
                Ok(c) => Some(c),
                Err(_) => {
                    err(
                        at,
                        "nationality",
                        "Quốc tịch là mã 2 chữ cái (VN, LA, CN...).",
                        "The nationality is a two-letter code (VN, LA, CN...).",
                    );
                    None
                }
            },
        };
        let identity = match input::optional(Some(&p.id_number)) {
            None => {
                err(
                    at,
                    "id_number",
                    "Cần nhập số CCCD, CMND hoặc hộ chiếu.",
                    "The CCCD, CMND or passport number is needed.",
                );
                None
            }
            Some(n) => match IdentityDocument::parse(n) {
                Err(_) => {
                    err(
                        at,
                        "id_number",
                        "Số giấy tờ không đúng: CCCD gồm 12 chữ số, CMND 9 chữ số, hộ chiếu 1–2 chữ cái và 6–8 chữ số.",
                        "Not an identity number: a CCCD has 12 digits, a CMND 9, a passport 1-2 letters and 6-8 digits.",
                    );
                    None
                }
                Ok(doc) if !numbers.insert(doc.number().to_owned()) => {
                    err(
                        at,
                        "id_number",
                        "Số giấy tờ này đã khai cho một người khác trong tờ khai.",
                        "This number is already declared for another person of this declaration.",
                    );
                    None
                }
                Ok(doc) => match &nationality {
                    Some(c) if decl::document_fits_nationality(&doc, c).is_err() => {
                        err(
                            at,
                            "id_number",
                            "Người nước ngoài khai báo bằng số hộ chiếu.",
                            "A foreigner declares with a passport number.",
                        );
                        None
                    }
                    _ => Some(doc),
                },
            },
        };
        let birth = match input::optional(Some(&p.birth)) {
            None => {
                err(
                    at,
                    "birth",
                    "Cần nhập ngày sinh hoặc năm sinh.",
                    "The date or year of birth is needed.",
                );
                None
            }
            Some(b) => match BirthDate::parse(b, today) {
                Err(_) => {
                    err(
                        at,
                        "birth",
                        "Ngày sinh không đúng: nhập NNNN-TT-NN, NN/TT/NNNN hoặc năm NNNN, không sau hôm nay.",
                        "Not a birth date: YYYY-MM-DD, DD/MM/YYYY or the year YYYY, not after today.",
                    );
                    None
                }
                Ok(b) if decl::plausible_birth(b, today).is_err() => {
                    err(
                        at,
                        "birth",
                        "Năm sinh không hợp lý (quá 120 tuổi).",
                        "Implausible year of birth (over 120 years old).",
                    );
                    None
                }
                Ok(b) => Some(b),
            },
        };
        let sex = match input::optional(Some(&p.sex)).map(Sex::parse) {
            Some(Ok(s)) => Some(s),
            _ => {
                err(at, "sex", "Chọn giới tính.", "Choose the sex.");
                None
            }
        };
        let phone = match input::optional(p.phone.as_deref()) {
            None if i == 0 => {
                err(
                    at,
                    "phone",
                    "Cần nhập số điện thoại của người khai báo.",
                    "The declarant's phone number is needed.",
                );
                None
            }
            None => None,
            Some(t) => match Phone::parse(t) {
                Ok(p) => Some(p),
                Err(_) => {
                    err(
                        at,
                        "phone",
                        "Số điện thoại không đúng: di động 10 số (09x, 03x...) hoặc cố định 11 số (02x...).",
                        "Not a Vietnamese phone number: a 10-digit mobile (09x, 03x...) or an 11-digit landline (02x...).",
                    );
                    None
                }
            },
        };
        let mut symptoms = Vec::new();
        for s in &p.symptoms {
            match Symptom::parse(s) {
                Ok(s) if !symptoms.contains(&s) => symptoms.push(s),
                Ok(_) => {}
                Err(_) => {
                    err(
                        at,
                        "symptoms",
                        "Triệu chứng không có trong danh sách.",
                        "Not a symptom of the list.",
                    );
                    break;
                }
            }
        }
        symptoms.sort();
        if let (Some(full_name), Some(identity), Some(birth), Some(sex), Some(nationality)) =
            (full_name, identity, birth, sex, nationality)
        {
            persons.push(ValidPerson {
                full_name,
                identity,
                birth,
                sex,
                nationality,
                phone,
                symptoms,
                case_contact: p.case_contact,
                epidemic_zone: p.epidemic_zone,
            });
        }
    }

    let province = match input::optional(Some(&input.province)) {
        None => {
            err(
                None,
                "province",
                "Chọn tỉnh, thành phố.",
                "Choose the province.",
            );
            None
        }
        Some(p) => match UnitCode::parse(p) {
            Ok(code) if units.provinces.contains_key(&code) => Some(code),
            _ => {
                err(
                    None,
                    "province",
                    "Tỉnh, thành phố không có trong danh mục đơn vị hành chính.",
                    "Not a province of the official list.",
                );
                None
            }
        },
    };
    let commune = match input::optional(Some(&input.commune)) {
        None => {
            err(
                None,
                "commune",
                "Chọn xã, phường, thị trấn.",
                "Choose the commune.",
            );
            None
        }
        Some(c) => match (UnitCode::parse(c), &units.commune_province) {
            (Ok(code), Some(of)) if code.level() == AdminLevel::Commune => {
                if province.as_ref().is_some_and(|p| p != of) {
                    err(
                        None,
                        "commune",
                        "Xã, phường này không thuộc tỉnh đã chọn.",
                        "This commune is not in the chosen province.",
                    );
                    None
                } else {
                    Some(code)
                }
            }
            _ => {
                err(
                    None,
                    "commune",
                    "Xã, phường không có trong danh mục đơn vị hành chính.",
                    "Not a commune of the official list.",
                );
                None
            }
        },
    };
    let mut visited_provinces = Vec::new();
    for v in input
        .visited_provinces
        .iter()
        .filter(|v| !v.trim().is_empty())
    {
        match UnitCode::parse(v) {
            Ok(code) if units.provinces.contains_key(&code) => {
                if !visited_provinces.contains(&code) {
                    visited_provinces.push(code);
                }
            }
            _ => {
                err(
                    None,
                    "visited_provinces",
                    "Tỉnh đã đến không có trong danh mục đơn vị hành chính.",
                    "A province visited is not in the official list.",
                );
                break;
            }
        }
    }
    visited_provinces.sort();
    let origin = match (kind, input::optional(input.origin.as_deref())) {
        (Some(DeclarationKind::Entry), None) => {
            err(
                None,
                "origin",
                "Cần nhập nước khởi hành (mã 2 chữ cái, ví dụ LA, CN).",
                "The country of departure is needed (a two-letter code such as LA, CN).",
            );
            None
        }
        (Some(DeclarationKind::Entry), Some(c)) => match Country::parse(c) {
            Ok(c) if !c.is_vietnam() => Some(c.as_str().to_owned()),
            _ => {
                err(
                    None,
                    "origin",
                    "Nước khởi hành là mã 2 chữ cái của một nước khác Việt Nam (LA, CN...).",
                    "The country of departure is a two-letter code other than VN (LA, CN...).",
                );
                None
            }
        },
        (Some(DeclarationKind::Domestic), None) => {
            err(
                None,
                "origin",
                "Chọn tỉnh nơi đi.",
                "Choose the province of departure.",
            );
            None
        }
        (Some(DeclarationKind::Domestic), Some(p)) => match UnitCode::parse(p) {
            Ok(code) if units.provinces.contains_key(&code) => Some(code.to_string()),
            _ => {
                err(
                    None,
                    "origin",
                    "Tỉnh nơi đi không có trong danh mục đơn vị hành chính.",
                    "The province of departure is not in the official list.",
                );
                None
            }
        },
        _ => None,
    };
    let arrival_date = match (
        kind.is_some_and(DeclarationKind::is_travel),
        input::optional(input.arrival_date.as_deref()),
    ) {
        (false, _) => None,
        (true, None) => {
            err(
                None,
                "arrival_date",
                "Cần nhập ngày đến.",
                "The date of arrival is needed.",
            );
            None
        }
        (true, Some(d)) => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Err(_) => {
                err(
                    None,
                    "arrival_date",
                    "Ngày đến không đúng dạng NNNN-TT-NN (2021-09-15).",
                    "Not a date: expected YYYY-MM-DD.",
                );
                None
            }
            Ok(d) if decl::plausible_arrival(d, today).is_err() => {
                err(
                    None,
                    "arrival_date",
                    "Ngày đến phải trong 14 ngày qua hoặc 3 ngày tới.",
                    "The arrival must lie in the last 14 days or the next 3.",
                );
                None
            }
            Ok(d) => Some(d),
        },
    };

    if !errors.is_empty() {
        return Err(errors);
    }
    match (kind, province, commune) {
        (Some(kind), Some(province), Some(commune)) => Ok(ValidDeclaration {
            kind,
            persons,
            province,
            commune,
            village: input::short_text(input.village.as_deref(), 100),
            address: input::short_text(input.address.as_deref(), 200),
            visited_provinces,
            visited_places: input::short_text(input.visited_places.as_deref(), 500),
            origin,
            arrival_date,
        }),
        // Every `None` above pushed an error.
        _ => Err(vec![FieldError::new(
            None,
            "kind",
            "Tờ khai chưa đủ thông tin.",
            "The declaration is incomplete.",
        )]),
    }
}

/// A fresh code: 50 random bits.
fn new_code() -> DeclarationCode {
    DeclarationCode::from_bits(rand::Rng::random::<u64>(&mut rand::rng()))
}

/// Why one try at writing a submission did not commit.
enum Attempt {
    /// A code or a new person's identity number collided with a row another
    /// transaction committed meanwhile: try again.
    Retry,
    /// The same form was already submitted: answer what it made.
    Replay,
    /// A real failure.
    Failed(AppError),
}

impl From<StoreError> for Attempt {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) if m.contains("already submitted") => Self::Replay,
            StoreError::Conflict(_) => Self::Retry,
            e => Self::Failed(e.into()),
        }
    }
}

impl App {
    /// The provinces, and the communes of `province` (a province code; the
    /// deployment's province when blank or unknown) grouped by district, for the
    /// address pickers of the declaration form. The official list: nobody's data.
    pub async fn address_units(&self, province: Option<&str>) -> AppResult<AddressUnits> {
        let provinces: Vec<(UnitCode, String)> = self
            .store()
            .units_at_level(AdminLevel::Province)
            .await?
            .into_iter()
            .map(|u| (u.code, u.name))
            .collect();
        let province = input::optional(province)
            .and_then(|p| UnitCode::parse(p).ok())
            .filter(|p| provinces.iter().any(|(c, _)| c == p))
            .unwrap_or_else(|| self.province().clone());
        let districts: HashMap<UnitCode, String> = self
            .store()
            .children(&province)
            .await?
            .into_iter()
            .map(|u| (u.code, u.name))
            .collect();
        let mut communes: Vec<(String, Vec<(UnitCode, String)>)> = Vec::new();
        for c in self.store().communes_of_province(&province).await? {
            let group = c
                .parent
                .as_ref()
                .and_then(|p| districts.get(p))
                .cloned()
                .unwrap_or_default();
            match communes.last_mut() {
                Some((g, list)) if *g == group => list.push((c.code, c.name)),
                _ => communes.push((group, vec![(c.code, c.name)])),
            }
        }
        Ok(AddressUnits {
            provinces,
            province,
            communes,
        })
    }

    /// What the official list says about the units `input` names.
    async fn unit_facts(&self, input: &DeclarationInput) -> AppResult<UnitFacts> {
        let provinces = self
            .store()
            .units_at_level(AdminLevel::Province)
            .await?
            .into_iter()
            .map(|u| (u.code, u.name))
            .collect();
        let mut commune_province = None;
        if let Ok(code) = UnitCode::parse(input.commune.trim()) {
            if code.level() == AdminLevel::Commune {
                let mut current = Some(code);
                // A commune sits under a district (the 2025-01-04 list) or directly
                // under its province (after the reform).
                for _ in 0..3 {
                    let Some(c) = current.take() else { break };
                    match self.store().unit(&c).await {
                        Ok(u) if u.level == AdminLevel::Province => {
                            commune_province = Some(u.code);
                            break;
                        }
                        Ok(u) => current = u.parent,
                        Err(StoreError::NotFound { .. }) => break,
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        Ok(UnitFacts {
            provinces,
            commune_province,
        })
    }

    /// Checks every field of a declaration; `Ok(Err(errors))` lists all that are
    /// wrong (for a form shown again), `Err` is a failure of the store.
    pub async fn check_declaration(
        &self,
        input: &DeclarationInput,
    ) -> AppResult<Result<ValidDeclaration, Vec<FieldError>>> {
        let facts = self.unit_facts(input).await?;
        Ok(validate(input, self.now().local_date(), &facts))
    }

    /// Declares the persons of `input`: the public (through [`Actor::public`]) or
    /// staff who may write. Each person is matched by identity number or created, and
    /// gets a code; a person with symptoms, a case contact or an epidemic zone is
    /// flagged for the commune's follow-up. Everything, with its audit events, in one
    /// transaction.
    ///
    /// `device`: the SHA-256 of the declaring device's cookie (public pages), which
    /// alone lets the declarant see the declaration again. `key`: the form's (or the
    /// API's `Idempotency-Key`) idempotency key: the same key again from the same
    /// device or account answers the first submission.
    ///
    /// The public is rate-limited per client address and per phone number
    /// ([`crate::rate_limit::PublicLimits`]).
    pub async fn declare(
        &self,
        actor: &Actor,
        input: &DeclarationInput,
        device: Option<&str>,
        key: Option<&str>,
    ) -> AppResult<Declared> {
        if !access::may_declare(actor) {
            return Err(AppError::Forbidden);
        }
        let now = self.now();
        if actor.is_public() {
            self.public_limits()
                .address(actor.client.as_deref(), now.0)?;
        }
        // Whose keys: the device's on public pages, the account's through the API.
        let owner = if actor.is_public() {
            device.map(str::to_owned)
        } else {
            actor.user_id.map(|u| format!("user:{u}"))
        };
        let key = crate::idempotency_key(key);
        if let Some(done) = self.replayed_declaration(owner.as_deref(), key).await? {
            return Ok(done);
        }
        let valid = self
            .check_declaration(input)
            .await?
            .map_err(|mut errors| errors.remove(0).into_app_error())?;
        if actor.is_public() {
            if let Some(phone) = valid.persons.first().and_then(|p| p.phone.as_ref()) {
                self.public_limits().phone(phone.as_str(), now.0)?;
            }
        }
        for _ in 0..3 {
            match self
                .write_declaration(actor, &valid, owner.as_deref(), key)
                .await
            {
                Ok(done) => {
                    let flagged = done.codes.iter().filter(|c| !c.flags.is_empty()).count();
                    tracing::info!(
                        declaration.submission = %done.submission,
                        declaration.persons = done.codes.len(),
                        declaration.flagged = flagged,
                        "health declaration"
                    );
                    return Ok(done);
                }
                Err(Attempt::Retry) => continue,
                Err(Attempt::Replay) => {
                    if let Some(done) = self.replayed_declaration(owner.as_deref(), key).await? {
                        return Ok(done);
                    }
                    continue;
                }
                Err(Attempt::Failed(e)) => return Err(e),
            }
        }
        Err(AppError::conflict(
            "Không lưu được tờ khai do trùng dữ liệu; xin gửi lại.",
            "The declaration collided with another; please submit it again.",
        ))
    }

    /// What an earlier submission by `owner` with `key` made, if any.
    async fn replayed_declaration(
        &self,
        owner: Option<&str>,
        key: Option<&str>,
    ) -> AppResult<Option<Declared>> {
        let (Some(owner), Some(key)) = (owner, key) else {
            return Ok(None);
        };
        let Some(submission) = self.store().submission_by_client_key(owner, key).await? else {
            return Ok(None);
        };
        let rows = self.store().declarations_of_submission(&submission).await?;
        Ok(Some(Declared::of(&rows, true)))
    }

    /// One try at writing a submission.
    async fn write_declaration(
        &self,
        actor: &Actor,
        d: &ValidDeclaration,
        owner: Option<&str>,
        key: Option<&str>,
    ) -> Result<Declared, Attempt> {
        let now = self.now();
        let codes: Vec<DeclarationCode> = d.persons.iter().map(|_| new_code()).collect();
        let submission = codes[0].clone();
        let street = match (&d.address, &d.village) {
            (Some(a), Some(v)) => Some(format!("{a}, {v}")),
            (a, v) => a.clone().or_else(|| v.clone()),
        };
        let mut tx = self.store().begin().await?;
        let mut declarant_id = None;
        let mut out = Vec::with_capacity(d.persons.len());
        for (i, (p, code)) in d.persons.iter().zip(&codes).enumerate() {
            let (person_id, created) = tx
                .declared_person(&NewPerson {
                    id: None,
                    reference: format!("{DECLARED_PERSON_PREFIX}{code}"),
                    full_name: p.full_name.clone(),
                    birth: Some(p.birth),
                    sex: Some(p.sex),
                    identity: Some(p.identity.clone()),
                    nationality: p.nationality.as_str().to_owned(),
                    phone: p.phone.clone(),
                    address: street.clone(),
                    unit_code: Some(d.commune.clone()),
                    household_id: None,
                })
                .await?;
            let declarant = *declarant_id.get_or_insert(person_id);
            let flags = p.flags();
            let id = tx
                .insert_declaration(&NewDeclaration {
                    code: code.clone(),
                    submission: submission.clone(),
                    kind: d.kind,
                    declarant_id: declarant,
                    person_id,
                    full_name: p.full_name.clone(),
                    identity: p.identity.clone(),
                    birth: p.birth,
                    sex: p.sex,
                    nationality: p.nationality.clone(),
                    phone: p.phone.clone(),
                    province_code: d.province.clone(),
                    unit_code: d.commune.clone(),
                    village: d.village.clone(),
                    address: d.address.clone(),
                    visited_provinces: d.visited_provinces.clone(),
                    visited_places: d.visited_places.clone(),
                    origin: d.origin.clone(),
                    arrival_date: d.arrival_date,
                    symptoms: p.symptoms.clone(),
                    case_contact: p.case_contact,
                    epidemic_zone: p.epidemic_zone,
                    flags: flags.clone(),
                    device_hash: owner.map(str::to_owned),
                    client_key: if i == 0 { key.map(str::to_owned) } else { None },
                    created_at: now,
                })
                .await?;
            if created {
                tx.insert_audit_event(&self.event(
                    actor,
                    "create",
                    "person",
                    person_id,
                    Some(serde_json::json!({
                        "ref": format!("{DECLARED_PERSON_PREFIX}{code}"),
                        "from_declaration": code.as_str(),
                        "unit_code": d.commune.as_str(),
                    })),
                ))
                .await?;
            }
            tx.insert_audit_event(&self.event(
                actor,
                "create",
                "declaration",
                id,
                Some(serde_json::json!({
                    "code": code.as_str(),
                    "submission": submission.as_str(),
                    "kind": d.kind.as_str(),
                    "person_id": person_id,
                    "person_created": created,
                    "unit_code": d.commune.as_str(),
                    "flags": flags.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
                })),
            ))
            .await?;
            out.push(DeclaredCode {
                code: code.to_string(),
                full_name: p.full_name.to_string(),
                flags: flags.iter().map(|f| f.as_str().to_owned()).collect(),
            });
        }
        tx.commit().await?;
        Ok(Declared {
            submission: submission.to_string(),
            codes: out,
            replayed: false,
        })
    }

    /// The declaration of `code`: to the public only on the device that declared it
    /// (`device`, the SHA-256 of its cookie), then the whole submission; to staff
    /// through the access check ([`access::may_read_declaration`]), the one row.
    /// Anything else is [`AppError::NotFound`]. Audited as a view.
    pub async fn declaration(
        &self,
        actor: &Actor,
        code: &str,
        device: Option<&str>,
    ) -> AppResult<DeclarationView> {
        let now = self.now();
        if actor.is_public() {
            self.public_limits()
                .address(actor.client.as_deref(), now.0)?;
        } else {
            check_role(actor, Action::Read)?;
        }
        let code = DeclarationCode::parse(code).map_err(|_| AppError::NotFound)?;
        let row = self
            .store()
            .declaration_by_code(&code)
            .await?
            .ok_or(AppError::NotFound)?;
        let (rows, by_declarant) = if actor.is_public() {
            let mine = matches!((device, row.declared.device_hash.as_deref()),
                (Some(d), Some(h)) if crate::accounts::same_secret(d, h));
            if !mine {
                return Err(AppError::NotFound);
            }
            let rows = self
                .store()
                .declarations_of_submission(&row.declared.submission)
                .await?
                .into_iter()
                .filter(|r| r.declared.device_hash == row.declared.device_hash)
                .collect::<Vec<_>>();
            (rows, true)
        } else {
            let scope =
                crate::Scope::of(self.store(), self.province(), &actor.jurisdiction).await?;
            if !access::may_read_declaration(actor, scope.as_ref(), &row.declared.unit_code) {
                return Err(AppError::NotFound);
            }
            (vec![row], false)
        };
        self.store()
            .insert_audit_event(&self.event(
                actor,
                "view",
                "declaration",
                rows.first().map(|r| r.id).unwrap_or_default(),
                Some(serde_json::json!({
                    "code": code.as_str(),
                    "declarations": rows.iter().map(|r| r.id).collect::<Vec<_>>(),
                    "by": if by_declarant { "declarant" } else { "staff" },
                })),
            ))
            .await?;
        let mut codes: Vec<UnitCode> = Vec::new();
        for r in &rows {
            codes.push(r.declared.province_code.clone());
            codes.push(r.declared.unit_code.clone());
            codes.extend(r.declared.visited_provinces.iter().cloned());
            if let Some(o) = r
                .declared
                .origin
                .as_deref()
                .and_then(|o| UnitCode::parse(o).ok())
            {
                codes.push(o);
            }
        }
        let unit_names = self.unit_names(codes).await?;
        Ok(DeclarationView {
            rows,
            unit_names,
            by_declarant,
        })
    }

    /// The follow-up list of the actor's jurisdiction: the declarations flagged by
    /// symptoms, a case contact or an epidemic zone whose commune is inside it (open
    /// ones by default), newest first, with what flagged each; audited as a list read
    /// with the ids shown.
    pub async fn follow_up_list(
        &self,
        actor: &Actor,
        filter: &FollowUpFilter,
    ) -> AppResult<FollowUpPage> {
        let scope = self.scope(actor).await?;
        let unit = scope
            .chosen(self.store(), filter.unit.as_deref())
            .await?
            .or_else(|| scope.filter());
        let status = match input::optional(filter.status.as_deref()) {
            None => FollowUp::Open,
            Some(s) => match FollowUp::parse(s) {
                Some(s @ (FollowUp::Open | FollowUp::Done)) => s,
                _ => {
                    return Err(AppError::invalid(
                        "status",
                        "Trạng thái phải là open hoặc done.",
                        "status: open or done.",
                    ))
                }
            },
        };
        let flag = match input::optional(filter.flag.as_deref()) {
            None => None,
            Some(f) => Some(Flag::parse(f).ok_or_else(|| {
                AppError::invalid(
                    "flag",
                    "Lý do phải là symptoms, case_contact hoặc epidemic_zone.",
                    "flag: symptoms, case_contact or epidemic_zone.",
                )
            })?),
        };
        let before_id = match input::optional(filter.cursor.as_deref()) {
            None => None,
            Some(c) => Some(c.parse::<i64>().map_err(|_| {
                AppError::invalid(
                    "cursor",
                    "Con trỏ trang không hợp lệ.",
                    "Not a cursor this list gave.",
                )
            })?),
        };
        let rows = self
            .store()
            .follow_up_list(&FollowUpQuery {
                unit: unit.clone(),
                status,
                flag,
                since: None,
                before_id,
                limit: FOLLOW_UP_PAGE,
            })
            .await?;
        let names = self
            .unit_names(
                rows.iter()
                    .map(|r| r.declared.unit_code.clone())
                    .collect::<Vec<_>>(),
            )
            .await?;
        self.store()
            .insert_audit_event(&self.event(
                actor,
                "view",
                "declaration_list",
                unit.as_ref().map(UnitCode::as_str).unwrap_or_default(),
                Some(serde_json::json!({
                    "status": status.as_str(),
                    "flag": flag.map(Flag::as_str),
                    "declarations": rows.iter().map(|r| r.id).collect::<Vec<_>>(),
                })),
            ))
            .await?;
        let next = (rows.len() as u64 == FOLLOW_UP_PAGE)
            .then(|| rows.last().map(|r| r.id))
            .flatten();
        Ok(FollowUpPage {
            unit,
            status,
            flag,
            next,
            items: rows
                .into_iter()
                .map(|row| FollowUpItem {
                    unit_name: names.get(&row.declared.unit_code).cloned(),
                    row,
                })
                .collect(),
        })
    }

    /// Marks the flagged declaration `id` (inside the jurisdiction) followed up by the
    /// actor, with a note; audited with the status before and after. Done twice is
    /// done once; a declaration nothing flagged is [`AppError::Conflict`].
    pub async fn mark_followed_up(
        &self,
        actor: &Actor,
        id: i64,
        note: Option<&str>,
    ) -> AppResult<()> {
        check_role(actor, Action::Write)?;
        let scope = match self.scope(actor).await {
            Ok(s) => s,
            Err(AppError::Forbidden) => return Err(AppError::NotFound),
            Err(e) => return Err(e),
        };
        let note = input::short_text(note, 500);
        let mut tx = self.store().begin().await?;
        let before = match tx
            .follow_up_declaration(id, actor.user_id, self.now().0, note.as_deref())
            .await
        {
            Ok(b) => b,
            Err(StoreError::NotFound { .. }) => return Err(AppError::NotFound),
            Err(e) => return Err(e.into()),
        };
        if !scope.contains(Some(&before.declared.unit_code)) {
            return Err(AppError::NotFound);
        }
        match before.follow_up {
            FollowUp::None => {
                return Err(AppError::conflict(
                    "Tờ khai này không cần theo dõi.",
                    "This declaration needs no follow-up.",
                ))
            }
            FollowUp::Done => return Ok(()),
            FollowUp::Open => {}
        }
        let mut event = self.event(
            actor,
            "update",
            "declaration",
            id,
            Some(serde_json::json!({
                "follow_up": "done",
                "followed_up_by": actor.user_id,
                "note": note,
            })),
        );
        event.before_json = Some(serde_json::json!({ "follow_up": "open" }).to_string());
        tx.insert_audit_event(&event).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> UnitFacts {
        UnitFacts {
            provinces: [("12", "Tỉnh Lai Châu"), ("01", "Thành phố Hà Nội")]
                .into_iter()
                .map(|(c, n)| (UnitCode::parse(c).unwrap(), n.to_owned()))
                .collect(),
            commune_province: Some(UnitCode::parse("12").unwrap()),
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2021, 9, 15).unwrap()
    }

    fn good() -> DeclarationInput {
        DeclarationInput {
            kind: "voluntary".into(),
            persons: vec![PersonDeclared {
                full_name: "Lò Văn Pọm".into(),
                id_number: "012345678901".into(),
                birth: "1990".into(),
                sex: "male".into(),
                nationality: None,
                phone: Some("0912345678".into()),
                symptoms: vec!["cough".into()],
                case_contact: false,
                epidemic_zone: false,
            }],
            province: "12".into(),
            commune: "03460".into(),
            ..Default::default()
        }
    }

    fn fields(r: Result<ValidDeclaration, Vec<FieldError>>) -> Vec<(Option<usize>, &'static str)> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.person, e.field))
            .collect()
    }

    #[test]
    fn a_good_declaration_is_flagged_by_its_symptom() {
        let v = validate(&good(), today(), &facts()).unwrap();
        assert_eq!(v.persons[0].flags(), vec![Flag::Symptoms]);
        assert_eq!(v.persons[0].nationality, Country::vietnam());
    }

    #[test]
    fn every_wrong_field_is_reported_at_once() {
        let mut d = good();
        d.kind = String::new();
        d.persons[0].id_number = "12345".into();
        d.persons[0].phone = None;
        d.persons[0].birth = "2030".into();
        d.province = "99".into();
        let got = fields(validate(&d, today(), &facts()));
        for want in [
            (None, "kind"),
            (Some(0), "id_number"),
            (Some(0), "phone"),
            (Some(0), "birth"),
            (None, "province"),
        ] {
            assert!(got.contains(&want), "{want:?} in {got:?}");
        }
    }

    #[test]
    fn family_members_need_no_phone_but_distinct_numbers() {
        let mut d = good();
        let mut child = d.persons[0].clone();
        child.phone = None;
        child.birth = "2015-03-04".into();
        d.persons.push(child.clone());
        assert_eq!(
            fields(validate(&d, today(), &facts())),
            vec![(Some(1), "id_number")]
        );
        d.persons[1].id_number = "012345678902".into();
        assert!(validate(&d, today(), &facts()).is_ok());
    }

    #[test]
    fn travellers_say_where_from_and_when() {
        let mut d = good();
        d.kind = "entry".into();
        assert_eq!(
            fields(validate(&d, today(), &facts())),
            vec![(None, "origin"), (None, "arrival_date")]
        );
        d.origin = Some("VN".into());
        d.arrival_date = Some("2021-08-01".into());
        assert_eq!(
            fields(validate(&d, today(), &facts())),
            vec![(None, "origin"), (None, "arrival_date")]
        );
        d.origin = Some("la".into());
        d.arrival_date = Some("2021-09-14".into());
        let v = validate(&d, today(), &facts()).unwrap();
        assert_eq!(v.origin.as_deref(), Some("LA"));
        d.kind = "domestic".into();
        d.origin = Some("01".into());
        assert!(validate(&d, today(), &facts()).is_ok());
    }

    #[test]
    fn a_foreigner_declares_with_a_passport_and_the_commune_is_in_the_province() {
        let mut d = good();
        d.persons[0].nationality = Some("LA".into());
        assert_eq!(
            fields(validate(&d, today(), &facts())),
            vec![(Some(0), "id_number")]
        );
        d.persons[0].id_number = "P1234567".into();
        assert!(validate(&d, today(), &facts()).is_ok());
        d.province = "01".into();
        assert_eq!(
            fields(validate(&d, today(), &facts())),
            vec![(None, "commune")]
        );
    }

    #[test]
    fn the_error_of_a_family_member_names_the_member() {
        let e = FieldError::new(Some(2), "birth", "Sai.", "Wrong.").into_app_error();
        match e {
            AppError::Invalid { field, message } => {
                assert_eq!(field, "birth");
                assert_eq!(message.vi, "Người thứ 3: Sai.");
            }
            other => panic!("{other:?}"),
        }
    }
}
