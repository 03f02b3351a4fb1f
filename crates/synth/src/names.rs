//! Names of people and villages for the ethnic groups of Lai Châu.
//!
//! The mix follows the 2019 census in broad strokes (H'Mông about two fifths, Thái about
//! a third, then Kinh, Dao and Hà Nhì); the name lists are common, real-sounding forms,
//! not records of real people. Surnames pass from father to children; H'Mông men
//! usually carry `A`, `Seo` or another clan middle name, women `Thị` or `Mí`.

use phongdich_domain::Sex;
use rand::Rng;

/// An ethnic group (dân tộc), as far as names and village names go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ethnicity {
    /// Kinh (Việt).
    Kinh,
    /// Thái.
    Thai,
    /// H'Mông.
    Hmong,
    /// Dao.
    Dao,
    /// Hà Nhì.
    HaNhi,
}

impl Ethnicity {
    /// Vietnamese name of the group.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Kinh => "Kinh",
            Self::Thai => "Thái",
            Self::Hmong => "H'Mông",
            Self::Dao => "Dao",
            Self::HaNhi => "Hà Nhì",
        }
    }

    /// Draws the group of a rural village (weights in per mille of the province).
    pub(crate) fn draw_rural(rng: &mut impl Rng) -> Self {
        match rng.random_range(0..1000) {
            0..430 => Self::Hmong,
            430..780 => Self::Thai,
            780..870 => Self::Kinh,
            870..970 => Self::Dao,
            _ => Self::HaNhi,
        }
    }

    /// Draws the group of a household in a town or ward (mostly Kinh and Thái).
    pub(crate) fn draw_urban(rng: &mut impl Rng) -> Self {
        match rng.random_range(0..100) {
            0..58 => Self::Kinh,
            58..80 => Self::Thai,
            80..92 => Self::Hmong,
            _ => Self::Dao,
        }
    }
}

fn pick<'a>(rng: &mut impl Rng, list: &[&'a str]) -> &'a str {
    list[rng.random_range(0..list.len())]
}

const KINH_SURNAMES: &[&str] = &[
    "Nguyễn", "Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Trần", "Lê", "Lê", "Phạm", "Hoàng", "Vũ",
    "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Đinh", "Phan", "Trịnh",
];
const KINH_MALE_MIDDLE: &[&str] = &["Văn", "Văn", "Đức", "Minh", "Hữu", "Quang", "Công", "Xuân"];
const KINH_FEMALE_MIDDLE: &[&str] = &["Thị", "Thị", "Thị", "Thu", "Ngọc", "Thanh", "Hồng"];
const KINH_MALE: &[&str] = &[
    "An", "Bình", "Cường", "Dũng", "Hùng", "Hải", "Long", "Nam", "Phong", "Quân", "Sơn", "Thắng",
    "Tuấn", "Việt", "Hoàng", "Khánh", "Lâm", "Trung", "Huy", "Đạt",
];
const KINH_FEMALE: &[&str] = &[
    "Anh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Ngọc", "Nhung", "Phương", "Thảo", "Trang", "Yến",
    "Hằng", "Hà", "Huyền", "Loan", "Vân", "Dung",
];

const THAI_SURNAMES: &[&str] = &[
    "Lò", "Lò", "Lường", "Tòng", "Quàng", "Cầm", "Điêu", "Hoàng", "Vì", "Lèo", "Tao", "Lù",
];
const THAI_MALE: &[&str] = &[
    "Pọm", "Phanh", "Khăm", "Ón", "Xiêng", "Chăn", "Pánh", "Hặc", "Bun", "Thành", "Ươn", "Sương",
    "Inh", "Pâng", "Xuân", "Thoản",
];
const THAI_FEMALE: &[&str] = &[
    "Ún", "Ín", "Xinh", "Pâng", "Bun", "Kim", "Lả", "Ỏm", "Biên", "Piểng", "Hom", "Xoan", "Lếch",
    "Ủi",
];

const HMONG_SURNAMES: &[&str] = &[
    "Giàng", "Giàng", "Sùng", "Vàng", "Vàng", "Thào", "Lầu", "Mùa", "Lý", "Hạng", "Tráng", "Chang",
    "Lù", "Hờ", "Cứ",
];
const HMONG_MALE_MIDDLE: &[&str] = &["A", "A", "A", "Seo", "Chứ", "Vần", "Sử"];
const HMONG_MALE: &[&str] = &[
    "Páo", "Sử", "Dế", "Chứ", "Lử", "Giống", "Chang", "Pó", "Tủa", "Dình", "Sính", "Sáng", "Lềnh",
    "Cở", "Vư", "Thề",
];
const HMONG_FEMALE_MIDDLE: &[&str] = &["Thị", "Thị", "Thị", "Mí", "Sáy"];
const HMONG_FEMALE: &[&str] = &[
    "Dợ", "Mỷ", "Say", "Của", "Chở", "Mai", "Dua", "Sua", "Pà", "Ly", "Xí", "Mỉ", "Dình", "Chua",
];

const DAO_SURNAMES: &[&str] = &[
    "Tẩn", "Tẩn", "Chảo", "Chảo", "Phàn", "Lý", "Đặng", "Triệu", "Bàn",
];
const DAO_MALE_MIDDLE: &[&str] = &["Láo", "Láo", "Văn", "Sành", "Ông", "Phủ", "Kiềm"];
const DAO_MALE: &[&str] = &[
    "Lở", "Tả", "San", "Quẩy", "Phin", "Chiêu", "Kìn", "Tạ", "Vảng", "Sành",
];
const DAO_FEMALE_MIDDLE: &[&str] = &["Mý", "Tả", "Sì", "Lở", "Thị"];
const DAO_FEMALE: &[&str] = &[
    "Mẩy", "Chiêm", "Xuân", "Pham", "Kiều", "Sì", "Dần", "Lai", "Mây",
];

const HANHI_SURNAMES: &[&str] = &["Chu", "Lò", "Lý", "Pờ", "Sừ", "Phu", "Hù", "Chang"];
const HANHI_MALE: &[&str] = &[
    "Gạ Tư",
    "Xá Lè",
    "Lỳ Xá",
    "Gò Phạ",
    "Hừ Dế",
    "Pạ Xé",
    "Chò Gạ",
    "Tư Lỳ",
];
const HANHI_FEMALE: &[&str] = &[
    "Mé Xá",
    "Lé Mé",
    "Gơ Xe",
    "Mò Pư",
    "Chừ Mé",
    "Ló Xé",
    "Xá Mé",
];

/// Draws a surname for a household head of `ethnicity`.
pub(crate) fn surname(rng: &mut impl Rng, ethnicity: Ethnicity) -> &'static str {
    match ethnicity {
        Ethnicity::Kinh => pick(rng, KINH_SURNAMES),
        Ethnicity::Thai => pick(rng, THAI_SURNAMES),
        Ethnicity::Hmong => pick(rng, HMONG_SURNAMES),
        Ethnicity::Dao => pick(rng, DAO_SURNAMES),
        Ethnicity::HaNhi => pick(rng, HANHI_SURNAMES),
    }
}

/// Writes a full name (`surname` plus middle and given names drawn for the group and
/// sex) into `out`, replacing its content.
pub(crate) fn full_name(
    rng: &mut impl Rng,
    ethnicity: Ethnicity,
    sex: Sex,
    surname: &str,
    out: &mut String,
) {
    out.clear();
    out.push_str(surname);
    out.push(' ');
    let (middle, given) = match (ethnicity, sex) {
        (Ethnicity::Kinh, Sex::Male) => (pick(rng, KINH_MALE_MIDDLE), pick(rng, KINH_MALE)),
        (Ethnicity::Kinh, Sex::Female) => (pick(rng, KINH_FEMALE_MIDDLE), pick(rng, KINH_FEMALE)),
        (Ethnicity::Thai, Sex::Male) => ("Văn", pick(rng, THAI_MALE)),
        (Ethnicity::Thai, Sex::Female) => ("Thị", pick(rng, THAI_FEMALE)),
        (Ethnicity::Hmong, Sex::Male) => (pick(rng, HMONG_MALE_MIDDLE), pick(rng, HMONG_MALE)),
        (Ethnicity::Hmong, Sex::Female) => {
            (pick(rng, HMONG_FEMALE_MIDDLE), pick(rng, HMONG_FEMALE))
        }
        (Ethnicity::Dao, Sex::Male) => (pick(rng, DAO_MALE_MIDDLE), pick(rng, DAO_MALE)),
        (Ethnicity::Dao, Sex::Female) => (pick(rng, DAO_FEMALE_MIDDLE), pick(rng, DAO_FEMALE)),
        (Ethnicity::HaNhi, Sex::Male) => ("", pick(rng, HANHI_MALE)),
        (Ethnicity::HaNhi, Sex::Female) => ("", pick(rng, HANHI_FEMALE)),
    };
    // "Mùa Sử Sử" sounds wrong: draw the given name once more.
    let given = if given == middle {
        match (ethnicity, sex) {
            (Ethnicity::Hmong, Sex::Male) => pick(rng, HMONG_MALE),
            (Ethnicity::Dao, Sex::Male) => pick(rng, DAO_MALE),
            (Ethnicity::Dao, Sex::Female) => pick(rng, DAO_FEMALE),
            _ => given,
        }
    } else {
        given
    };
    if !middle.is_empty() {
        out.push_str(middle);
        out.push(' ');
    }
    out.push_str(given);
}

const THAI_VILLAGE_FIRST: &[&str] = &[
    "Nà", "Na", "Hua", "Pắc", "Huổi", "Nậm", "Phiêng", "Co", "Mường", "Tà", "Noong", "Bó", "Nà",
];
const THAI_VILLAGE_SECOND: &[&str] = &[
    "Khum", "Cang", "Tăm", "Đông", "Bó", "Phát", "Hăn", "Lụng", "Lằn", "Sài", "Ít", "Chạng",
    "Luông", "Sẳng", "Ngày", "Mạ", "Khoang", "Pầu",
];
const HIGHLAND_VILLAGE_FIRST: &[&str] = &[
    "Sin", "Tả", "Pa", "Lao", "Sì", "Hồ", "Ma", "Phìn", "Chu", "Sán", "Cu", "Thèn", "Lùng",
];
const HIGHLAND_VILLAGE_SECOND: &[&str] = &[
    "Chải",
    "Phìn",
    "Thàng",
    "Sáng",
    "Hồ",
    "Lùng",
    "Ngài",
    "Cao",
    "Chang",
    "Suối Hồ",
    "Chéo",
    "Vây",
    "Thầu",
    "Pao",
    "Sử",
];

/// Draws a village name for a rural village of `ethnicity`, numbered `n` within its
/// commune (Kinh villages are `Thôn 3`).
pub(crate) fn village_name(rng: &mut impl Rng, ethnicity: Ethnicity, n: u32) -> String {
    match ethnicity {
        Ethnicity::Kinh => format!("Thôn {n}"),
        Ethnicity::Thai => format!(
            "Bản {} {}",
            pick(rng, THAI_VILLAGE_FIRST),
            pick(rng, THAI_VILLAGE_SECOND)
        ),
        Ethnicity::Hmong | Ethnicity::Dao | Ethnicity::HaNhi => format!(
            "Bản {} {}",
            pick(rng, HIGHLAND_VILLAGE_FIRST),
            pick(rng, HIGHLAND_VILLAGE_SECOND)
        ),
    }
}

const HOTEL_NAMES: &[&str] = &[
    "Nhà nghỉ Hoa Ban",
    "Khách sạn Sơn Hà",
    "Nhà nghỉ Bình Minh",
    "Khách sạn Thảo Nguyên",
    "Nhà nghỉ Hồng Nhung",
    "Khách sạn Phương Đông",
    "Nhà nghỉ Ngọc Lan",
    "Khách sạn Đất Mới",
    "Nhà nghỉ Tây Bắc",
];

/// Draws a hotel or guest-house name.
pub(crate) fn hotel_name(rng: &mut impl Rng) -> &'static str {
    pick(rng, HOTEL_NAMES)
}

const RESTAURANT_NAMES: &[&str] = &[
    "Quán phở",
    "Quán cơm bình dân",
    "Quán bún",
    "Nhà hàng",
    "Quán thắng cố",
    "Quán lẩu",
    "Quán cà phê",
];

/// Draws the kind part of a restaurant name ("Quán phở").
pub(crate) fn restaurant_name(rng: &mut impl Rng) -> &'static str {
    pick(rng, RESTAURANT_NAMES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn names_have_a_surname_and_a_given_name() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut out = String::new();
        for e in [
            Ethnicity::Kinh,
            Ethnicity::Thai,
            Ethnicity::Hmong,
            Ethnicity::Dao,
            Ethnicity::HaNhi,
        ] {
            for sex in [Sex::Male, Sex::Female] {
                let s = surname(&mut rng, e);
                full_name(&mut rng, e, sex, s, &mut out);
                assert!(out.starts_with(s), "{out}");
                assert!(out.split(' ').count() >= 2, "{out}");
                assert!(phongdich_domain::FullName::parse(&out).is_ok(), "{out}");
            }
        }
    }
}
