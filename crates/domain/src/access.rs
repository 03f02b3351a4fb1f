//! Who may act: a staff account's [`Role`] (what it may do) and [`Jurisdiction`] (where).
//!
//! These are pure values; the one access check that applies them to a record lives in
//! the application layer (`phongdich_app::access`).

use crate::admin::{AdminLevel, UnitCode};
use std::fmt;

/// What a staff member may do. Jurisdiction limits where; the role limits what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Manages accounts and reads the audit log; sees and edits all of its jurisdiction.
    ProvinceAdmin,
    /// Department of Health or provincial Steering Committee staff.
    ProvinceOfficer,
    /// District staff.
    DistrictOfficer,
    /// Commune staff.
    CommuneOfficer,
    /// Runs a quarantine facility.
    FacilityManager,
    /// Staffs a checkpoint.
    CheckpointOfficer,
    /// Bus or transport operator (passenger manifests).
    TransportOperator,
    /// Hotel or guest-house operator (guest reports).
    AccommodationOperator,
    /// Steering Committee leader: reads everything of its jurisdiction, writes nothing.
    Leader,
    /// Operator of one venue (cơ sở, địa điểm: a market, a shop, an office), bound to
    /// it by a place jurisdiction: its poster and token, and checking in visitors
    /// without a smartphone; never the population.
    VenueOperator,
}

impl Role {
    /// Every role, in the order forms list them.
    pub const ALL: [Role; 10] = [
        Self::ProvinceAdmin,
        Self::ProvinceOfficer,
        Self::DistrictOfficer,
        Self::CommuneOfficer,
        Self::FacilityManager,
        Self::CheckpointOfficer,
        Self::TransportOperator,
        Self::AccommodationOperator,
        Self::Leader,
        Self::VenueOperator,
    ];

    /// The stored text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProvinceAdmin => "province_admin",
            Self::ProvinceOfficer => "province_officer",
            Self::DistrictOfficer => "district_officer",
            Self::CommuneOfficer => "commune_officer",
            Self::FacilityManager => "facility_manager",
            Self::CheckpointOfficer => "checkpoint_officer",
            Self::TransportOperator => "transport_operator",
            Self::AccommodationOperator => "accommodation_operator",
            Self::Leader => "leader",
            Self::VenueOperator => "venue_operator",
        }
    }

    /// Parses the stored text form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    /// The Vietnamese name of the role.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::ProvinceAdmin => "Quản trị hệ thống tỉnh",
            Self::ProvinceOfficer => "Cán bộ tỉnh (Sở Y tế, BCĐ)",
            Self::DistrictOfficer => "Cán bộ huyện",
            Self::CommuneOfficer => "Cán bộ xã",
            Self::FacilityManager => "Quản lý khu cách ly",
            Self::CheckpointOfficer => "Cán bộ chốt kiểm soát",
            Self::TransportOperator => "Nhà xe, vận tải",
            Self::AccommodationOperator => "Cơ sở lưu trú",
            Self::Leader => "Lãnh đạo (chỉ xem)",
            Self::VenueOperator => "Cơ sở / địa điểm",
        }
    }

    /// The English name of the role.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::ProvinceAdmin => "Province administrator",
            Self::ProvinceOfficer => "Province officer (Health Department, Steering Committee)",
            Self::DistrictOfficer => "District officer",
            Self::CommuneOfficer => "Commune officer",
            Self::FacilityManager => "Quarantine facility manager",
            Self::CheckpointOfficer => "Checkpoint officer",
            Self::TransportOperator => "Transport operator",
            Self::AccommodationOperator => "Accommodation operator",
            Self::Leader => "Leader (read only)",
            Self::VenueOperator => "Venue operator",
        }
    }

    /// Whether the role may only read.
    pub fn read_only(self) -> bool {
        self == Self::Leader
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a staff member's view ends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Jurisdiction {
    /// An administrative unit and everything under it.
    Unit(UnitCode),
    /// One facility, checkpoint or operator (a place reference).
    Place(String),
}

impl Jurisdiction {
    /// Parses the stored pair (`unit`, code) or (`place`, reference).
    pub fn parse(kind: &str, code: &str) -> Option<Self> {
        match kind {
            "unit" => UnitCode::parse(code).ok().map(Self::Unit),
            "place" if !code.trim().is_empty() => Some(Self::Place(code.trim().to_owned())),
            _ => None,
        }
    }

    /// The stored pair.
    pub fn parts(&self) -> (&'static str, &str) {
        match self {
            Self::Unit(c) => ("unit", c.as_str()),
            Self::Place(r) => ("place", r),
        }
    }

    /// The unit of a unit-bound jurisdiction.
    pub fn unit(&self) -> Option<&UnitCode> {
        match self {
            Self::Unit(u) => Some(u),
            Self::Place(_) => None,
        }
    }

    /// Whether this is a whole province (by level; which province is the access
    /// check's business).
    pub fn is_province(&self) -> bool {
        self.unit()
            .is_some_and(|u| u.level() == AdminLevel::Province)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_jurisdictions_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
        let j = Jurisdiction::parse("unit", "03460").unwrap();
        assert_eq!(j.parts(), ("unit", "03460"));
        assert!(!j.is_province());
        assert!(Jurisdiction::parse("unit", "12").unwrap().is_province());
        assert_eq!(Jurisdiction::parse("unit", "x"), None);
        assert_eq!(Jurisdiction::parse("galaxy", "12"), None);
        assert_eq!(Jurisdiction::parse("place", " "), None);
    }
}
