//! What citizens did on the demo's last day: health declarations from the commune of
//! the demo's commune officer (some flagged for follow-up: symptoms, a case contact, an
//! epidemic zone) and QR check-ins at the demo's venue, each through the public use
//! case at its own time of day, so that a newcomer signed in as `xa` finds a follow-up
//! list to work through and `diadiem` a venue with visits.

use anyhow::Context;
use phongdich_app::checkins::CheckInInput;
use phongdich_app::declarations::{DeclarationInput, PersonDeclared};
use phongdich_app::engine::Engine;
use phongdich_app::{Actor, App, FixedClock};
use phongdich_domain::{Timestamp, UnitCode};
use phongdich_store::Store;
use std::sync::Arc;

/// What was seeded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seeded {
    /// Declarations made (one per person declared).
    pub declarations: usize,
    /// Of those, flagged for the commune's follow-up.
    pub flagged: usize,
    /// Check-ins at the venue.
    pub check_ins: usize,
    /// Persons created by them (declared or visiting, not in the province's lists).
    pub persons: u64,
}

/// One declarant: name, CCCD, birth, sex, phone, symptoms, case contact, epidemic
/// zone, kind, where from (a province or country code), hour of the day.
type Declarant = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    bool,
    bool,
    &'static str,
    Option<&'static str>,
    u32,
);

/// The day's declarations: returnees from the provinces of May 2021's outbreak (Bắc
/// Giang 24, Bắc Ninh 27, Hà Nội 01), a worker back from Laos, and neighbours
/// declaring of their own accord.
pub const DECLARANTS: [Declarant; 12] = [
    (
        "Lò Văn Thắng",
        "012089000341",
        "1989-03-14",
        "male",
        "0912300001",
        &["fever", "cough"],
        false,
        true,
        "domestic",
        Some("24"),
        7,
    ),
    (
        "Tao Thị Dung",
        "012195000517",
        "1995-11-02",
        "female",
        "0912300002",
        &[],
        true,
        false,
        "domestic",
        Some("27"),
        8,
    ),
    (
        "Vàng A Sử",
        "012201000233",
        "2001-06-20",
        "male",
        "0912300003",
        &[],
        false,
        false,
        "voluntary",
        None,
        9,
    ),
    (
        "Lý Thị Sinh",
        "012178000904",
        "1978",
        "female",
        "0912300004",
        &["sore_throat", "fatigue"],
        false,
        false,
        "voluntary",
        None,
        10,
    ),
    (
        "Phạm Văn Hùng",
        "001085012877",
        "1985-01-30",
        "male",
        "0912300005",
        &[],
        false,
        true,
        "domestic",
        Some("01"),
        11,
    ),
    (
        "Giàng Thị Pà",
        "012199000118",
        "1999-09-09",
        "female",
        "0912300006",
        &[],
        false,
        false,
        "voluntary",
        None,
        13,
    ),
    (
        "Hoàng Văn Quý",
        "012092000765",
        "1992-04-17",
        "male",
        "0912300007",
        &["loss_of_taste_or_smell"],
        true,
        false,
        "domestic",
        Some("24"),
        14,
    ),
    (
        "Đèo Thị Hương",
        "012187000432",
        "1987-12-05",
        "female",
        "0912300008",
        &[],
        false,
        false,
        "voluntary",
        None,
        15,
    ),
    (
        "Sùng A Chứ",
        "012203000611",
        "2003-02-11",
        "male",
        "0912300009",
        &[],
        false,
        false,
        "entry",
        Some("LA"),
        16,
    ),
    (
        "Nguyễn Thị Lan",
        "012090000289",
        "1990-07-23",
        "female",
        "0912300010",
        &[],
        false,
        false,
        "voluntary",
        None,
        17,
    ),
    (
        "Lò Thị Ón",
        "012168000377",
        "1968",
        "female",
        "0912300011",
        &["shortness_of_breath"],
        false,
        false,
        "voluntary",
        None,
        19,
    ),
    (
        "Tẩn Văn Lử",
        "012197000845",
        "1997-08-08",
        "male",
        "0912300012",
        &[],
        false,
        true,
        "domestic",
        Some("27"),
        20,
    ),
];

/// The evening's visitors at the venue: name, phone, minutes after 18:50 (the last
/// ones still there when the demo's clock starts at 22:30).
const VISITORS: [(&str, &str, i64); 14] = [
    ("Lò Văn Thắng", "0912300001", 0),
    ("Vàng Thị Dua", "0912300101", 12),
    ("Lò Thị Xuân", "0912300102", 25),
    ("Tao Văn Pọm", "0912300103", 31),
    ("Giàng A Páo", "0912300104", 48),
    ("Lường Thị Ngân", "0912300105", 60),
    ("Hà Văn Khiêm", "0912300106", 77),
    ("Lý A Sần", "0912300107", 90),
    ("Chảo Thị Mẩy", "0912300108", 104),
    ("Đỗ Thị Thu", "0912300109", 121),
    ("Phàn A Tả", "0912300110", 140),
    ("Nguyễn Văn Bình", "0912300111", 163),
    ("Lò Văn Hặc", "0912300112", 190),
    ("Vì Thị Chung", "0912300113", 215),
];

/// Declares [`DECLARANTS`] in `commune` over the day of `evening` and checks
/// [`VISITORS`] in at `venue` (a place reference) from 18:50, each through the public
/// use cases at its time; the engine learns the check-ins when the server builds it.
pub async fn seed(
    store: &Store,
    province: &UnitCode,
    commune: &UnitCode,
    venue: Option<&str>,
    evening: Timestamp,
) -> anyhow::Result<Seeded> {
    let before = store.counts().await?.persons;
    let midnight = Timestamp::local_midnight(evening.local_date());
    let clock = Arc::new(FixedClock::at(midnight));
    let app = App::new(
        store.clone(),
        province.clone(),
        clock.clone(),
        Engine::none(),
    );
    let public = Actor::public(None);
    let mut seeded = Seeded::default();
    let day = evening.local_date();
    for (i, d) in DECLARANTS.iter().enumerate() {
        let (name, id, birth, sex, phone, symptoms, contact, zone, kind, origin, hour) = *d;
        clock.set(Timestamp(
            midnight.0 + i64::from(hour) * 3_600 + 7 * 60 * i as i64 % 3_600,
        ));
        let arrival = (kind != "voluntary").then(|| (day - chrono::Duration::days(2)).to_string());
        let input = DeclarationInput {
            kind: kind.to_owned(),
            persons: vec![PersonDeclared {
                full_name: name.to_owned(),
                id_number: id.to_owned(),
                birth: birth.to_owned(),
                sex: sex.to_owned(),
                nationality: None,
                phone: Some(phone.to_owned()),
                symptoms: symptoms.iter().map(|s| (*s).to_owned()).collect(),
                case_contact: contact,
                epidemic_zone: zone,
            }],
            province: province.as_str().to_owned(),
            commune: commune.as_str().to_owned(),
            village: Some("Bản Nà Khương".to_owned()),
            address: None,
            visited_provinces: origin
                .filter(|o| o.chars().all(|c| c.is_ascii_digit()))
                .map(|o| vec![o.to_owned()])
                .unwrap_or_default(),
            visited_places: None,
            origin: origin.map(str::to_owned),
            arrival_date: arrival,
        };
        app.declare(&public, &input, Some(&format!("demo-device-{i}")), None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("declaring {name}"))?;
        seeded.declarations += 1;
        if !symptoms.is_empty() || contact || zone {
            seeded.flagged += 1;
        }
    }
    if let Some(reference) = venue {
        seeded.check_ins = check_in(store, &app, &clock, reference, midnight).await?;
    }
    seeded.persons = store.counts().await?.persons.saturating_sub(before);
    Ok(seeded)
}

/// Checks [`VISITORS`] in at the venue `reference` from 18:50 on the day of `midnight`.
async fn check_in(
    store: &Store,
    app: &App,
    clock: &FixedClock,
    reference: &str,
    midnight: Timestamp,
) -> anyhow::Result<usize> {
    let public = Actor::public(None);
    let place = store.place_by_ref(reference).await?;
    let venue = store.venue(place.id).await?;
    let key = app.venue_key().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let token = key.token(venue.place.id, venue.token_version);
    for (name, phone, minutes) in VISITORS {
        clock.set(Timestamp(midnight.0 + 18 * 3_600 + 50 * 60 + minutes * 60));
        let input = CheckInInput {
            token: token.clone(),
            phone: phone.to_owned(),
            full_name: name.to_owned(),
        };
        app.check_in(&public, &input, None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("checking {name} in"))?;
    }
    Ok(VISITORS.len())
}
