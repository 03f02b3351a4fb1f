//! The demo's staff accounts: one per role, each over a jurisdiction the synthetic
//! province really has, with a fresh random password printed once.

use anyhow::Context;
use phongdich_app::accounts::NewAccount;
use phongdich_app::{Actor, App, Channel};
use phongdich_domain::{Jurisdiction, Role};
use phongdich_domain::{UnitCode, VenueKind};
use phongdich_store::Store;
use rand::Rng;
use std::collections::BTreeMap;

/// What the demo's accounts are scoped to, noted while the province is loaded.
#[derive(Debug, Clone, Default)]
pub struct DemoRefs {
    /// The commune of the first village generated.
    pub commune: Option<UnitCode>,
    /// The first place generated of each venue kind, by reference.
    pub venues: BTreeMap<&'static str, String>,
}

impl DemoRefs {
    /// Notes a generated village's commune.
    pub fn village(&mut self, commune: &UnitCode) {
        if self.commune.is_none() {
            self.commune = Some(commune.clone());
        }
    }

    /// Notes a generated place.
    pub fn place(&mut self, venue_kind: Option<VenueKind>, reference: &str) {
        if let Some(kind) = venue_kind {
            self.venues
                .entry(kind.as_str())
                .or_insert_with(|| reference.to_owned());
        }
    }

    /// The first place of the first of `kinds` generated.
    pub fn venue(&self, kinds: &[VenueKind]) -> Option<String> {
        kinds
            .iter()
            .find_map(|k| self.venues.get(k.as_str()).cloned())
    }
}

/// The kinds of venue the demo's venue operator runs, in order of preference.
pub const OPERATED_VENUES: [VenueKind; 3] =
    [VenueKind::Market, VenueKind::Restaurant, VenueKind::Other];

/// One account created.
#[derive(Debug, Clone)]
pub struct DemoUser {
    /// Sign-in name.
    pub username: String,
    /// Its password (shown once).
    pub password: String,
    /// Role.
    pub role: Role,
    /// What it sees.
    pub jurisdiction: Jurisdiction,
    /// Its unit's name, or the place reference.
    pub scope_name: String,
    /// For the venue operator: the path of its venue's QR poster.
    pub poster: Option<String>,
}

/// A random password of 16 letters and digits (no look-alikes).
fn password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// Creates one account per role (skipping names already taken, so a second run over
/// the same database keeps the first run's accounts); returns those created.
pub async fn create(store: &Store, refs: &DemoRefs) -> anyhow::Result<Vec<DemoUser>> {
    let province = UnitCode::parse("12").context("the province code")?;
    let commune = refs.commune.clone().unwrap_or_else(|| province.clone());
    let district = match store.unit(&commune).await {
        Ok(unit) => unit.parent.unwrap_or_else(|| province.clone()),
        Err(_) => province.clone(),
    };
    let place_or_province = |kinds: &[VenueKind]| {
        refs.venue(kinds)
            .map(Jurisdiction::Place)
            .unwrap_or_else(|| Jurisdiction::Unit(province.clone()))
    };
    // Display names as the officials' own: a person's name, as the audit log shows it.
    let plan = [
        (
            "admin",
            Role::ProvinceAdmin,
            Jurisdiction::Unit(province.clone()),
        ),
        (
            "soyte",
            Role::ProvinceOfficer,
            Jurisdiction::Unit(province.clone()),
        ),
        ("huyen", Role::DistrictOfficer, Jurisdiction::Unit(district)),
        ("xa", Role::CommuneOfficer, Jurisdiction::Unit(commune)),
        (
            "cachly",
            Role::FacilityManager,
            place_or_province(&[VenueKind::QuarantineFacility, VenueKind::Hospital]),
        ),
        (
            "chotkiem",
            Role::CheckpointOfficer,
            place_or_province(&[VenueKind::Checkpoint]),
        ),
        (
            "vantai",
            Role::TransportOperator,
            place_or_province(&[VenueKind::BusStation]),
        ),
        (
            "luutru",
            Role::AccommodationOperator,
            place_or_province(&[VenueKind::Hotel]),
        ),
        (
            "lanhdao",
            Role::Leader,
            Jurisdiction::Unit(province.clone()),
        ),
        (
            "diadiem",
            Role::VenueOperator,
            place_or_province(&OPERATED_VENUES),
        ),
    ];
    let names = [
        "Vàng A Dình",
        "Trần Thị Thu Hà",
        "Lò Văn Xuân",
        "Giàng Thị Mai",
        "Đỗ Văn Nam",
        "Phạm Quốc Bảo",
        "Hoàng Văn Tùng",
        "Lê Thị Ngọc",
        "Nguyễn Đức Thắng",
        "Vì Thị Hoa",
    ];
    // Through the accounts use case, audited as the console's operator.
    let app = App::offline(store.clone(), province.clone());
    let operator = Actor::system(province.clone(), Channel::Cli, "cli:demo".to_owned());
    let mut created = Vec::new();
    for ((username, role, jurisdiction), name) in plan.into_iter().zip(names) {
        if store.user_by_username(username).await?.is_some() {
            continue;
        }
        let password = password();
        app.add_account(
            &operator,
            &NewAccount {
                username: username.to_owned(),
                display_name: name.to_owned(),
                password: password.clone(),
                role,
                jurisdiction: jurisdiction.clone(),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("creating the demo account {username}"))?;
        let (scope_name, place_id) = match &jurisdiction {
            Jurisdiction::Unit(u) => (store.unit(u).await.map(|u| u.name)?, None),
            Jurisdiction::Place(reference) => {
                let place = store.place_by_ref(reference).await?;
                (place.name, Some(place.id))
            }
        };
        // Every venue has a signed QR token from its creation (version 1).
        let poster = place_id
            .filter(|_| role == Role::VenueOperator)
            .map(|id| format!("/venues/{id}/poster"));
        created.push(DemoUser {
            username: username.to_owned(),
            password,
            role,
            jurisdiction,
            scope_name,
            poster,
        });
    }
    Ok(created)
}

/// The accounts as a table for the terminal.
pub fn table(users: &[DemoUser]) -> String {
    let mut out = String::from(
        "Tài khoản demo (demo accounts; passwords are shown only now):\n\
         tên đăng nhập  mật khẩu          vai trò                        phạm vi\n",
    );
    for u in users {
        out.push_str(&format!(
            "{:<14} {:<17} {:<30} {}\n",
            u.username,
            u.password,
            u.role.label_vi(),
            u.scope_name
        ));
    }
    for u in users {
        if let Some(p) = &u.poster {
            out.push_str(&format!(
                "Áp phích mã QR của địa điểm (QR poster of a venue; sign in as {}): {p}\n",
                u.username
            ));
        }
    }
    out
}
