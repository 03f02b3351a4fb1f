//! The one access check: may this actor read or write this record. Pages, the API, the
//! command line and jobs all ask here; nobody else decides "is this unit in the
//! jurisdiction".
//!
//! - **Role**: writing needs a role that writes (not the read-only leader), a unit
//!   jurisdiction (place-bound accounts keep their own rosters, not the population)
//!   and, through an API token, a token with the write scope.
//! - **Jurisdiction**: an account of the province this deployment serves sees the whole
//!   database; any other unit account (a district, a commune, or a province of another
//!   code) sees the persons living in its unit or under it. Outside answers
//!   [`AppError::NotFound`], as if the record did not exist.
//!
//! A [`Scope`] is the jurisdiction loaded once per request as a set of units, so that
//! deciding for each of the hundred rows of a list is a set look-up.

use crate::actor::{Actor, Channel};
use crate::error::{AppError, AppResult};
use phongdich_domain::{AdminLevel, AdminUnit, Jurisdiction, UnitCode};
use phongdich_store::Store;
use std::collections::HashMap;

/// What the actor wants to do with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read it.
    Read,
    /// Change it.
    Write,
}

/// Whether the actor's role and channel allow writing personal data (anywhere).
pub fn may_write(actor: &Actor) -> bool {
    !actor.role.read_only()
        && matches!(actor.jurisdiction, Jurisdiction::Unit(_))
        && !matches!(actor.channel, Channel::Token { write: false })
}

/// Refuses an action the role cannot take, before any record is looked at.
pub fn check_role(actor: &Actor, action: Action) -> AppResult<()> {
    match action {
        Action::Write if !may_write(actor) => Err(AppError::Forbidden),
        _ => Ok(()),
    }
}

/// What an actor wants to do with a venue (a place of kind venue).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VenueAction {
    /// See it and its poster.
    View,
    /// Run it: rotate its token, check visitors in.
    Operate,
    /// Create or change its fields.
    Manage,
}

/// May `actor` do `action` with the venue of reference `reference` in `unit`? Unit
/// staff act on the venues inside their scope (the read-only leader and read-only
/// tokens only view); a venue operator (role [`Role::VenueOperator`], jurisdiction
/// `Place(reference)`) views and operates its own venue and nothing else; other
/// place-bound accounts and the public see no venue. Outside answers
/// [`AppError::NotFound`]; inside but not allowed, [`AppError::Forbidden`].
pub fn check_venue(
    actor: &Actor,
    scope: Option<&Scope>,
    reference: &str,
    unit: Option<&UnitCode>,
    action: VenueAction,
) -> AppResult<()> {
    let writes = !matches!(action, VenueAction::View);
    match (&actor.jurisdiction, actor.role) {
        (Jurisdiction::Place(own), phongdich_domain::Role::VenueOperator) => {
            if own != reference || actor.is_public() {
                return Err(AppError::NotFound);
            }
            let token_ok = !matches!(actor.channel, Channel::Token { write: false });
            match action {
                VenueAction::Manage => Err(AppError::Forbidden),
                VenueAction::Operate if !token_ok => Err(AppError::Forbidden),
                _ => Ok(()),
            }
        }
        (Jurisdiction::Unit(_), role) if role != phongdich_domain::Role::VenueOperator => {
            let inside = scope.is_some_and(|s| s.contains(unit));
            if !inside {
                return Err(AppError::NotFound);
            }
            if writes && !may_write(actor) {
                return Err(AppError::Forbidden);
            }
            Ok(())
        }
        _ => Err(AppError::NotFound),
    }
}

/// Whether `actor` may submit a health declaration: the public
/// ([`Actor::is_public`]), and staff of any role but the read-only leader (a
/// checkpoint officer declares for a traveller), not through a read-only token.
pub fn may_declare(actor: &Actor) -> bool {
    actor.is_public()
        || (!actor.role.read_only() && !matches!(actor.channel, Channel::Token { write: false }))
}

/// Whether staff `actor` (with its `scope`, `None` when place-bound) may read a
/// declaration whose address is in commune `unit`: unit staff inside their
/// jurisdiction, and checkpoint officers, who look up by code the declarations that
/// travellers show them. The public never reads through this (only its own
/// declarations, on the device that made them).
pub fn may_read_declaration(actor: &Actor, scope: Option<&Scope>, unit: &UnitCode) -> bool {
    if actor.is_public() {
        return false;
    }
    match scope {
        Some(s) => s.contains(Some(unit)),
        None => actor.role == phongdich_domain::Role::CheckpointOfficer,
    }
}

/// The units a unit-bound actor sees.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The jurisdiction's unit.
    pub root: UnitCode,
    /// The actor's unit is the province this deployment serves: it sees everything.
    whole: bool,
    /// Every unit under the root, with the root (empty when `whole`).
    units: HashMap<UnitCode, AdminUnit>,
}

impl Scope {
    /// The scope of `jurisdiction` in a deployment serving `province`; `None` for a
    /// place-bound account.
    pub async fn of(
        store: &Store,
        province: &UnitCode,
        jurisdiction: &Jurisdiction,
    ) -> AppResult<Option<Self>> {
        let Jurisdiction::Unit(root) = jurisdiction else {
            return Ok(None);
        };
        let whole = root == province;
        let units = if whole {
            HashMap::new()
        } else {
            store
                .units_under(root)
                .await?
                .into_iter()
                .map(|u| (u.code.clone(), u))
                .collect()
        };
        Ok(Some(Self {
            root: root.clone(),
            whole,
            units,
        }))
    }

    /// Whether this scope is the whole deployment.
    pub fn whole(&self) -> bool {
        self.whole
    }

    /// Whether a person living in `unit` is inside.
    pub fn contains(&self, unit: Option<&UnitCode>) -> bool {
        self.whole || unit.is_some_and(|u| self.units.contains_key(u))
    }

    /// The unit filter for store queries: `None` for the whole deployment.
    pub fn filter(&self) -> Option<UnitCode> {
        (!self.whole).then(|| self.root.clone())
    }

    /// Narrows the scope to `unit` (a filter chosen on a page); `None` when `unit` is
    /// outside it. The whole deployment checks the unit's ancestry through the store.
    pub async fn narrow(&self, store: &Store, unit: &UnitCode) -> AppResult<Option<UnitCode>> {
        if !self.whole {
            return Ok(self.units.contains_key(unit).then(|| unit.clone()));
        }
        let mut current = Some(unit.clone());
        for _ in 0..4 {
            match current {
                Some(code) if code == self.root => return Ok(Some(unit.clone())),
                Some(code) => {
                    current = match store.unit(&code).await {
                        Ok(u) => u.parent,
                        Err(phongdich_store::StoreError::NotFound { .. }) => None,
                        Err(e) => return Err(e.into()),
                    }
                }
                None => return Ok(None),
            }
        }
        Ok(None)
    }

    /// The unit a page or API call chose with `unit=CODE`: `None` when none was
    /// chosen; an unparsable code is [`AppError::Invalid`], a unit outside the scope
    /// [`AppError::NotFound`].
    pub async fn chosen(&self, store: &Store, unit: Option<&str>) -> AppResult<Option<UnitCode>> {
        let Some(text) = crate::input::optional(unit) else {
            return Ok(None);
        };
        let code = UnitCode::parse(text).map_err(|_| {
            AppError::invalid(
                "unit",
                "Mã đơn vị hành chính không hợp lệ.",
                "unit: not an administrative unit code.",
            )
        })?;
        self.narrow(store, &code)
            .await?
            .ok_or(AppError::NotFound)
            .map(Some)
    }

    /// The districts and communes inside (for a filter list), in code order.
    pub async fn filter_units(&self, store: &Store) -> AppResult<Vec<AdminUnit>> {
        let mut units: Vec<AdminUnit> = if self.whole {
            store.units_under(&self.root).await?
        } else {
            self.units.values().cloned().collect()
        };
        units.retain(|u| {
            u.code != self.root && matches!(u.level, AdminLevel::District | AdminLevel::Commune)
        });
        units.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(units)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use phongdich_domain::Role;

    fn actor(role: Role, j: Jurisdiction, channel: Channel) -> Actor {
        Actor {
            user_id: Some(1),
            username: "a".into(),
            role,
            jurisdiction: j,
            client: None,
            channel,
        }
    }

    #[test]
    fn writing_needs_a_writing_role_a_unit_and_a_write_token() {
        let unit = Jurisdiction::Unit(UnitCode::parse("03386").unwrap());
        let place = Jurisdiction::Place("FAC-1".into());
        assert!(may_write(&actor(
            Role::CommuneOfficer,
            unit.clone(),
            Channel::Session
        )));
        assert!(!may_write(&actor(
            Role::Leader,
            unit.clone(),
            Channel::Session
        )));
        assert!(!may_write(&actor(
            Role::FacilityManager,
            place,
            Channel::Session
        )));
        assert!(!may_write(&actor(
            Role::CommuneOfficer,
            unit.clone(),
            Channel::Token { write: false }
        )));
        assert!(may_write(&actor(
            Role::CommuneOfficer,
            unit,
            Channel::Token { write: true }
        )));
    }

    #[tokio::test]
    async fn a_province_account_of_another_code_sees_only_its_own_units() {
        let db = phongdich_store::testing::fresh_sqlite().await.unwrap();
        let served = UnitCode::parse("12").unwrap();
        let lai_chau = Scope::of(&db.store, &served, &Jurisdiction::Unit(served.clone()))
            .await
            .unwrap()
            .unwrap();
        let commune = db.store.communes_of_province(&served).await.unwrap()[0]
            .code
            .clone();
        assert!(
            lai_chau.whole() && lai_chau.contains(Some(&commune)) && lai_chau.filter().is_none()
        );
        let other = UnitCode::parse("11").unwrap();
        let dien_bien = Scope::of(&db.store, &served, &Jurisdiction::Unit(other.clone()))
            .await
            .unwrap()
            .unwrap();
        assert!(!dien_bien.whole());
        assert!(!dien_bien.contains(Some(&commune)));
        assert!(!dien_bien.contains(None));
        assert_eq!(dien_bien.filter(), Some(other));
        assert_eq!(dien_bien.narrow(&db.store, &commune).await.unwrap(), None);
    }
}
