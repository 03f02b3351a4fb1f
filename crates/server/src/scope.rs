//! A user's jurisdiction as a set of administrative units, loaded once per request:
//! deciding whether each of the hundred persons of a list page is inside it is then a
//! set look-up, not a walk up the unit tree per person ([`crate::persons::within`]).

use crate::auth::Jurisdiction;
use crate::error::AppError;
use phongdich_domain::{AdminLevel, AdminUnit, UnitCode};
use phongdich_store::Store;
use std::collections::HashMap;

/// The units a unit-bound account sees.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The jurisdiction's unit.
    pub root: UnitCode,
    /// Every unit under it, with the root; empty for a province (it sees everything,
    /// like [`crate::persons::within`]).
    units: HashMap<UnitCode, AdminUnit>,
}

impl Scope {
    /// The scope of a jurisdiction; `None` for a place-bound account (facilities,
    /// checkpoints and operators see their own rosters, not the population).
    pub async fn of(store: &Store, j: &Jurisdiction) -> Result<Option<Self>, AppError> {
        let Jurisdiction::Unit(root) = j else {
            return Ok(None);
        };
        let units = if root.level() == AdminLevel::Province {
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
            units,
        }))
    }

    /// Whether this is a whole province.
    pub fn province_wide(&self) -> bool {
        self.root.level() == AdminLevel::Province
    }

    /// Whether a person living in `unit` is inside.
    pub fn contains(&self, unit: Option<&UnitCode>) -> bool {
        self.province_wide() || unit.is_some_and(|u| self.units.contains_key(u))
    }

    /// The unit filter for store queries: `None` for a whole province.
    pub fn filter(&self) -> Option<UnitCode> {
        (!self.province_wide()).then(|| self.root.clone())
    }

    /// Narrows the scope to `unit` (a filter chosen on a page); `None` when `unit` is
    /// outside it. A province scope checks the unit's province through the store.
    pub async fn narrow(
        &self,
        store: &Store,
        unit: &UnitCode,
    ) -> Result<Option<UnitCode>, AppError> {
        if self.province_wide() {
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
            return Ok(None);
        }
        Ok(self.units.contains_key(unit).then(|| unit.clone()))
    }

    /// The districts and communes inside (for a filter list), in code order; the
    /// store is asked for a province's.
    pub async fn filter_units(&self, store: &Store) -> Result<Vec<AdminUnit>, AppError> {
        let mut units: Vec<AdminUnit> = if self.province_wide() {
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
