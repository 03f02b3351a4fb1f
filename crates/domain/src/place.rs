//! Places where people are together, and their kinds.

use serde::{Deserialize, Serialize};

/// The kind of a place, as the tracing rule sees it (tracing.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceKind {
    /// A household: the people who live together.
    Household,
    /// A room of a hotel or quarantine facility.
    Room,
    /// One trip of a bus, car or boat: its passenger manifest.
    Vehicle,
    /// A venue with QR check-in: market, office, school, clinic, checkpoint...
    Venue,
}

impl PlaceKind {
    /// Every kind, in a fixed order.
    pub const ALL: [PlaceKind; 4] = [Self::Household, Self::Room, Self::Vehicle, Self::Venue];

    /// Stable text form, as in the interchange files and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Household => "household",
            Self::Room => "room",
            Self::Vehicle => "vehicle",
            Self::Venue => "venue",
        }
    }

    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Household => "Hộ gia đình",
            Self::Room => "Phòng",
            Self::Vehicle => "Chuyến xe",
            Self::Venue => "Địa điểm",
        }
    }
}

/// What a venue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VenueKind {
    /// Chợ.
    Market,
    /// Trường học.
    School,
    /// Cơ quan, văn phòng.
    Office,
    /// Trạm y tế, phòng khám.
    Clinic,
    /// Bệnh viện.
    Hospital,
    /// Bến xe.
    BusStation,
    /// Chốt kiểm soát.
    Checkpoint,
    /// Khu cách ly tập trung.
    QuarantineFacility,
    /// Khách sạn, nhà nghỉ.
    Hotel,
    /// Nhà hàng, quán ăn.
    Restaurant,
    /// Cơ sở sản xuất, nhà máy.
    Factory,
    /// Nơi thờ tự.
    Worship,
    /// Other.
    Other,
}

impl VenueKind {
    /// Every venue kind, in a fixed order.
    pub const ALL: [VenueKind; 13] = [
        Self::Market,
        Self::School,
        Self::Office,
        Self::Clinic,
        Self::Hospital,
        Self::BusStation,
        Self::Checkpoint,
        Self::QuarantineFacility,
        Self::Hotel,
        Self::Restaurant,
        Self::Factory,
        Self::Worship,
        Self::Other,
    ];

    /// Stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Market => "market",
            Self::School => "school",
            Self::Office => "office",
            Self::Clinic => "clinic",
            Self::Hospital => "hospital",
            Self::BusStation => "bus_station",
            Self::Checkpoint => "checkpoint",
            Self::QuarantineFacility => "quarantine_facility",
            Self::Hotel => "hotel",
            Self::Restaurant => "restaurant",
            Self::Factory => "factory",
            Self::Worship => "worship",
            Self::Other => "other",
        }
    }

    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Market => "Chợ",
            Self::School => "Trường học",
            Self::Office => "Cơ quan",
            Self::Clinic => "Trạm y tế, phòng khám",
            Self::Hospital => "Bệnh viện",
            Self::BusStation => "Bến xe",
            Self::Checkpoint => "Chốt kiểm soát",
            Self::QuarantineFacility => "Khu cách ly tập trung",
            Self::Hotel => "Khách sạn, nhà nghỉ",
            Self::Restaurant => "Nhà hàng, quán ăn",
            Self::Factory => "Cơ sở sản xuất",
            Self::Worship => "Nơi thờ tự",
            Self::Other => "Khác",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in PlaceKind::ALL {
            assert_eq!(PlaceKind::parse(k.as_str()), Some(k));
        }
        for k in VenueKind::ALL {
            assert_eq!(VenueKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(PlaceKind::parse("boat"), None);
    }
}
