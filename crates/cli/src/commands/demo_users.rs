//! The demo's staff accounts: one per role, each over a jurisdiction the synthetic
//! province really has, with a fresh random password printed once.

use anyhow::Context;
use phongdich_app::accounts::hash_password;
use phongdich_domain::{Jurisdiction, Role};
use phongdich_domain::{UnitCode, VenueKind};
use phongdich_store::{NewUser, Store};
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

    fn venue(&self, kinds: &[VenueKind]) -> Option<String> {
        kinds
            .iter()
            .find_map(|k| self.venues.get(k.as_str()).cloned())
    }
}

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
    ];
    let mut created = Vec::new();
    for (username, role, jurisdiction) in plan {
        if store.user_by_username(username).await?.is_some() {
            continue;
        }
        let password = password();
        let (kind, code) = jurisdiction.parts();
        store
            .insert_user(&NewUser {
                username: username.to_owned(),
                display_name: format!("Demo {}", role.as_str()),
                password_hash: hash_password(&password)
                    .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?,
                role: role.as_str().to_owned(),
                jurisdiction_kind: kind.to_owned(),
                jurisdiction_code: code.to_owned(),
            })
            .await
            .with_context(|| format!("creating the demo account {username}"))?;
        created.push(DemoUser {
            username: username.to_owned(),
            password,
            role,
            jurisdiction,
        });
    }
    Ok(created)
}

/// The accounts as a table for the terminal.
pub fn table(users: &[DemoUser]) -> String {
    let mut out = String::from(
        "Tài khoản demo (demo accounts; passwords are shown only now):\n\
         tên đăng nhập  mật khẩu          vai trò                  phạm vi\n",
    );
    for u in users {
        let (kind, code) = u.jurisdiction.parts();
        out.push_str(&format!(
            "{:<14} {:<17} {:<24} {kind} {code}\n",
            u.username,
            u.password,
            u.role.as_str()
        ));
    }
    out
}
