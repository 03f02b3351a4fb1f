//! Jurisdiction filters in SQL: "this administrative unit and every unit under it".
//!
//! Units nest at most four deep (province, district, commune, village), and after the
//! 2025 reform a commune may sit directly under its province, so the filter follows
//! `parent_code` three steps down from the unit rather than assuming code prefixes: a
//! district's code (3 digits) is not a prefix of its communes' codes (5 digits). Every
//! person's `unit_code` references `admin_unit`, so "the person's unit is one of these
//! codes" is exact, and `person_unit_idx` serves it.

/// A subquery selecting the code of the unit bound to placeholder `param` (`$3`) and
/// of every unit under it: `unit_code in ({units_under("$3")})`.
pub(crate) fn units_under(param: &str) -> String {
    format!(
        "select code from admin_unit where code = {p} or parent_code = {p} \
         or parent_code in (select code from admin_unit where parent_code = {p}) \
         or parent_code in (select u2.code from admin_unit u2 \
             join admin_unit u1 on u2.parent_code = u1.code where u1.parent_code = {p})",
        p = param
    )
}
