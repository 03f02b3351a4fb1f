//! Jurisdiction filters in SQL: "this administrative unit and every unit under it".
//!
//! Units nest at most four deep (province, district, commune, village), and after the
//! 2025 reform a commune may sit directly under its province, so the filter follows
//! `parent_code` three steps down from the unit rather than assuming code prefixes: a
//! district's code (3 digits) is not a prefix of its communes' codes (5 digits). Every
//! person's `unit_code` references `admin_unit`, so "the person's unit is one of these
//! codes" is exact, and `person_unit_idx` serves it.
//!
//! The codes are resolved first ([`Store::units_in`]) and written into the query as a
//! literal list, not left as a subquery: PostgreSQL cannot estimate how many units a
//! subquery over `parent_code` returns (it guessed 9,000 for a commune's 6) and then
//! scans every person and, worse, probes an unhashed list for each contact (a commune's
//! contact list took minutes on the 500,000-person demo; with the list, 60 ms).

use crate::error::Result;
use crate::Store;
use phongdich_domain::UnitCode;

/// A subquery selecting the code of the unit bound to placeholder `param` (`$3`) and
/// of every unit under it.
pub(crate) fn units_under(param: &str) -> String {
    format!(
        "select code from admin_unit where code = {p} or parent_code = {p} \
         or parent_code in (select code from admin_unit where parent_code = {p}) \
         or parent_code in (select u2.code from admin_unit u2 \
             join admin_unit u1 on u2.parent_code = u1.code where u1.parent_code = {p})",
        p = param
    )
}

/// `'a','b'`: unit codes as SQL string literals. A [`UnitCode`] holds only digits and
/// `-`, so no quoting can be escaped.
pub(crate) fn literal_list<'a>(codes: impl IntoIterator<Item = &'a UnitCode>) -> String {
    codes
        .into_iter()
        .map(|c| format!("'{}'", c.as_str().replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(",")
}

impl Store {
    /// The codes of `unit` and every unit under it, as a literal list for
    /// `unit_code in (...)`: never empty (`unit` itself is always in it).
    pub(crate) async fn units_in(&self, unit: &UnitCode) -> Result<String> {
        let under = self.units_under_shared(unit).await?;
        let codes =
            std::iter::once(unit).chain(under.iter().map(|u| &u.code).filter(|c| *c != unit));
        Ok(literal_list(codes))
    }
}

#[cfg(test)]
mod tests {
    use super::literal_list;
    use phongdich_domain::UnitCode;

    #[test]
    fn codes_become_quoted_literals() {
        let codes = ["105", "03386", "03386-01"].map(|c| UnitCode::parse(c).unwrap());
        assert_eq!(literal_list(&codes), "'105','03386','03386-01'");
    }
}
