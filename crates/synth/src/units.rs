//! Reading the official administrative units the province is built on.
//!
//! The generator takes `&[AdminUnit]`; this module reads them from the statistics
//! office's list (`data/admin-units/communes_2025-01-04.csv`: province name, code,
//! district name, code, commune name, code, type, English name) for one province.

use phongdich_domain::{AdminLevel, AdminUnit, UnitCode};
use std::collections::BTreeSet;
use std::io::Read;

/// Why the list of units could not be read.
#[derive(Debug, thiserror::Error)]
pub enum UnitsError {
    /// The CSV itself is broken.
    #[error("administrative units, line {line}: {source}")]
    Csv {
        /// 1-based line.
        line: u64,
        /// The CSV error.
        source: csv::Error,
    },
    /// A row lacks a column or has a bad code.
    #[error("administrative units, line {line}: {message}")]
    Row {
        /// 1-based line.
        line: u64,
        /// What is wrong.
        message: String,
    },
}

/// The Lai Châu province code.
pub const LAI_CHAU: &str = "12";

/// Reads the province, its districts and its communes from the statistics office's
/// CSV (with its header row). Units come out province first, then districts, then
/// communes, each in code order.
pub fn units_from_gso_csv(reader: impl Read, province: &str) -> Result<Vec<AdminUnit>, UnitsError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(reader);
    let mut province_unit = None;
    let mut districts = BTreeSet::new();
    let mut communes = Vec::new();
    for (i, record) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let record = record.map_err(|source| UnitsError::Csv { line, source })?;
        let field = |n: usize| {
            record.get(n).map(str::trim).ok_or_else(|| UnitsError::Row {
                line,
                message: format!("missing column {}", n + 1),
            })
        };
        if field(1)? != province {
            continue;
        }
        let code = |s: &str| {
            UnitCode::parse(s).map_err(|e| UnitsError::Row {
                line,
                message: e.to_string(),
            })
        };
        let p = code(field(1)?)?;
        let d = code(field(3)?)?;
        let c = code(field(5)?)?;
        province_unit.get_or_insert_with(|| (p.clone(), field(0).unwrap_or_default().to_owned()));
        districts.insert((d.clone(), field(2)?.to_owned()));
        communes.push(AdminUnit {
            code: c,
            name: field(4)?.to_owned(),
            level: AdminLevel::Commune,
            parent: Some(d),
        });
    }
    let mut units = Vec::with_capacity(1 + districts.len() + communes.len());
    if let Some((code, name)) = province_unit.clone() {
        units.push(AdminUnit {
            code,
            name,
            level: AdminLevel::Province,
            parent: None,
        });
    }
    for (code, name) in districts {
        units.push(AdminUnit {
            code,
            name,
            level: AdminLevel::District,
            parent: province_unit.as_ref().map(|(c, _)| c.clone()),
        });
    }
    communes.sort_by(|a, b| a.code.cmp(&b.code));
    units.extend(communes);
    Ok(units)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_province() {
        let csv = "\
Tỉnh Thành Phố,Mã TP,Quận Huyện,Mã QH,Phường Xã,Mã PX,Cấp,Tên Tiếng Anh
Tỉnh Điện Biên,11,Huyện Mường Nhé,096,Xã Sín Thầu,03160,Xã,
Tỉnh Lai Châu,12,Huyện Tam Đường,106,Thị trấn Tam Đường,03390,Thị trấn,Tam Đường town
Tỉnh Lai Châu,12,Thành phố Lai Châu,105,Phường Quyết Thắng,03386,Phường,
";
        let units = units_from_gso_csv(csv.as_bytes(), LAI_CHAU).expect("parses");
        let codes: Vec<_> = units.iter().map(|u| u.code.as_str()).collect();
        assert_eq!(codes, ["12", "105", "106", "03386", "03390"]);
        assert_eq!(units[4].parent.as_ref().map(UnitCode::as_str), Some("106"));
        assert_eq!(units[1].name, "Thành phố Lai Châu");
    }

    #[test]
    fn bad_codes_name_their_line() {
        let csv = "h\nTỉnh Lai Châu,12,Huyện X,1x6,Xã Y,03390,Xã,\n";
        let err = units_from_gso_csv(csv.as_bytes(), LAI_CHAU).expect_err("bad code");
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
