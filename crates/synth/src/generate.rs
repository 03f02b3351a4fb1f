//! The generator: geography, population, an epidemic, then day after day of
//! check-ins, trips, hotel stays and contacts, streamed into a [`Sink`].
//!
//! Only compact per-person state (a few bytes each: household, age, role, workplace,
//! isolation and travel days) is kept; names, numbers and addresses are made when the
//! person is emitted, and presences are emitted as they are drawn. Each phase draws
//! from its own ChaCha8 stream of the seed, so the output depends on the seed and the
//! parameters only.

use chrono::{Datelike, Duration, NaiveDate};
use phongdich_domain::admin::UnitCodeError;
use phongdich_domain::{
    case::default_infectious_from, AdminLevel, AdminUnit, CaseClassification, PlaceKind, Sex,
    TestKind, TestResult, Timestamp, UnitCode, VenueKind,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::ops::{Range, RangeInclusive};

use crate::ids::{CccdIssuer, PhoneIssuer, RefTable};
use crate::names::{self, Ethnicity};
use crate::sink::{
    CaseRecord, Contact, ContactSetting, Counts, Household, Person, Place, Presence, Sink,
    TestRecord, Village,
};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// Seed of every random draw.
    pub seed: u64,
    /// Number of persons.
    pub people: u32,
    /// Number of days of activity.
    pub days: u32,
    /// First local day.
    pub start: NaiveDate,
    /// Number of confirmed cases (at most `people`).
    pub cases: u32,
    /// What kind of epidemic the province lives through.
    pub scenario: Scenario,
}

/// The epidemic of the synthetic province.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// The situation of the Lai Châu directive of 13 May 2021: no case arises in the
    /// province, a few imported cases are found over the last two weeks (most in
    /// quarantine on arrival), and the two that slipped through by coach are confirmed
    /// on the last day, whose tracing gives the directive's funnel (22 F1, 2,173 F2,
    /// 15,326 F3 and 7,860 F4) to within a factor 3. Daily life is met in classes,
    /// market rows, departments and wards, and households at home. The period ends on
    /// 11 May 2021. See the README's "The demo's epidemic".
    #[default]
    Imported,
    /// Community transmission all month long from 1 May 2021 (1,000 cases per 460,000
    /// people), in a province met whole school by whole market: nearly everyone is F1
    /// or F2. For load tests.
    Outbreak,
}

impl Scenario {
    /// Every scenario.
    pub const ALL: [Scenario; 2] = [Self::Imported, Self::Outbreak];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Imported => "imported",
            Self::Outbreak => "outbreak",
        }
    }

    /// Parses the name used on the command line.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Cases for `people` persons, in proportion to the default population: 6 imported
    /// cases or 1,000 outbreak cases per 460,000 people, rounded, at least one.
    pub fn default_cases(self, people: u32) -> u32 {
        let cases = match self {
            Self::Imported => DEFAULT_IMPORTED_CASES,
            Self::Outbreak => DEFAULT_CASES,
        };
        let per = u64::from(DEFAULT_PEOPLE);
        let scaled = (u64::from(people) * u64::from(cases) + per / 2) / per;
        (scaled as u32).clamp(1, people.max(1))
    }

    /// The first day of a period of `days` days: the period ends on 11 May 2021 (the
    /// directive's count) for [`Scenario::Imported`], and starts on 1 May 2021 for
    /// [`Scenario::Outbreak`].
    pub fn default_start(self, days: u32) -> NaiveDate {
        match self {
            Self::Imported => {
                let end = NaiveDate::from_ymd_opt(2021, 5, 11).unwrap_or(NaiveDate::MIN);
                end - Duration::days(i64::from(days.max(1)) - 1)
            }
            Self::Outbreak => NaiveDate::from_ymd_opt(2021, 5, 1).unwrap_or(NaiveDate::MIN),
        }
    }

    /// Of `cases` imported cases, those that slip through and are confirmed on the last
    /// day (a third, at least one); the others are caught on arrival.
    pub fn slipped_cases(cases: u32) -> u32 {
        cases.div_ceil(3)
    }
}

impl std::fmt::Display for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lai Châu's population, about 460,000 (2019 census).
pub const DEFAULT_PEOPLE: u32 = 460_000;
/// Cases at the default population in [`Scenario::Outbreak`].
pub const DEFAULT_CASES: u32 = 1_000;
/// Imported cases at the default population in [`Scenario::Imported`].
pub const DEFAULT_IMPORTED_CASES: u32 = 6;
/// Lai Châu's communes (the official list of 2025-01-04): with [`DEFAULT_PEOPLE`],
/// its density, which the calibration of [`Scenario::Imported`] assumes.
pub const LAI_CHAU_COMMUNES: u32 = 106;
/// The way between home and an outing, each way.
const COMMUTE: i64 = 15 * MIN;
/// The most pupils in one class of [`Scenario::Imported`].
pub const CLASS_SIZE: usize = 35;
/// The most people in one row of a market in [`Scenario::Imported`].
pub const MARKET_ROW: usize = 50;
/// The most officials in one department of an office in [`Scenario::Imported`].
pub const DEPARTMENT_SIZE: usize = 20;
/// The most health workers in one ward of a hospital in [`Scenario::Imported`].
pub const WARD_SIZE: usize = 30;

const DISTRICT_DEPARTMENTS: &[&str] = &[
    "Văn phòng HĐND và UBND",
    "Phòng Nội vụ",
    "Phòng Tài chính - Kế hoạch",
    "Phòng Tài nguyên và Môi trường",
    "Phòng Lao động - Thương binh và Xã hội",
    "Phòng Giáo dục và Đào tạo",
    "Phòng Nông nghiệp và Phát triển nông thôn",
    "Phòng Kinh tế và Hạ tầng",
    "Phòng Văn hóa và Thông tin",
    "Phòng Tư pháp",
    "Phòng Y tế",
    "Phòng Dân tộc",
    "Thanh tra huyện",
];

const COMMUNE_DEPARTMENTS: &[&str] = &[
    "Bộ phận Một cửa",
    "Văn phòng - Thống kê",
    "Địa chính - Xây dựng",
    "Tài chính - Kế toán",
    "Tư pháp - Hộ tịch",
    "Văn hóa - Xã hội",
];

const WARDS: &[&str] = &[
    "Khoa Khám bệnh",
    "Khoa Nội",
    "Khoa Ngoại",
    "Khoa Nhi",
    "Khoa Sản",
    "Khoa Hồi sức cấp cứu",
    "Khoa Truyền nhiễm",
    "Khoa Xét nghiệm",
];

/// The imported cases come home within the last this many days of the period (the
/// directive counted 15 days, 27 April to 11 May 2021).
pub const IMPORT_WINDOW_DAYS: i64 = 15;
/// Fellow passengers of an imported case on the coach home (at Lai Châu's density).
const COMPANIONS: RangeInclusive<u32> = 18..=22;
/// Relatives and neighbours who visit an imported case at home.
const VISITORS: RangeInclusive<u32> = 2..=4;

impl Default for Params {
    fn default() -> Self {
        Self::scaled(1, DEFAULT_PEOPLE, 30)
    }
}

impl Params {
    /// Parameters for `people` persons over `days` days in the default scenario
    /// ([`Scenario::Imported`]).
    pub fn scaled(seed: u64, people: u32, days: u32) -> Self {
        Self::of(Scenario::default(), seed, people, days)
    }

    /// Parameters for `people` persons over `days` days in `scenario`, with its period
    /// ([`Scenario::default_start`]) and its cases for that many people
    /// ([`Scenario::default_cases`]).
    pub fn of(scenario: Scenario, seed: u64, people: u32, days: u32) -> Self {
        Self {
            seed,
            people,
            days,
            start: scenario.default_start(days),
            cases: scenario.default_cases(people),
            scenario,
        }
    }
}

/// The part of the work a [`Progress`] report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Villages, venues, rooms and trips.
    Places,
    /// Households and persons.
    People,
    /// Who is infected, by whom and when.
    Epidemic,
    /// Daily check-ins, trips, stays and contacts.
    Days,
    /// Cases and tests.
    Cases,
}

impl Phase {
    /// Vietnamese label for progress bars.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Places => "địa điểm",
            Self::People => "dân cư",
            Self::Epidemic => "dịch bệnh",
            Self::Days => "hoạt động hằng ngày",
            Self::Cases => "ca bệnh, xét nghiệm",
        }
    }
}

/// A progress report: `done` of `total` units of `phase`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Phase.
    pub phase: Phase,
    /// Units done.
    pub done: u64,
    /// Units in the phase.
    pub total: u64,
}

/// Why generation stopped.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError<E: std::error::Error + 'static> {
    /// The units hold no commune.
    #[error("no commune among the administrative units given")]
    NoCommunes,
    /// Parameters out of range.
    #[error("invalid parameters: {0}")]
    Params(String),
    /// A village code could not be made.
    #[error(transparent)]
    Unit(#[from] UnitCodeError),
    /// The sink failed.
    #[error("writing the generated province: {0}")]
    Sink(#[source] E),
}

const NONE: u32 = u32::MAX;
const NEVER: u16 = u16::MAX;
const MIN: i64 = 60;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Child,
    Pupil,
    Farmer,
    Trader,
    Office,
    Teacher,
    Health,
    Service,
    Guard,
    Driver,
    Homemaker,
    Retired,
}

struct CommuneG {
    code: UnitCode,
    name: String,
    district: usize,
    urban: bool,
    villages: Range<usize>,
    office: u32,
    clinic: u32,
    primary: u32,
    secondary: u32,
    market: u32,
    market_day: u32,
    shops: Vec<u32>,
    restaurants: Vec<u32>,
}

struct DistrictG {
    name: String,
    short: String,
    town: usize,
    communes: Range<usize>,
    office: u32,
    hospital: u32,
    high_school: u32,
    market: u32,
    bus_station: u32,
    checkpoint: u32,
    restaurants: Vec<u32>,
    rooms: Range<u32>,
    persons: Range<u32>,
}

struct VillageG {
    code: UnitCode,
    name: String,
    commune: usize,
    ethnicity: Ethnicity,
    persons: Range<u32>,
}

struct VenueG {
    kind: VenueKind,
    name: String,
    commune: usize,
    capacity: u32,
    /// The venue this one is a part of (a class of a school, a row of a market, a
    /// department of an office, a ward of a hospital), or `NONE`.
    parent: u32,
    /// Its parts, if it is split into them.
    units: Vec<u32>,
}

struct RoomG {
    name: String,
    commune: usize,
}

struct Route {
    from: usize,
    to: usize,
    minutes: i64,
    departures: Vec<i64>,
    plate: String,
}

struct TripG {
    route: usize,
    depart: i64,
    capacity: u32,
}

/// Compact state of the population, indexed by person index (id - 1).
struct Pop {
    household: Vec<u32>,
    age: Vec<u8>,
    role: Vec<Role>,
    work: Vec<u32>,
    village: Vec<u32>,
    isolated_day: Vec<u16>,
    away_until: Vec<u16>,
    hh_start: Vec<u32>,
    hh_size: Vec<u8>,
    hh_village: Vec<u32>,
    hh_ethnicity: Vec<Ethnicity>,
    hh_male: Vec<bool>,
    members_start: Vec<u32>,
    members: Vec<u32>,
}

struct Emit<'s, S: Sink> {
    sink: &'s mut S,
    counts: Counts,
}

impl<S: Sink> Emit<'_, S> {
    fn presence(&mut self, p: &Presence<'_>) -> Result<(), GenerateError<S::Error>> {
        debug_assert!(p.end >= p.start);
        self.counts.count_presence(p.kind);
        self.sink.presence(p).map_err(GenerateError::Sink)
    }
    fn place(&mut self, p: &Place<'_>) -> Result<(), GenerateError<S::Error>> {
        self.counts.count_place(p.kind);
        self.sink.place(p).map_err(GenerateError::Sink)
    }
    fn contact(&mut self, c: &Contact<'_>) -> Result<(), GenerateError<S::Error>> {
        self.counts.contacts += 1;
        self.sink.contact(c).map_err(GenerateError::Sink)
    }
}

fn stream(seed: u64, n: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(n);
    rng
}

fn short_name(name: &str) -> &str {
    for prefix in [
        "Thành phố ",
        "Thị xã ",
        "Huyện ",
        "Quận ",
        "Thị trấn ",
        "Phường ",
        "Xã ",
    ] {
        if let Some(rest) = name.strip_prefix(prefix) {
            return rest;
        }
    }
    name
}

/// Generates the province on `units` (communes with their districts as parents;
/// district and province units give names) and streams it into `sink`.
///
/// `progress` is called now and then with how far each phase is. Returns the counts
/// of everything emitted.
pub fn generate<S: Sink>(
    units: &[AdminUnit],
    params: &Params,
    sink: &mut S,
    progress: &mut dyn FnMut(Progress),
) -> Result<Counts, GenerateError<S::Error>> {
    if params.days == 0 || params.days > 365 {
        return Err(GenerateError::Params(format!(
            "days must be 1 to 365, not {}",
            params.days
        )));
    }
    if params.people == 0 || params.people > 20_000_000 {
        return Err(GenerateError::Params(format!(
            "people must be 1 to 20,000,000, not {}",
            params.people
        )));
    }
    if params.cases > params.people {
        return Err(GenerateError::Params(format!(
            "cases ({}) cannot exceed people ({})",
            params.cases, params.people
        )));
    }
    let mut g = Generator::new(units, params)?;
    let mut emit = Emit {
        sink,
        counts: Counts::default(),
    };
    progress(Progress {
        phase: Phase::Places,
        done: 0,
        total: 1,
    });
    g.build_population();
    if params.scenario == Scenario::Imported {
        g.plan_imports();
    }
    g.emit_places(&mut emit)?;
    progress(Progress {
        phase: Phase::Places,
        done: 1,
        total: 1,
    });
    g.emit_people(&mut emit, progress)?;
    progress(Progress {
        phase: Phase::Epidemic,
        done: 0,
        total: 1,
    });
    let epidemic = g.simulate_epidemic();
    progress(Progress {
        phase: Phase::Epidemic,
        done: 1,
        total: 1,
    });
    g.emit_days(&mut emit, &epidemic, progress)?;
    g.emit_cases(&mut emit, &epidemic)?;
    progress(Progress {
        phase: Phase::Cases,
        done: 1,
        total: 1,
    });
    emit.sink.finish().map_err(GenerateError::Sink)?;
    Ok(emit.counts)
}

struct Generator {
    params: Params,
    province_name: String,
    communes: Vec<CommuneG>,
    districts: Vec<DistrictG>,
    villages: Vec<VillageG>,
    venues: Vec<VenueG>,
    rooms: Vec<RoomG>,
    routes: Vec<Route>,
    trips: Vec<TripG>,
    capital: usize,
    pop: Pop,
    places: RefTable,
    persons: RefTable,
    day0: i64,
    /// When each imported case came home (their household presence starts then).
    arrivals: Vec<(u32, i64)>,
    /// Direct contacts drawn with the epidemic besides those that infected someone:
    /// the visitors of imported cases.
    visits: Vec<Visit>,
    /// Imported cases, planned before the places are emitted.
    imported: Vec<Infection>,
    /// Coaches from outside the province, after the trips among its places.
    coaches: Vec<Coach>,
    /// Imported cases caught on arrival: person, quarantine room, from, to.
    quarantine: Vec<(u32, u32, i64, i64)>,
}

/// A person's outings of one day, for their stays at home around them.
struct Outings {
    /// Home only from then: nothing starts before (minus the way there).
    not_before: i64,
    /// Start and end of each outing.
    list: Vec<(i64, i64)>,
}

/// A night coach from Hà Nội to a district's bus station.
struct Coach {
    plate: String,
    to: usize,
    depart: i64,
    arrive: i64,
    /// Passengers, and when each leaves the bus station.
    stops: Vec<(u32, i64)>,
}

/// A direct contact drawn with the epidemic: `a` and `b` over `[start, end]`.
struct Visit {
    a: u32,
    b: u32,
    start: i64,
    end: i64,
    setting: ContactSetting,
}

impl Infection {
    /// A case infected outside the province (no infector in the data).
    fn imported(
        person: u32,
        infected_at: i64,
        onset: Option<NaiveDate>,
        sample: NaiveDate,
        isolated_at: i64,
    ) -> Self {
        let infectious_from = default_infectious_from(onset, Some(sample))
            .map_or(infected_at, |x| x.0.max(infected_at));
        Self {
            person,
            infected_at,
            by: NONE,
            setting: ContactSetting::Village,
            contact_end: infected_at,
            onset,
            sample,
            infectious_from,
            isolated_at,
        }
    }
}

struct Infection {
    person: u32,
    infected_at: i64,
    by: u32,
    setting: ContactSetting,
    contact_end: i64,
    onset: Option<NaiveDate>,
    sample: NaiveDate,
    infectious_from: i64,
    isolated_at: i64,
}

impl Generator {
    fn new<E: std::error::Error + 'static>(
        units: &[AdminUnit],
        params: &Params,
    ) -> Result<Self, GenerateError<E>> {
        let mut rng = stream(params.seed, 1);
        let province_name = units
            .iter()
            .find(|u| u.level == AdminLevel::Province)
            .map(|u| u.name.clone())
            .unwrap_or_default();
        let mut communes_in: Vec<&AdminUnit> = units
            .iter()
            .filter(|u| u.level == AdminLevel::Commune)
            .collect();
        if communes_in.is_empty() {
            return Err(GenerateError::NoCommunes);
        }
        communes_in.sort_by(|a, b| (&a.parent, &a.code).cmp(&(&b.parent, &b.code)));
        let district_name = |code: &Option<UnitCode>| -> String {
            let Some(code) = code else {
                return String::new();
            };
            units
                .iter()
                .find(|u| &u.code == code)
                .map(|u| u.name.clone())
                .unwrap_or_else(|| code.to_string())
        };
        let mut g = Self {
            params: params.clone(),
            province_name,
            communes: Vec::new(),
            districts: Vec::new(),
            villages: Vec::new(),
            venues: Vec::new(),
            rooms: Vec::new(),
            routes: Vec::new(),
            trips: Vec::new(),
            capital: 0,
            pop: Pop {
                household: Vec::new(),
                age: Vec::new(),
                role: Vec::new(),
                work: Vec::new(),
                village: Vec::new(),
                isolated_day: Vec::new(),
                away_until: Vec::new(),
                hh_start: Vec::new(),
                hh_size: Vec::new(),
                hh_village: Vec::new(),
                hh_ethnicity: Vec::new(),
                hh_male: Vec::new(),
                members_start: Vec::new(),
                members: Vec::new(),
            },
            places: RefTable::default(),
            persons: RefTable::default(),
            day0: Timestamp::local_midnight(params.start).0,
            arrivals: Vec::new(),
            visits: Vec::new(),
            imported: Vec::new(),
            coaches: Vec::new(),
            quarantine: Vec::new(),
        };
        // Districts and communes, grouped.
        let mut last_parent: Option<&Option<UnitCode>> = None;
        for unit in &communes_in {
            if last_parent != Some(&unit.parent) {
                let name = district_name(&unit.parent);
                let short = short_name(&name).to_owned();
                g.districts.push(DistrictG {
                    name,
                    short,
                    town: g.communes.len(),
                    communes: g.communes.len()..g.communes.len(),
                    office: NONE,
                    hospital: NONE,
                    high_school: NONE,
                    market: NONE,
                    bus_station: NONE,
                    checkpoint: NONE,
                    restaurants: Vec::new(),
                    rooms: 0..0,
                    persons: 0..0,
                });
                last_parent = Some(&unit.parent);
            }
            let district = g.districts.len() - 1;
            let urban = unit.name.starts_with("Phường") || unit.name.starts_with("Thị trấn");
            let ci = g.communes.len();
            if urban
                && !g.communes[g.districts[district].town..ci]
                    .iter()
                    .any(|c| c.urban)
            {
                g.districts[district].town = ci;
            }
            g.districts[district].communes.end = ci + 1;
            g.communes.push(CommuneG {
                code: unit.code.clone(),
                name: unit.name.clone(),
                district,
                urban,
                villages: 0..0,
                office: NONE,
                clinic: NONE,
                primary: NONE,
                secondary: NONE,
                market: NONE,
                market_day: rng.random_range(0..7),
                shops: Vec::new(),
                restaurants: Vec::new(),
            });
        }
        g.capital = g
            .districts
            .iter()
            .position(|d| d.name.starts_with("Thành phố"))
            .unwrap_or(0);
        g.build_villages(&mut rng)?;
        g.build_venues(&mut rng);
        g.build_trips(&mut rng);
        Ok(g)
    }

    fn build_villages(&mut self, rng: &mut ChaCha8Rng) -> Result<(), UnitCodeError> {
        for ci in 0..self.communes.len() {
            let start = self.villages.len();
            let urban = self.communes[ci].urban;
            let n = if urban {
                rng.random_range(5..=12)
            } else {
                rng.random_range(5..=20)
            };
            let mut used = HashSet::new();
            for k in 1..=n {
                let (name, ethnicity) = if urban
                    && (self.communes[ci].name.starts_with("Phường") || k <= n * 2 / 3)
                {
                    (format!("Tổ dân phố {k}"), Ethnicity::Kinh)
                } else {
                    let e = Ethnicity::draw_rural(rng);
                    (names::village_name(rng, e, k), e)
                };
                let mut unique = name.clone();
                let mut m = 2;
                while !used.insert(unique.clone()) {
                    unique = format!("{name} {m}");
                    m += 1;
                }
                self.villages.push(VillageG {
                    code: UnitCode::village(&self.communes[ci].code, k)?,
                    name: unique,
                    commune: ci,
                    ethnicity,
                    persons: 0..0,
                });
            }
            self.communes[ci].villages = start..self.villages.len();
        }
        Ok(())
    }

    fn venue(&mut self, kind: VenueKind, name: String, commune: usize, capacity: u32) -> u32 {
        self.venues.push(VenueG {
            kind,
            name,
            commune,
            capacity,
            parent: NONE,
            units: Vec::new(),
        });
        self.venues.len() as u32 - 1
    }

    /// The place where a visitor of `venue` meets people: one of its units, if split.
    fn unit_of(&self, rng: &mut ChaCha8Rng, venue: u32) -> u32 {
        let units = &self.venues[venue as usize].units;
        if units.is_empty() {
            venue
        } else {
            units[rng.random_range(0..units.len())]
        }
    }

    /// The whole venue `venue` is a unit of (itself if it is not a unit).
    fn whole(&self, venue: u32) -> u32 {
        match self.venues[venue as usize].parent {
            NONE => venue,
            parent => parent,
        }
    }

    fn build_venues(&mut self, rng: &mut ChaCha8Rng) {
        for ci in 0..self.communes.len() {
            let cname = self.communes[ci].name.clone();
            let short = short_name(&cname).to_owned();
            let ward = cname.starts_with("Phường");
            let office = self.venue(
                VenueKind::Office,
                format!("UBND {cname}"),
                ci,
                rng.random_range(30..=60),
            );
            let clinic_name = if ward {
                format!("Trạm Y tế {cname}")
            } else {
                format!("Trạm Y tế xã {short}")
            };
            let clinic = self.venue(
                VenueKind::Clinic,
                clinic_name,
                ci,
                rng.random_range(20..=40),
            );
            let primary = self.venue(VenueKind::School, format!("Trường Tiểu học {short}"), ci, 0);
            let secondary = self.venue(VenueKind::School, format!("Trường THCS {short}"), ci, 0);
            let market = if self.communes[ci].urban || rng.random_bool(0.6) {
                self.venue(
                    VenueKind::Market,
                    format!("Chợ {short}"),
                    ci,
                    rng.random_range(150..=600),
                )
            } else {
                NONE
            };
            let mut shops = Vec::new();
            for k in 1..=rng.random_range(2..=5u32) {
                shops.push(self.venue(
                    VenueKind::Other,
                    format!("Cửa hàng tạp hóa {short} {k}"),
                    ci,
                    rng.random_range(8..=20),
                ));
            }
            let mut restaurants = Vec::new();
            for _ in 0..rng.random_range(1..=3u32) {
                let kind = names::restaurant_name(rng);
                restaurants.push(self.venue(
                    VenueKind::Restaurant,
                    format!("{kind} {short}"),
                    ci,
                    rng.random_range(20..=60),
                ));
            }
            let c = &mut self.communes[ci];
            c.office = office;
            c.clinic = clinic;
            c.primary = primary;
            c.secondary = secondary;
            c.market = market;
            c.shops = shops;
            c.restaurants = restaurants;
        }
        for di in 0..self.districts.len() {
            let name = self.districts[di].name.clone();
            let short = self.districts[di].short.clone();
            let town = self.districts[di].town;
            let capital = di == self.capital;
            let office = self.venue(
                VenueKind::Office,
                format!("UBND {name}"),
                town,
                rng.random_range(80..=200),
            );
            let hospital_name = if capital {
                "Bệnh viện Đa khoa tỉnh".to_owned()
            } else {
                format!("Trung tâm Y tế huyện {short}")
            };
            let hospital = self.venue(
                VenueKind::Hospital,
                hospital_name,
                town,
                rng.random_range(150..=500),
            );
            let high_school =
                self.venue(VenueKind::School, format!("Trường THPT {short}"), town, 0);
            let market = self.venue(
                VenueKind::Market,
                format!("Chợ trung tâm {short}"),
                town,
                rng.random_range(500..=1500),
            );
            let bus_station = self.venue(
                VenueKind::BusStation,
                format!("Bến xe khách {short}"),
                town,
                rng.random_range(100..=300),
            );
            // A checkpoint at the gateway: a rural commune of the district if there is one.
            let range = self.districts[di].communes.clone();
            let rural: Vec<usize> = range.clone().filter(|&c| !self.communes[c].urban).collect();
            let gate = if rural.is_empty() {
                town
            } else {
                rural[rng.random_range(0..rural.len())]
            };
            let gate_name = self.communes[gate].name.clone();
            let checkpoint = self.venue(
                VenueKind::Checkpoint,
                format!("Chốt kiểm soát liên ngành {gate_name}"),
                gate,
                rng.random_range(20..=50),
            );
            let mut restaurants = Vec::new();
            for _ in 0..rng.random_range(4..=8u32) {
                let kind = names::restaurant_name(rng);
                restaurants.push(self.venue(
                    VenueKind::Restaurant,
                    format!("{kind} {short}"),
                    town,
                    rng.random_range(30..=120),
                ));
            }
            if capital {
                self.venue(
                    VenueKind::Office,
                    "Trung tâm Kiểm soát bệnh tật tỉnh".to_owned(),
                    town,
                    120,
                );
                self.venue(VenueKind::Office, "UBND tỉnh".to_owned(), town, 300);
                self.venue(
                    VenueKind::QuarantineFacility,
                    "Khu cách ly tập trung tỉnh".to_owned(),
                    town,
                    400,
                );
            }
            let rooms_start = self.rooms.len() as u32;
            let hotels = if capital {
                rng.random_range(4..=7)
            } else {
                rng.random_range(2..=4)
            };
            let mut used = HashSet::new();
            for _ in 0..hotels {
                let mut hotel = format!("{} {short}", names::hotel_name(rng));
                while !used.insert(hotel.clone()) {
                    hotel.push_str(" 2");
                }
                let n_rooms: u32 = rng.random_range(8..=30);
                self.venue(VenueKind::Hotel, hotel.clone(), town, n_rooms * 2 + 10);
                for r in 0..n_rooms {
                    let number = 101 + (r / 10) * 100 + r % 10;
                    self.rooms.push(RoomG {
                        name: format!("Phòng {number}, {hotel}"),
                        commune: town,
                    });
                }
            }
            let d = &mut self.districts[di];
            d.office = office;
            d.hospital = hospital;
            d.high_school = high_school;
            d.market = market;
            d.bus_station = bus_station;
            d.checkpoint = checkpoint;
            d.restaurants = restaurants;
            d.rooms = rooms_start..self.rooms.len() as u32;
        }
    }

    fn build_trips(&mut self, rng: &mut ChaCha8Rng) {
        let n = self.districts.len();
        let mut pairs = Vec::new();
        for d in 0..n {
            if d != self.capital {
                pairs.push((d, self.capital, 2));
                pairs.push((self.capital, d, 2));
            }
        }
        let others: Vec<usize> = (0..n).filter(|&d| d != self.capital).collect();
        for w in others.windows(2) {
            pairs.push((w[0], w[1], 1));
            pairs.push((w[1], w[0], 1));
        }
        for (from, to, per_day) in pairs {
            let departures = if per_day == 2 {
                vec![
                    rng.random_range(330..=420) * MIN,
                    rng.random_range(780..=870) * MIN,
                ]
            } else {
                vec![rng.random_range(360..=600) * MIN]
            };
            let plate = format!(
                "25B-{:03}.{:02}",
                rng.random_range(0..1000),
                rng.random_range(0..100)
            );
            self.routes.push(Route {
                from,
                to,
                minutes: rng.random_range(80..=300),
                departures,
                plate,
            });
        }
        for day in 0..i64::from(self.params.days) {
            for (ri, route) in self.routes.iter().enumerate() {
                for &dep in &route.departures {
                    self.trips.push(TripG {
                        route: ri,
                        depart: self.day0 + day * DAY + dep,
                        capacity: if rng.random_bool(0.5) { 29 } else { 45 },
                    });
                }
            }
        }
    }

    /// Households and the compact state of each person, without names or numbers.
    fn build_population(&mut self) {
        let mut rng = stream(self.params.seed, 2);
        let people = self.params.people;
        let weights: Vec<f64> = self
            .villages
            .iter()
            .map(|v| {
                rng.random_range(0.5..1.5)
                    * if self.communes[v.commune].urban {
                        1.6
                    } else {
                        1.0
                    }
            })
            .collect();
        let total_w: f64 = weights.iter().sum();
        let pop = &mut self.pop;
        let mut cum = 0.0;
        let mut assigned = 0u32;
        for (vi, w) in weights.iter().enumerate() {
            cum += w;
            let target = if vi + 1 == weights.len() {
                people
            } else {
                ((f64::from(people) * cum / total_w) as u32).min(people)
            };
            let start = assigned;
            let village = &self.villages[vi];
            let urban = self.communes[village.commune].urban;
            while assigned < target {
                let ethnicity = if urban {
                    Ethnicity::draw_urban(&mut rng)
                } else {
                    village.ethnicity
                };
                let size = household_size(&mut rng, ethnicity).min(target - assigned);
                let h = pop.hh_start.len() as u32;
                pop.hh_start.push(assigned);
                pop.hh_size.push(size as u8);
                pop.hh_village.push(vi as u32);
                pop.hh_ethnicity.push(ethnicity);
                let head_male = size == 1 && rng.random_bool(0.5) || rng.random_bool(0.85);
                pop.hh_male.push(head_male);
                for age in household_ages(&mut rng, size) {
                    pop.household.push(h);
                    pop.age.push(age);
                    pop.village.push(vi as u32);
                }
                assigned += size;
            }
            self.villages[vi].persons = start..assigned;
        }
        let n = people as usize;
        pop.isolated_day = vec![NEVER; n];
        pop.away_until = vec![0; n];
        pop.role = Vec::with_capacity(n);
        pop.work = Vec::with_capacity(n);
        for i in 0..n {
            let village = &self.villages[pop.village[i] as usize];
            let ci = village.commune;
            let c = &self.communes[ci];
            let d = &self.districts[c.district];
            let age = pop.age[i];
            let x: f64 = rng.random();
            let (role, work) = match age {
                0..=5 => (Role::Child, NONE),
                6..=10 => (Role::Pupil, c.primary),
                11..=14 => (Role::Pupil, c.secondary),
                15..=17 if x < 0.75 => (Role::Pupil, d.high_school),
                15..=59 => {
                    let table: &[(f64, Role)] = if c.urban {
                        &[
                            (0.20, Role::Office),
                            (0.35, Role::Trader),
                            (0.47, Role::Service),
                            (0.53, Role::Teacher),
                            (0.57, Role::Health),
                            (0.60, Role::Guard),
                            (0.62, Role::Driver),
                            (0.87, Role::Farmer),
                            (1.01, Role::Homemaker),
                        ]
                    } else {
                        &[
                            (0.04, Role::Office),
                            (0.07, Role::Trader),
                            (0.09, Role::Service),
                            (0.13, Role::Teacher),
                            (0.145, Role::Health),
                            (0.155, Role::Guard),
                            (0.16, Role::Driver),
                            (0.88, Role::Farmer),
                            (1.01, Role::Homemaker),
                        ]
                    };
                    let y: f64 = rng.random();
                    let role = table
                        .iter()
                        .find(|(p, _)| y < *p)
                        .map_or(Role::Farmer, |(_, r)| *r);
                    let work = match role {
                        Role::Office => {
                            if rng.random_bool(0.65) {
                                c.office
                            } else {
                                d.office
                            }
                        }
                        Role::Trader => {
                            if c.market != NONE && rng.random_bool(0.7) {
                                c.market
                            } else {
                                d.market
                            }
                        }
                        Role::Service => {
                            if rng.random_bool(0.6) {
                                c.restaurants[rng.random_range(0..c.restaurants.len())]
                            } else {
                                d.restaurants[rng.random_range(0..d.restaurants.len())]
                            }
                        }
                        Role::Teacher => match rng.random_range(0..5) {
                            0 => d.high_school,
                            1 | 2 => c.secondary,
                            _ => c.primary,
                        },
                        Role::Health => {
                            if rng.random_bool(0.6) {
                                c.clinic
                            } else {
                                d.hospital
                            }
                        }
                        Role::Guard => d.checkpoint,
                        Role::Driver => d.bus_station,
                        _ => NONE,
                    };
                    (role, work)
                }
                _ => (if x < 0.2 { Role::Farmer } else { Role::Retired }, NONE),
            };
            pop.role.push(role);
            pop.work.push(work);
        }
        if self.params.scenario == Scenario::Imported {
            self.split_venues_into_units();
        }
        let pop = &mut self.pop;
        let mut capacity_need = vec![0u32; self.venues.len()];
        for &work in &pop.work {
            if work != NONE {
                capacity_need[work as usize] += 1;
            }
        }
        // Schools hold their pupils and teachers; other venues at least their staff.
        for (v, need) in self.venues.iter_mut().zip(&capacity_need) {
            if v.kind == VenueKind::School {
                v.capacity = (need + need / 10).max(30).div_ceil(10) * 10;
            } else {
                v.capacity = v.capacity.max(need + 10);
            }
        }
        // Members of each venue (staff and pupils), for colleague contacts.
        let mut starts = vec![0u32; self.venues.len() + 1];
        for &w in &pop.work {
            if w != NONE {
                starts[w as usize + 1] += 1;
            }
        }
        for k in 1..starts.len() {
            starts[k] += starts[k - 1];
        }
        let mut fill = starts.clone();
        pop.members = vec![0; starts[starts.len() - 1] as usize];
        for (i, &w) in pop.work.iter().enumerate() {
            if w != NONE {
                pop.members[fill[w as usize] as usize] = i as u32;
                fill[w as usize] += 1;
            }
        }
        pop.members_start = starts;
        // Person ranges of districts (communes are grouped by district, villages by commune).
        for d in &mut self.districts {
            let first_v = self.communes[d.communes.start].villages.start;
            let last_v = self.communes[d.communes.end - 1].villages.end;
            d.persons = self.villages[first_v].persons.start..self.villages[last_v - 1].persons.end;
        }
    }

    /// Splits the large venues into the units where people actually meet for a
    /// quarter of an hour: pupils go to their class (at most [`CLASS_SIZE`] of one
    /// age, neighbours together: persons are numbered by village) and each teacher to
    /// one class; traders and shoppers to a row of their market; officials to a
    /// department of their office; health workers and patients to a ward. Tracing teams
    /// counted these, not the whole school or market, as close contacts.
    fn split_venues_into_units(&mut self) {
        let n = self.pop.work.len();
        let mut staff: Vec<Vec<usize>> = vec![Vec::new(); self.venues.len()];
        for i in 0..n {
            let w = self.pop.work[i];
            if w != NONE {
                staff[w as usize].push(i);
            }
        }
        for (venue, members) in staff.into_iter().enumerate() {
            let v = &self.venues[venue];
            let (name, commune, kind, capacity) = (v.name.clone(), v.commune, v.kind, v.capacity);
            let mut units = Vec::new();
            match kind {
                VenueKind::School if !members.is_empty() => {
                    let (pupils, teachers): (Vec<usize>, Vec<usize>) = members
                        .into_iter()
                        .partition(|&i| self.pop.role[i] == Role::Pupil);
                    let mut by_age: Vec<(u8, Vec<usize>)> = Vec::new();
                    for i in pupils {
                        let age = self.pop.age[i];
                        match by_age.iter_mut().find(|(a, _)| *a == age) {
                            Some((_, list)) => list.push(i),
                            None => by_age.push((age, vec![i])),
                        }
                    }
                    by_age.sort_unstable_by_key(|(a, _)| *a);
                    for (age, list) in by_age {
                        let k = list.len().div_ceil(CLASS_SIZE);
                        for c in 0..k {
                            let class = &list[c * list.len() / k..(c + 1) * list.len() / k];
                            let letter = char::from(b'A' + (c % 26) as u8);
                            let unit = self.venue(
                                kind,
                                format!("Lớp {}{letter}, {name}", age.saturating_sub(5)),
                                commune,
                                class.len() as u32 + 1,
                            );
                            for &i in class {
                                self.pop.work[i] = unit;
                            }
                            units.push(unit);
                        }
                    }
                    if !units.is_empty() {
                        for (t, &i) in teachers.iter().enumerate() {
                            self.pop.work[i] = units[t % units.len()];
                        }
                    }
                }
                VenueKind::Market | VenueKind::Office | VenueKind::Hospital => {
                    let (size, names): (usize, &[&str]) = match kind {
                        VenueKind::Market => (MARKET_ROW, &[]),
                        VenueKind::Office if name.starts_with("UBND Xã") => {
                            (DEPARTMENT_SIZE, COMMUNE_DEPARTMENTS)
                        }
                        VenueKind::Office => (DEPARTMENT_SIZE, DISTRICT_DEPARTMENTS),
                        _ => (WARD_SIZE, WARDS),
                    };
                    // A market's rows hold its shoppers too; elsewhere visitors are few.
                    let people = if kind == VenueKind::Market {
                        (capacity as usize).max(members.len())
                    } else {
                        members.len()
                    };
                    let k = people.div_ceil(size);
                    if k < 2 {
                        continue;
                    }
                    for u in 0..k {
                        let unit_name = match names.get(u % names.len().max(1)) {
                            Some(dept) if u < names.len() => format!("{dept}, {name}"),
                            Some(dept) => format!("{dept} {}, {name}", u / names.len() + 1),
                            None => format!("Dãy hàng số {}, {name}", u + 1),
                        };
                        let part = &members[u * members.len() / k..(u + 1) * members.len() / k];
                        let unit = self.venue(
                            kind,
                            unit_name,
                            commune,
                            (capacity as usize).div_ceil(k) as u32,
                        );
                        for &i in part {
                            self.pop.work[i] = unit;
                        }
                        units.push(unit);
                    }
                }
                _ => {}
            }
            for &u in &units {
                self.venues[u as usize].parent = venue as u32;
            }
            self.venues[venue].units = units;
        }
    }

    fn venue_place(&self, venue: u32) -> u32 {
        venue + 1
    }
    fn room_place(&self, room: u32) -> u32 {
        self.venues.len() as u32 + room + 1
    }
    fn trip_place(&self, trip: usize) -> u32 {
        (self.venues.len() + self.rooms.len() + trip) as u32 + 1
    }
    fn coach_place(&self, coach: usize) -> u32 {
        (self.venues.len() + self.rooms.len() + self.trips.len() + coach) as u32 + 1
    }
    fn household_place(&self, household: u32) -> u32 {
        (self.venues.len() + self.rooms.len() + self.trips.len() + self.coaches.len()) as u32
            + household
            + 1
    }

    fn commune_address(&self, ci: usize) -> String {
        let c = &self.communes[ci];
        let d = &self.districts[c.district];
        if self.province_name.is_empty() {
            format!("{}, {}", c.name, d.name)
        } else {
            format!("{}, {}, {}", c.name, d.name, self.province_name)
        }
    }

    fn emit_places<S: Sink>(
        &mut self,
        emit: &mut Emit<'_, S>,
    ) -> Result<(), GenerateError<S::Error>> {
        for (i, v) in self.villages.iter().enumerate() {
            emit.counts.villages += 1;
            emit.sink
                .unit(&Village {
                    id: i as u32 + 1,
                    code: &v.code,
                    name: &v.name,
                    commune: &self.communes[v.commune].code,
                })
                .map_err(GenerateError::Sink)?;
        }
        for (i, v) in self.venues.iter().enumerate() {
            let id = self.places.push('V', i as u32 + 1, 5);
            let address = self.commune_address(v.commune);
            emit.place(&Place {
                id,
                reference: self.places.get(id),
                kind: PlaceKind::Venue,
                venue_kind: Some(v.kind),
                name: &v.name,
                unit_code: Some(&self.communes[v.commune].code),
                address: &address,
                capacity: Some(v.capacity),
                operator: None,
            })?;
        }
        for (i, r) in self.rooms.iter().enumerate() {
            let id = self.places.push('R', i as u32 + 1, 5);
            let address = self.commune_address(r.commune);
            emit.place(&Place {
                id,
                reference: self.places.get(id),
                kind: PlaceKind::Room,
                venue_kind: None,
                name: &r.name,
                unit_code: Some(&self.communes[r.commune].code),
                address: &address,
                capacity: Some(2),
                operator: None,
            })?;
        }
        for (i, t) in self.trips.iter().enumerate() {
            let id = self.places.push('T', i as u32 + 1, 6);
            let route = &self.routes[t.route];
            let from = &self.districts[route.from];
            let to = &self.districts[route.to];
            let depart = Timestamp(t.depart).to_vietnam();
            let name = format!(
                "Xe khách {} {} - {}, {}",
                route.plate,
                from.short,
                to.short,
                depart.format("%H:%M %d/%m/%Y")
            );
            let address = format!("Bến xe khách {}", from.short);
            let operator = format!("HTX Vận tải {}", from.short);
            emit.place(&Place {
                id,
                reference: self.places.get(id),
                kind: PlaceKind::Vehicle,
                venue_kind: None,
                name: &name,
                unit_code: Some(&self.communes[from.town].code),
                address: &address,
                capacity: Some(t.capacity),
                operator: Some(&operator),
            })?;
        }
        for (i, c) in self.coaches.iter().enumerate() {
            let id = self.places.push('T', (self.trips.len() + i) as u32 + 1, 6);
            debug_assert_eq!(id, self.coach_place(i));
            let to = &self.districts[c.to];
            let depart = Timestamp(c.depart).to_vietnam();
            let name = format!(
                "Xe khách giường nằm {} Hà Nội - {}, {}",
                c.plate,
                to.short,
                depart.format("%H:%M %d/%m/%Y")
            );
            let operator = format!("Nhà xe {}", to.short);
            emit.place(&Place {
                id,
                reference: self.places.get(id),
                kind: PlaceKind::Vehicle,
                venue_kind: None,
                name: &name,
                unit_code: Some(&self.communes[to.town].code),
                address: "Bến xe Mỹ Đình, Hà Nội",
                capacity: Some(40),
                operator: Some(&operator),
            })?;
        }
        Ok(())
    }

    fn emit_people<S: Sink>(
        &mut self,
        emit: &mut Emit<'_, S>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), GenerateError<S::Error>> {
        let mut rng = stream(self.params.seed, 4);
        let mut cccd = CccdIssuer::new(&mut rng);
        let mut phones = PhoneIssuer::new(&mut rng);
        let (mut name, mut id_number, mut phone) = (String::new(), String::new(), String::new());
        let total = u64::from(self.params.people);
        let start = self.params.start;
        for h in 0..self.pop.hh_start.len() {
            let vi = self.pop.hh_village[h] as usize;
            let village = &self.villages[vi];
            let ci = village.commune;
            let urban = self.communes[ci].urban;
            let address = if urban {
                format!(
                    "Số {}, {}, {}",
                    rng.random_range(1..=250),
                    village.name,
                    self.commune_address(ci)
                )
            } else {
                format!("{}, {}", village.name, self.commune_address(ci))
            };
            let place = self.household_place(h as u32);
            let pid = self.places.push('H', h as u32 + 1, 6);
            debug_assert_eq!(pid, place);
            let size = self.pop.hh_size[h];
            let household = Household {
                id: h as u32 + 1,
                reference: self.places.get(place),
                place,
                unit_code: &village.code,
                address: &address,
                size,
            };
            emit.counts.households += 1;
            emit.sink
                .household(&household)
                .map_err(GenerateError::Sink)?;
            let ethnicity = self.pop.hh_ethnicity[h];
            let head_male = self.pop.hh_male[h];
            let family = names::surname(&mut rng, ethnicity);
            let head_sex = if head_male { Sex::Male } else { Sex::Female };
            names::full_name(&mut rng, ethnicity, head_sex, family, &mut name);
            let head_given = name.clone();
            // The household's place is named after its head, as commune lists do.
            let head_name = format!("Hộ {head_given}");
            emit.place(&Place {
                id: place,
                reference: self.places.get(place),
                kind: PlaceKind::Household,
                venue_kind: None,
                name: &head_name,
                unit_code: Some(&village.code),
                address: &address,
                capacity: Some(u32::from(size)),
                operator: None,
            })?;
            let first = self.pop.hh_start[h];
            for k in 0..u32::from(size) {
                let i = (first + k) as usize;
                let age = self.pop.age[i];
                // Member 0 is the head, member 1 the spouse, then children and elders.
                let sex = match k {
                    0 => {
                        if head_male {
                            Sex::Male
                        } else {
                            Sex::Female
                        }
                    }
                    1 if age >= 18 => {
                        if head_male {
                            Sex::Female
                        } else {
                            Sex::Male
                        }
                    }
                    _ => {
                        if rng.random_bool(0.51) {
                            Sex::Male
                        } else {
                            Sex::Female
                        }
                    }
                };
                if k == 0 {
                    name.clone_from(&head_given);
                } else {
                    let own = if sex == Sex::Male && (k != 1 || age < 18) {
                        family
                    } else {
                        names::surname(&mut rng, ethnicity)
                    };
                    let own = if k >= 2 && age < 30 { family } else { own };
                    names::full_name(&mut rng, ethnicity, sex, own, &mut name);
                }
                let days_old = i64::from(age) * 365 + i64::from(age) / 4 + rng.random_range(0..365);
                let birth = start - Duration::days(days_old);
                let born_elsewhere = rng.random_bool(if ethnicity == Ethnicity::Kinh {
                    0.4
                } else {
                    0.03
                });
                cccd.issue(
                    &mut rng,
                    birth.year(),
                    sex == Sex::Male,
                    born_elsewhere,
                    &mut id_number,
                );
                let p_phone = match age {
                    0..=11 => 0.0,
                    12..=15 => 0.2,
                    16..=64 => {
                        if urban {
                            0.95
                        } else {
                            0.85
                        }
                    }
                    _ => 0.45,
                };
                let has_phone = rng.random_bool(p_phone);
                if has_phone {
                    phones.issue(&mut rng, &mut phone);
                }
                let id = self.persons.push('P', i as u32 + 1, 7);
                emit.counts.persons += 1;
                emit.sink
                    .person(&Person {
                        id,
                        reference: self.persons.get(id),
                        full_name: &name,
                        birth,
                        sex,
                        ethnicity,
                        id_number: &id_number,
                        nationality: "VN",
                        phone: has_phone.then_some(phone.as_str()),
                        address: &address,
                        unit_code: &village.code,
                        household: h as u32 + 1,
                        household_ref: self.places.get(place),
                    })
                    .map_err(GenerateError::Sink)?;
                if (i + 1).is_multiple_of(16_384) {
                    progress(Progress {
                        phase: Phase::People,
                        done: i as u64 + 1,
                        total,
                    });
                }
            }
        }
        progress(Progress {
            phase: Phase::People,
            done: total,
            total,
        });
        Ok(())
    }

    fn day_of(&self, t: i64) -> u16 {
        let d = (t - self.day0).div_euclid(DAY);
        d.clamp(0, i64::from(NEVER) - 1) as u16
    }

    /// Someone who met `i` in `setting`, if there is anyone.
    fn partner(&self, rng: &mut ChaCha8Rng, i: usize, setting: ContactSetting) -> Option<usize> {
        let pop = &self.pop;
        let range = match setting {
            ContactSetting::Household => {
                let h = pop.household[i] as usize;
                let s = pop.hh_start[h];
                s..s + u32::from(pop.hh_size[h])
            }
            ContactSetting::Village => self.villages[pop.village[i] as usize].persons.clone(),
            ContactSetting::Work => {
                let w = pop.work[i];
                if w == NONE {
                    return None;
                }
                let s = pop.members_start[w as usize];
                let e = pop.members_start[w as usize + 1];
                if e - s < 2 {
                    return None;
                }
                let j = pop.members[rng.random_range(s..e) as usize] as usize;
                return (j != i).then_some(j);
            }
        };
        if range.len() < 2 {
            return None;
        }
        let j = rng.random_range(range) as usize;
        (j != i).then_some(j)
    }

    /// Who is infected, when and by whom, as the scenario says.
    fn simulate_epidemic(&mut self) -> Vec<Infection> {
        match self.params.scenario {
            Scenario::Imported => std::mem::take(&mut self.imported),
            Scenario::Outbreak => self.simulate_outbreak(),
        }
    }

    /// Plans the imported cases of [`Scenario::Imported`] before anything is emitted
    /// (their coaches and quarantine rooms are places):
    ///
    /// - two in three are caught on arrival: taken from the border straight to the
    ///   provincial quarantine facility (a room each), found positive there within a
    ///   week and hospitalised. They meet nobody in the province. Their arrivals are
    ///   spread over the last [`IMPORT_WINDOW_DAYS`] days, so cases are found day after
    ///   day;
    /// - one in three (at least one) slip through: they come home on the night coach
    ///   from Hà Nội with other people of their district, arriving at dawn on the last
    ///   day, stay home (relatives and neighbours drop in), fall ill and are confirmed
    ///   that evening. Their fellow passengers, households and visitors (the F1) live
    ///   the day as usual: the tree of the last day's count.
    fn plan_imports(&mut self) {
        let mut rng = stream(self.params.seed, 3);
        let n = self.params.people;
        let days = i64::from(self.params.days);
        let last_day = self.params.start + Duration::days(days - 1);
        let total = self.params.cases as usize;
        let slipped = Scenario::slipped_cases(total as u32) as usize;
        let caught = total - slipped;
        let mut taken = vec![false; n as usize];
        // An adult of 18 to 55 in `range` not drawn yet, with a workplace if `worker`.
        let draw = |rng: &mut ChaCha8Rng, range: Range<u32>, worker: bool, taken: &mut [bool]| {
            for _ in 0..10_000 {
                let p = rng.random_range(range.clone()) as usize;
                if !taken[p]
                    && (18..=55).contains(&self.pop.age[p])
                    && (!worker || self.pop.work[p] != NONE)
                {
                    taken[p] = true;
                    return Some(p as u32);
                }
            }
            None
        };
        for k in 0..caught {
            let Some(p) = draw(&mut rng, 0..n, false, &mut taken) else {
                continue;
            };
            let window = IMPORT_WINDOW_DAYS.min(days);
            let day = days - window + window * k as i64 / caught as i64;
            let arrival = self.day0 + day * DAY + rng.random_range(9 * 60..=17 * 60) * MIN;
            let arrival_date = Timestamp(arrival).local_date();
            let sample = (arrival_date + Duration::days(rng.random_range(1..=7))).min(last_day);
            let onset = rng
                .random_bool(0.5)
                .then(|| (sample - Duration::days(rng.random_range(0..=1))).max(arrival_date));
            // Isolated when the result comes, by 22:00 on the last day at the latest.
            let isolated_at = (Timestamp::local_midnight(sample).0
                + rng.random_range(14..=30) * HOUR)
                .min(Timestamp::local_midnight(last_day).0 + 22 * HOUR);
            let infected_at = arrival - rng.random_range(1..=5) * DAY;
            let room = self.rooms.len() as u32;
            self.rooms.push(RoomG {
                name: format!("Phòng {}, Khu cách ly tập trung tỉnh", 101 + k),
                commune: self.districts[self.capital].town,
            });
            self.quarantine.push((p, room, arrival, isolated_at));
            self.pop.isolated_day[p as usize] = 0;
            self.imported.push(Infection::imported(
                p,
                infected_at,
                onset,
                sample,
                isolated_at,
            ));
        }
        let scale = self.density();
        for _ in 0..slipped {
            let Some(p) = draw(&mut rng, 0..n, false, &mut taken) else {
                continue;
            };
            let village = &self.villages[self.pop.village[p as usize] as usize];
            let district = self.communes[village.commune].district;
            let h = self.pop.household[p as usize] as usize;
            let home = self.pop.hh_start[h]..self.pop.hh_start[h] + u32::from(self.pop.hh_size[h]);
            for m in home.clone() {
                taken[m as usize] = true;
            }
            // The night coach reaches the district's bus station at dawn on the last day.
            let day = days - 1;
            let arrive = self.day0 + day * DAY + rng.random_range(6 * 60 + 30..=7 * 60 + 30) * MIN;
            let depart = (arrive - rng.random_range(9 * 60..=10 * 60) * MIN).max(self.day0);
            // Fellow passengers from the same district; people who travel to Hà Nội and
            // back are mostly working people.
            let wanted = (rng.random_range(COMPANIONS) as f64 * scale)
                .round()
                .max(1.0) as usize;
            let mut passengers = vec![p];
            for _ in 0..wanted {
                let worker = rng.random_bool(0.8);
                let range = self.districts[district].persons.clone();
                if let Some(j) = draw(&mut rng, range, worker, &mut taken) {
                    passengers.push(j);
                }
            }
            let mut stops = Vec::new();
            for &j in &passengers {
                stops.push((j, arrive + rng.random_range(3..=10) * MIN));
                self.arrivals
                    .push((j, arrive + rng.random_range(30..=90) * MIN));
                self.pop.away_until[j as usize] = self.pop.away_until[j as usize].max(day as u16);
            }
            let home_at = self.arrivals[self.arrivals.len() - passengers.len()].1;
            let sample = last_day;
            let onset = rng.random_bool(0.7).then(|| {
                (sample - Duration::days(rng.random_range(0..=1)))
                    .max(Timestamp(arrive).local_date())
            });
            let isolated_at =
                Timestamp::local_midnight(sample).0 + rng.random_range(17 * 60..=22 * 60) * MIN;
            let infected_at = arrive - rng.random_range(2..=5) * DAY;
            // Relatives and neighbours drop in before the result.
            let first_visit = self.visits.len();
            for _ in 0..rng.random_range(VISITORS) {
                let Some(j) = self.partner(&mut rng, p as usize, ContactSetting::Village) else {
                    continue;
                };
                if taken[j] {
                    continue;
                }
                let start = (home_at + rng.random_range(0..=8 * 60) * MIN).min(isolated_at - HOUR);
                self.visits.push(Visit {
                    a: p,
                    b: j as u32,
                    start,
                    end: start + rng.random_range(20..=60) * MIN,
                    setting: ContactSetting::Village,
                });
            }
            self.pop.isolated_day[p as usize] = 0;
            // The F1 are quarantined from the day after the result.
            let quarantine = self.day_of(isolated_at).saturating_add(1);
            let visitors: Vec<u32> = self.visits[first_visit..].iter().map(|v| v.b).collect();
            for m in home.chain(passengers.iter().copied()).chain(visitors) {
                if m != p {
                    let m = m as usize;
                    self.pop.isolated_day[m] = self.pop.isolated_day[m].min(quarantine);
                }
            }
            self.coaches.push(Coach {
                plate: format!(
                    "29B-{:03}.{:02}",
                    rng.random_range(0..1000),
                    rng.random_range(0..100)
                ),
                to: district,
                depart,
                arrive,
                stops,
            });
            self.imported.push(Infection::imported(
                p,
                infected_at,
                onset,
                sample,
                isolated_at,
            ));
        }
    }

    /// People per commune relative to Lai Châu's (1 at 460,000 people on its 106
    /// communes): a smaller province fills its buses less.
    fn density(&self) -> f64 {
        let full = f64::from(DEFAULT_PEOPLE) / f64::from(LAI_CHAU_COMMUNES);
        (f64::from(self.params.people) / self.communes.len() as f64 / full).min(1.0)
    }

    /// Who is infected, when and by whom: seeded index cases, then transmission along
    /// household, village and work contacts inside each infector's infectious window.
    fn simulate_outbreak(&mut self) -> Vec<Infection> {
        let mut rng = stream(self.params.seed, 3);
        let target = self.params.cases as usize;
        let n = self.params.people as usize;
        let first = self.day0;
        let last_day = self.params.start + Duration::days(i64::from(self.params.days) - 1);
        let end = self.day0 + i64::from(self.params.days) * DAY;
        let mut infected = vec![false; n];
        let mut cases: Vec<Infection> = Vec::new();
        let mut queue: BinaryHeap<Reverse<(i64, usize)>> = BinaryHeap::new();
        let make = |rng: &mut ChaCha8Rng, person: usize, t: i64, by: u32, setting, contact_end| {
            let infection_day = Timestamp(t).local_date();
            let (onset, sample) = if rng.random_bool(0.7) {
                let onset = infection_day + Duration::days(rng.random_range(2..=7));
                (Some(onset), onset + Duration::days(rng.random_range(0..=2)))
            } else {
                (
                    None,
                    infection_day + Duration::days(rng.random_range(3..=8)),
                )
            };
            let infectious_from =
                default_infectious_from(onset, Some(sample)).map_or(t, |x| x.0.max(t));
            let isolated_at =
                Timestamp::local_midnight(sample).0 + rng.random_range(14..=40) * HOUR;
            Infection {
                person: person as u32,
                infected_at: t,
                by,
                setting,
                contact_end,
                onset,
                sample,
                infectious_from,
                isolated_at,
            }
        };
        let seed_case = |rng: &mut ChaCha8Rng,
                         cases: &mut Vec<Infection>,
                         queue: &mut BinaryHeap<_>,
                         infected: &mut Vec<bool>,
                         from: i64,
                         to: i64| {
            for _ in 0..100 {
                let p = rng.random_range(0..n);
                if infected[p] {
                    continue;
                }
                let t = rng.random_range(from..to.max(from + 1));
                let inf = make(rng, p, t, NONE, ContactSetting::Village, t);
                if inf.sample > last_day {
                    continue;
                }
                infected[p] = true;
                queue.push(Reverse((inf.infectious_from, cases.len())));
                cases.push(inf);
                return true;
            }
            false
        };
        let index_cases = (target / 25).max(1).min(target);
        for _ in 0..index_cases {
            seed_case(
                &mut rng,
                &mut cases,
                &mut queue,
                &mut infected,
                first - 5 * DAY,
                first + i64::from(self.params.days) * DAY / 3,
            );
        }
        let mut guard = 0;
        while cases.len() < target && guard < 100_000 {
            guard += 1;
            let Some(Reverse((_, ci))) = queue.pop() else {
                if !seed_case(
                    &mut rng,
                    &mut cases,
                    &mut queue,
                    &mut infected,
                    first,
                    end - 7 * DAY,
                ) {
                    break;
                }
                continue;
            };
            let (src, from, to) = {
                let c = &cases[ci];
                (
                    c.person as usize,
                    c.infectious_from.max(first),
                    c.isolated_at.min(end),
                )
            };
            if to <= from {
                continue;
            }
            let secondary = match rng.random_range(0..100) {
                0..30 => 0,
                30..55 => 1,
                55..75 => 2,
                75..90 => 3,
                90..97 => 4,
                _ => 6,
            };
            for _ in 0..secondary {
                if cases.len() >= target {
                    break;
                }
                let setting = match rng.random_range(0..100) {
                    0..45 => ContactSetting::Household,
                    45..75 => ContactSetting::Village,
                    _ => ContactSetting::Work,
                };
                let Some(j) = self.partner(&mut rng, src, setting) else {
                    continue;
                };
                if infected[j] {
                    continue;
                }
                let t = rng.random_range(from..to);
                let contact_end = (t + rng.random_range(10..=90) * MIN).min(to.max(t));
                let inf = make(&mut rng, j, t, src as u32, setting, contact_end);
                if inf.sample > last_day {
                    continue;
                }
                infected[j] = true;
                queue.push(Reverse((inf.infectious_from, cases.len())));
                cases.push(inf);
            }
        }
        // Cases stop going out once isolated; their households are quarantined too.
        for c in &cases {
            let day = self.day_of(c.isolated_at);
            let p = c.person as usize;
            let h = self.pop.household[p] as usize;
            let s = self.pop.hh_start[h] as usize;
            for m in s..s + usize::from(self.pop.hh_size[h]) {
                self.pop.isolated_day[m] = self.pop.isolated_day[m].min(day);
            }
        }
        cases
    }

    fn emit_days<S: Sink>(
        &mut self,
        emit: &mut Emit<'_, S>,
        cases: &[Infection],
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), GenerateError<S::Error>> {
        let n = self.params.people as usize;
        let days = self.params.days;
        let total = u64::from(days) * n as u64;
        let period_end = self.day0 + i64::from(days) * DAY;
        // Household presences. In the outbreak, one per person over the whole period.
        // In the imported scenario a household is met at home only: a person's stay at
        // home is cut by each day at work or school (see `emit_person_day`), starts when
        // they come home from outside the province, and is absent for those in
        // quarantine.
        let mut home_since = Vec::new();
        if self.params.scenario == Scenario::Imported {
            home_since = vec![self.day0; n];
            for &(p, at) in &self.arrivals {
                home_since[p as usize] = at;
            }
            for q in &self.quarantine {
                home_since[q.0 as usize] = i64::MAX;
            }
        } else {
            for i in 0..n {
                let place = self.household_place(self.pop.household[i]);
                emit.presence(&Presence {
                    person: i as u32 + 1,
                    person_ref: self.persons.get(i as u32 + 1),
                    place,
                    place_ref: self.places.get(place),
                    kind: PlaceKind::Household,
                    start: Timestamp(self.day0),
                    end: Timestamp(period_end),
                })?;
            }
        }
        // Coaches from outside and quarantine rooms of the imported cases.
        for (k, c) in self.coaches.iter().enumerate() {
            let place = self.coach_place(k);
            let station = self.districts[c.to].bus_station;
            for &(j, leave) in &c.stops {
                emit.presence(&Presence {
                    person: j + 1,
                    person_ref: self.persons.get(j + 1),
                    place,
                    place_ref: self.places.get(place),
                    kind: PlaceKind::Vehicle,
                    start: Timestamp(c.depart),
                    end: Timestamp(c.arrive),
                })?;
                self.visit(emit, j as usize, station, c.arrive, leave)?;
            }
        }
        for &(p, room, from, to) in &self.quarantine {
            let place = self.room_place(room);
            emit.presence(&Presence {
                person: p + 1,
                person_ref: self.persons.get(p + 1),
                place,
                place_ref: self.places.get(place),
                kind: PlaceKind::Room,
                start: Timestamp(from),
                end: Timestamp(to.min(period_end).max(from)),
            })?;
        }
        let trips_per_day = self.trips.len() / days as usize;
        let mut room_free = vec![i64::MIN; self.rooms.len()];
        for day in 0..days {
            let mut rng = stream(self.params.seed, 1000 + u64::from(day));
            let d0 = self.day0 + i64::from(day) * DAY;
            let weekday = (self.params.start + Duration::days(i64::from(day)))
                .weekday()
                .num_days_from_monday();
            for t in day as usize * trips_per_day..(day as usize + 1) * trips_per_day {
                let home = (!home_since.is_empty()).then_some(home_since.as_mut_slice());
                self.emit_trip(emit, &mut rng, t, day as u16, &mut room_free, home)?;
            }
            for i in 0..n {
                let home = (!home_since.is_empty()).then_some(home_since.as_mut_slice());
                self.emit_person_day(emit, &mut rng, i, day as u16, d0, weekday, home)?;
                if (i + 1).is_multiple_of(65_536) {
                    progress(Progress {
                        phase: Phase::Days,
                        done: u64::from(day) * n as u64 + i as u64 + 1,
                        total,
                    });
                }
            }
            progress(Progress {
                phase: Phase::Days,
                done: u64::from(day + 1) * n as u64,
                total,
            });
        }
        // The last stay at home of each person runs to the end of the period, or to the
        // hospital.
        let mut until = vec![period_end; home_since.len()];
        for c in cases.iter().filter(|_| !home_since.is_empty()) {
            let p = c.person as usize;
            until[p] = until[p].min(c.isolated_at.max(home_since[p]));
        }
        for (i, &since) in home_since.iter().enumerate() {
            let period_end = until[i];
            if since < period_end {
                let place = self.household_place(self.pop.household[i]);
                emit.presence(&Presence {
                    person: i as u32 + 1,
                    person_ref: self.persons.get(i as u32 + 1),
                    place,
                    place_ref: self.places.get(place),
                    kind: PlaceKind::Household,
                    start: Timestamp(since),
                    end: Timestamp(period_end),
                })?;
            }
        }
        Ok(())
    }

    fn visit<S: Sink>(
        &self,
        emit: &mut Emit<'_, S>,
        i: usize,
        venue: u32,
        start: i64,
        end: i64,
    ) -> Result<(), GenerateError<S::Error>> {
        let place = self.venue_place(venue);
        emit.presence(&Presence {
            person: i as u32 + 1,
            person_ref: self.persons.get(i as u32 + 1),
            place,
            place_ref: self.places.get(place),
            kind: PlaceKind::Venue,
            start: Timestamp(start),
            end: Timestamp(end.max(start)),
        })
    }

    /// A visit of person `i` to `venue`, remembered in `outs` (the day's outings).
    fn out<S: Sink>(
        &self,
        emit: &mut Emit<'_, S>,
        outs: &mut Outings,
        i: usize,
        venue: u32,
        start: i64,
        end: i64,
    ) -> Result<(), GenerateError<S::Error>> {
        if start - COMMUTE < outs.not_before {
            // Not back home yet (off the coach, off a night shift).
            return Ok(());
        }
        outs.list.push((start, end.max(start)));
        self.visit(emit, i, venue, start, end)
    }

    /// The stays at home of person `i` around the day's outings (a quarter of an hour
    /// on the way each side), from `since`; leaves `since` at the return from the last.
    fn stay_home_between<S: Sink>(
        &self,
        emit: &mut Emit<'_, S>,
        i: usize,
        outs: &mut Outings,
        since: &mut i64,
    ) -> Result<(), GenerateError<S::Error>> {
        outs.list.sort_unstable();
        let place = self.household_place(self.pop.household[i]);
        for &(start, end) in &outs.list {
            let (leave, back) = (start - COMMUTE, end + COMMUTE);
            if leave > *since {
                emit.presence(&Presence {
                    person: i as u32 + 1,
                    person_ref: self.persons.get(i as u32 + 1),
                    place,
                    place_ref: self.places.get(place),
                    kind: PlaceKind::Household,
                    start: Timestamp(*since),
                    end: Timestamp(leave),
                })?;
            }
            *since = (*since).max(back);
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn emit_trip<S: Sink>(
        &mut self,
        emit: &mut Emit<'_, S>,
        rng: &mut ChaCha8Rng,
        t: usize,
        day: u16,
        room_free: &mut [i64],
        mut home_since: Option<&mut [i64]>,
    ) -> Result<(), GenerateError<S::Error>> {
        let trip = &self.trips[t];
        let route = &self.routes[trip.route];
        let (from, to) = (&self.districts[route.from], &self.districts[route.to]);
        let depart = trip.depart;
        let arrive = depart + route.minutes * MIN;
        let place = self.trip_place(t);
        // A smaller province fills its buses less, so trips do not swamp check-ins.
        let scale = (f64::from(self.params.people) / f64::from(DEFAULT_PEOPLE)).min(1.0);
        let want =
            (f64::from(rng.random_range(trip.capacity / 3..=trip.capacity)) * scale).ceil() as u32;
        let range = from.persons.clone();
        if range.is_empty() {
            return Ok(());
        }
        let mut passengers = Vec::with_capacity(want as usize);
        for _ in 0..want * 3 {
            if passengers.len() >= want as usize {
                break;
            }
            let i = rng.random_range(range.clone()) as usize;
            if self.pop.age[i] < 16
                || self.pop.isolated_day[i] <= day
                || self.pop.away_until[i] > day
            {
                continue;
            }
            passengers.push(i);
            self.pop.away_until[i] = day + 1;
        }
        let (from_station, to_station, checkpoint) =
            (from.bus_station, to.bus_station, to.checkpoint);
        let rooms = to.rooms.clone();
        let last_day = self.params.days as u16;
        for i in passengers {
            let wait = rng.random_range(15..=50) * MIN;
            self.visit(emit, i, from_station, depart - wait, depart)?;
            emit.presence(&Presence {
                person: i as u32 + 1,
                person_ref: self.persons.get(i as u32 + 1),
                place,
                place_ref: self.places.get(place),
                kind: PlaceKind::Vehicle,
                start: Timestamp(depart),
                end: Timestamp(arrive),
            })?;
            let stop = arrive - rng.random_range(20..=40) * MIN;
            self.visit(
                emit,
                i,
                checkpoint,
                stop,
                stop + rng.random_range(5..=15) * MIN,
            )?;
            self.visit(
                emit,
                i,
                to_station,
                arrive,
                arrive + rng.random_range(5..=20) * MIN,
            )?;
            if !rooms.is_empty() && rng.random_bool(0.3) {
                let nights: u16 = rng.random_range(1..=2);
                let check_in = arrive + rng.random_range(30..=90) * MIN;
                let check_out =
                    self.day0 + i64::from(day + nights) * DAY + rng.random_range(600..=690) * MIN;
                for _ in 0..3 {
                    let r = rng.random_range(rooms.clone());
                    if room_free[r as usize] <= check_in {
                        room_free[r as usize] = check_out;
                        let place = self.room_place(r);
                        emit.presence(&Presence {
                            person: i as u32 + 1,
                            person_ref: self.persons.get(i as u32 + 1),
                            place,
                            place_ref: self.places.get(place),
                            kind: PlaceKind::Room,
                            start: Timestamp(check_in),
                            end: Timestamp(check_out),
                        })?;
                        self.pop.away_until[i] = (day + nights + 1).min(last_day);
                        break;
                    }
                }
            }
            if let Some(home_since) = home_since.as_deref_mut() {
                // Away from home from the way to the station to the morning they are back.
                let back = self.day0 + i64::from(self.pop.away_until[i]) * DAY + 6 * HOUR;
                let mut outs = Outings {
                    not_before: i64::MIN,
                    list: vec![(depart - wait, back - COMMUTE)],
                };
                self.stay_home_between(emit, i, &mut outs, &mut home_since[i])?;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn emit_person_day<S: Sink>(
        &self,
        emit: &mut Emit<'_, S>,
        rng: &mut ChaCha8Rng,
        i: usize,
        day: u16,
        d0: i64,
        weekday: u32,
        home_since: Option<&mut [i64]>,
    ) -> Result<(), GenerateError<S::Error>> {
        let pop = &self.pop;
        if pop.isolated_day[i] <= day || pop.away_until[i] > day {
            return Ok(());
        }
        let role = pop.role[i];
        let work = pop.work[i];
        let age = pop.age[i];
        let village = &self.villages[pop.village[i] as usize];
        let c = &self.communes[village.commune];
        let d = &self.districts[c.district];
        let weekday_work = weekday < 5;
        let jitter = |rng: &mut ChaCha8Rng, base: i64, spread: i64| {
            d0 + base * MIN + rng.random_range(-spread..=spread) * MIN
        };
        let mut busy = false;
        let mut outs = Outings {
            not_before: home_since.as_deref().map_or(i64::MIN, |h| h[i]),
            list: Vec::new(),
        };
        match role {
            // Lower and upper secondary schools also teach on Saturday mornings.
            Role::Pupil if weekday_work || (weekday == 5 && age >= 11) => {
                let start = jitter(rng, 7 * 60, 15);
                let end = if rng.random_bool(0.4) {
                    jitter(rng, 16 * 60 + 30, 15)
                } else {
                    jitter(rng, 11 * 60, 15)
                };
                self.out(emit, &mut outs, i, work, start, end)?;
                busy = true;
            }
            Role::Office if weekday_work => {
                self.out(
                    emit,
                    &mut outs,
                    i,
                    work,
                    jitter(rng, 7 * 60 + 20, 15),
                    jitter(rng, 11 * 60 + 30, 10),
                )?;
                self.out(
                    emit,
                    &mut outs,
                    i,
                    work,
                    jitter(rng, 13 * 60 + 30, 10),
                    jitter(rng, 17 * 60, 15),
                )?;
                busy = true;
            }
            Role::Teacher if weekday_work => {
                self.out(
                    emit,
                    &mut outs,
                    i,
                    work,
                    jitter(rng, 6 * 60 + 50, 10),
                    jitter(rng, 11 * 60 + 15, 10),
                )?;
                if rng.random_bool(0.5) {
                    self.out(
                        emit,
                        &mut outs,
                        i,
                        work,
                        jitter(rng, 13 * 60 + 45, 10),
                        jitter(rng, 16 * 60 + 45, 10),
                    )?;
                }
                busy = true;
            }
            Role::Health if weekday < 6 => {
                self.out(
                    emit,
                    &mut outs,
                    i,
                    work,
                    jitter(rng, 7 * 60, 10),
                    jitter(rng, 11 * 60 + 30, 10),
                )?;
                self.out(
                    emit,
                    &mut outs,
                    i,
                    work,
                    jitter(rng, 13 * 60 + 30, 10),
                    jitter(rng, 17 * 60, 10),
                )?;
                busy = true;
            }
            Role::Trader => {
                let market = self.whole(work);
                let open = self.venues[market as usize].commune != village.commune
                    || c.market_day == weekday;
                let daily = market == d.market;
                if open || daily {
                    self.out(
                        emit,
                        &mut outs,
                        i,
                        work,
                        jitter(rng, 5 * 60 + 45, 20),
                        jitter(rng, 11 * 60 + 30, 30),
                    )?;
                    busy = true;
                }
            }
            Role::Service if weekday != 0 => {
                self.out(
                    emit,
                    &mut outs,
                    i,
                    work,
                    jitter(rng, 9 * 60, 20),
                    jitter(rng, 14 * 60, 20),
                )?;
                self.out(
                    emit,
                    &mut outs,
                    i,
                    work,
                    jitter(rng, 16 * 60, 20),
                    jitter(rng, 21 * 60, 20),
                )?;
                busy = true;
            }
            Role::Guard => {
                let shift = ((i + day as usize) % 3) as i64;
                let start = d0 + (6 + 8 * shift) * HOUR;
                self.out(emit, &mut outs, i, work, start, start + 8 * HOUR)?;
                busy = shift == 0;
            }
            Role::Driver if rng.random_bool(0.6) => {
                let start = jitter(rng, 5 * 60 + 30, 20);
                self.out(
                    emit,
                    &mut outs,
                    i,
                    work,
                    start,
                    start + rng.random_range(60..=180) * MIN,
                )?;
            }
            _ => {}
        }
        let adult = age >= 15;
        let x: f64 = rng.random();
        if !busy && role != Role::Child {
            // Market: the commune's weekly market day, or the district's daily market.
            let p_market = if c.market != NONE && c.market_day == weekday {
                if adult {
                    0.40
                } else {
                    0.15
                }
            } else if c.urban {
                0.08
            } else {
                0.02
            };
            if x < p_market {
                let venue = if c.market != NONE && c.market_day == weekday {
                    c.market
                } else {
                    d.market
                };
                let venue = self.unit_of(rng, venue);
                let start = jitter(rng, 7 * 60 + 30, 90);
                self.out(
                    emit,
                    &mut outs,
                    i,
                    venue,
                    start,
                    start + rng.random_range(30..=180) * MIN,
                )?;
            }
            if adult && rng.random_bool(0.01) {
                let start = jitter(rng, 9 * 60, 60);
                let venue = if rng.random_bool(0.8) {
                    c.office
                } else {
                    d.office
                };
                let venue = self.unit_of(rng, venue);
                self.out(
                    emit,
                    &mut outs,
                    i,
                    venue,
                    start,
                    start + rng.random_range(15..=60) * MIN,
                )?;
            }
        }
        // Shops (tạp hóa): most adults drop in once or twice a day or two; older
        // children now and then.
        let shop_visits = if adult {
            match rng.random_range(0..100) {
                0..35 => 1,
                35..45 => 2,
                _ => 0,
            }
        } else {
            u32::from(age >= 6 && rng.random_bool(0.15))
        };
        // Grocery shops had no QR check-in in 2021 (and a visit of a few minutes makes no
        // contact): the imported scenario does not record them.
        let shop_visits = if self.params.scenario == Scenario::Imported {
            0
        } else {
            shop_visits
        };
        for _ in 0..shop_visits {
            let shop = c.shops[rng.random_range(0..c.shops.len())];
            let start = if busy {
                jitter(rng, 18 * 60, 40)
            } else {
                jitter(rng, 12 * 60, 240)
            };
            self.out(
                emit,
                &mut outs,
                i,
                shop,
                start,
                start + rng.random_range(15..=35) * MIN,
            )?;
        }
        if adult && rng.random_bool(0.05) {
            let restaurants = if c.urban || rng.random_bool(0.7) {
                &c.restaurants
            } else {
                &d.restaurants
            };
            let venue = restaurants[rng.random_range(0..restaurants.len())];
            let start = if rng.random_bool(0.5) {
                jitter(rng, 11 * 60 + 30, 30)
            } else {
                jitter(rng, 18 * 60 + 30, 40)
            };
            self.out(
                emit,
                &mut outs,
                i,
                venue,
                start,
                start + rng.random_range(30..=100) * MIN,
            )?;
        }
        let p_clinic = if !(6..60).contains(&age) { 0.02 } else { 0.007 };
        if rng.random_bool(p_clinic) {
            let start = jitter(rng, 9 * 60, 90);
            let venue = if rng.random_bool(0.85) {
                c.clinic
            } else {
                d.hospital
            };
            let venue = self.unit_of(rng, venue);
            self.out(
                emit,
                &mut outs,
                i,
                venue,
                start,
                start + rng.random_range(20..=150) * MIN,
            )?;
        }
        // Direct contacts: two or three a week, mostly at home, in the village or at work.
        if rng.random_bool(0.4) {
            let y = rng.random_range(0..100);
            let setting = if y < 40 {
                ContactSetting::Household
            } else if y < 75 && busy {
                ContactSetting::Work
            } else {
                ContactSetting::Village
            };
            if let Some(j) = self.partner(rng, i, setting) {
                if pop.isolated_day[j] > day && pop.away_until[j] <= day {
                    let start = match setting {
                        ContactSetting::Household => jitter(rng, 19 * 60, 90),
                        ContactSetting::Work => jitter(rng, 10 * 60, 60),
                        ContactSetting::Village => jitter(rng, 17 * 60, 120),
                    };
                    emit.contact(&Contact {
                        a: i as u32 + 1,
                        a_ref: self.persons.get(i as u32 + 1),
                        b: j as u32 + 1,
                        b_ref: self.persons.get(j as u32 + 1),
                        start: Timestamp(start),
                        end: Timestamp(start + rng.random_range(5..=60) * MIN),
                        setting,
                    })?;
                }
            }
        }
        if let Some(home_since) = home_since {
            self.stay_home_between(emit, i, &mut outs, &mut home_since[i])?;
        }
        Ok(())
    }

    fn emit_cases<S: Sink>(
        &self,
        emit: &mut Emit<'_, S>,
        cases: &[Infection],
    ) -> Result<(), GenerateError<S::Error>> {
        let mut rng = stream(self.params.seed, 5);
        let person_ref = |i: u32| self.persons.get(i + 1);
        for v in &self.visits {
            emit.contact(&Contact {
                a: v.a + 1,
                a_ref: person_ref(v.a),
                b: v.b + 1,
                b_ref: person_ref(v.b),
                start: Timestamp(v.start),
                end: Timestamp(v.end),
                setting: v.setting,
            })?;
        }
        for c in cases
            .iter()
            .filter(|c| c.by != NONE && c.infected_at >= self.day0)
        {
            emit.contact(&Contact {
                a: c.by + 1,
                a_ref: person_ref(c.by),
                b: c.person + 1,
                b_ref: person_ref(c.person),
                start: Timestamp(c.infected_at),
                end: Timestamp(c.contact_end.max(c.infected_at)),
                setting: c.setting,
            })?;
        }
        // Cases are admitted to their district's hospital when isolated (Vietnam
        // hospitalised every F0 in 2021), for up to 14 days within the period.
        let period_end = self.day0 + i64::from(self.params.days) * DAY;
        for c in cases.iter().filter(|c| c.isolated_at < period_end) {
            let village = &self.villages[self.pop.village[c.person as usize] as usize];
            let hospital = self.districts[self.communes[village.commune].district].hospital;
            let end = (c.isolated_at + 14 * DAY).min(period_end);
            self.visit(emit, c.person as usize, hospital, c.isolated_at, end)?;
        }
        let mut is_case = vec![false; self.params.people as usize];
        for c in cases {
            is_case[c.person as usize] = true;
        }
        for c in cases {
            emit.counts.cases += 1;
            emit.sink
                .case(&CaseRecord {
                    person: c.person + 1,
                    person_ref: person_ref(c.person),
                    onset: c.onset,
                    sample_date: c.sample,
                    infectious_from: Timestamp(c.infectious_from),
                    isolated_at: Timestamp(c.isolated_at),
                    classification: CaseClassification::Confirmed,
                    infected_by: (c.by != NONE).then(|| c.by + 1),
                })
                .map_err(GenerateError::Sink)?;
        }
        let test = |emit: &mut Emit<'_, S>, person: u32, at: i64, kind, result| {
            emit.counts.tests += 1;
            emit.sink
                .test(&TestRecord {
                    person: person + 1,
                    person_ref: person_ref(person),
                    sampled_at: Timestamp(at),
                    kind,
                    result,
                })
                .map_err(GenerateError::Sink)
        };
        for c in cases {
            let sampled =
                Timestamp::local_midnight(c.sample).0 + rng.random_range(7 * 60..=16 * 60) * MIN;
            if rng.random_bool(0.2) {
                test(
                    emit,
                    c.person,
                    sampled - HOUR,
                    TestKind::RapidAntigen,
                    TestResult::Positive,
                )?;
            }
            test(emit, c.person, sampled, TestKind::Pcr, TestResult::Positive)?;
            // Household members and a few neighbours are tested after the case is found.
            let h = self.pop.household[c.person as usize] as usize;
            let s = self.pop.hh_start[h];
            let at = Timestamp::local_midnight(
                Timestamp(c.isolated_at).local_date() + Duration::days(1),
            )
            .0 + rng.random_range(7 * 60..=11 * 60) * MIN;
            for m in s..s + u32::from(self.pop.hh_size[h]) {
                if !is_case[m as usize] {
                    test(emit, m, at, TestKind::Pcr, TestResult::Negative)?;
                }
            }
            for _ in 0..rng.random_range(0..=4) {
                if let Some(j) = self.partner(&mut rng, c.person as usize, ContactSetting::Village)
                {
                    if !is_case[j] {
                        test(
                            emit,
                            j as u32,
                            at + rng.random_range(0..=8) * HOUR,
                            TestKind::RapidAntigen,
                            TestResult::Negative,
                        )?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Household size, 1 to 8: smaller for Kinh families, larger for H'Mông and Dao.
fn household_size(rng: &mut ChaCha8Rng, ethnicity: Ethnicity) -> u32 {
    let weights: &[u32; 8] = match ethnicity {
        Ethnicity::Kinh => &[8, 18, 24, 28, 13, 6, 2, 1],
        Ethnicity::Thai => &[5, 12, 20, 27, 18, 10, 5, 3],
        _ => &[3, 8, 13, 20, 19, 15, 12, 10],
    };
    let total: u32 = weights.iter().sum();
    let mut x = rng.random_range(0..total);
    for (k, w) in weights.iter().enumerate() {
        if x < *w {
            return k as u32 + 1;
        }
        x -= w;
    }
    4
}

/// Ages of a household's members: head, spouse, then children and maybe an elder.
fn household_ages(rng: &mut ChaCha8Rng, size: u32) -> Vec<u8> {
    let mut ages = Vec::with_capacity(size as usize);
    if size == 1 {
        ages.push(rng.random_range(19..=88));
        return ages;
    }
    let head: u8 = if rng.random_bool(0.8) {
        rng.random_range(22..=55)
    } else {
        rng.random_range(56..=80)
    };
    ages.push(head);
    let spouse = head.saturating_sub(rng.random_range(0..=6)).max(18);
    ages.push(spouse);
    let mut left = size - 2;
    if left >= 2 && head < 50 && rng.random_bool(0.35) {
        ages.push((head + rng.random_range(20..=30)).min(98));
        left -= 1;
    }
    let oldest_child = head.saturating_sub(18).clamp(0, 28);
    for _ in 0..left {
        ages.push(rng.random_range(0..=oldest_child));
    }
    ages
}
