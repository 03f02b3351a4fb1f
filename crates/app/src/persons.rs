//! Persons: search (a list read, audited with the query and the ids shown), one
//! person's file (audited view: details, level, the chain that explains it and the
//! timeline), and the level alone for the API.
//!
//! Persons outside the actor's jurisdiction never appear by id or name: in chains,
//! timelines and lists they are [`Someone::Outside`], "a person in commune X".

use crate::access::{check_role, Action, Scope};
use crate::actor::Actor;
use crate::engine::EngineStatus;
use crate::error::{AppError, AppResult};
use crate::{input, App};
use phongdich_domain::{
    AdminLevel, BirthDate, PlaceKind, TestKind, TestResult, Timestamp, UnitCode,
};
use phongdich_store::{ExposureKind, Person, PersonQuery, StoreError, TraceLevel};
use std::collections::HashMap;

/// Rows per page of a search.
pub const SEARCH_LIMIT: u64 = 50;

/// Another person as the actor may see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Someone {
    /// Inside the jurisdiction: who they are.
    Known {
        /// Person id.
        id: i64,
        /// Full name.
        name: String,
        /// Name of their unit of residence.
        unit: Option<String>,
    },
    /// Outside it: only the commune (its name) where they live, if known.
    Outside {
        /// The commune's name.
        commune: Option<String>,
    },
}

/// The commune a unit of residence belongs to (a village's commune, or the commune).
pub fn commune_of(unit: &UnitCode) -> Option<UnitCode> {
    match unit.level() {
        AdminLevel::Commune => Some(unit.clone()),
        AdminLevel::Village => unit
            .as_str()
            .split_once('-')
            .and_then(|(c, _)| UnitCode::parse(c).ok()),
        _ => None,
    }
}

/// A row of a person search: no identity number, no phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRow {
    /// Id.
    pub id: i64,
    /// Full name.
    pub full_name: String,
    /// Date or year of birth.
    pub birth: Option<BirthDate>,
    /// Unit of residence.
    pub unit: Option<UnitCode>,
    /// Its name.
    pub unit_name: Option<String>,
}

/// One page of a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPage {
    /// The rows.
    pub items: Vec<PersonRow>,
    /// How many matched; with `total_capped`, a lower bound.
    pub total: u64,
    /// More than `total` matched: a name search over a whole province stops counting
    /// past [`phongdich_store::persons::SEARCH_TOTAL_CAP`].
    pub total_capped: bool,
    /// The cursor of the next page, if any.
    pub next_cursor: Option<String>,
}

/// The exposure that realises a level, as the actor may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// The person one level up.
    pub from: Someone,
    /// Contact, or the kind of place.
    pub kind: ExposureKind,
    /// The place's name for a co-presence.
    pub place: Option<String>,
    /// Start of the overlap.
    pub start: Timestamp,
    /// Its end.
    pub end: Timestamp,
}

/// A person's level as the engine last computed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelView {
    /// 0 for a case, 1..4 for F1..F4.
    pub level: u8,
    /// Earliest arrival at that level.
    pub exposed_at: Timestamp,
    /// The exposure that realises it (none for a case).
    pub via: Option<Via>,
}

/// A link of a chain, from the case down to the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainStep {
    /// Who.
    pub who: Someone,
    /// Their level on this chain.
    pub level: u8,
    /// How they were reached (none for the case).
    pub via: Option<Via>,
}

/// Something that happened to a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Present at a place until `until`.
    Presence {
        /// The place's kind.
        kind: PlaceKind,
        /// Its name.
        place: String,
        /// End.
        until: Timestamp,
    },
    /// A close contact with someone until `until`.
    Contact {
        /// The other person.
        other: Someone,
        /// Where or how.
        setting: Option<String>,
        /// End.
        until: Timestamp,
    },
    /// A test.
    Test {
        /// Kind.
        kind: TestKind,
        /// Result.
        result: TestResult,
    },
    /// Infectious from here (the case).
    Case {
        /// Isolated from.
        isolated_at: Option<Timestamp>,
    },
}

/// Everything the person page shows.
#[derive(Debug, Clone)]
pub struct PersonFile {
    /// The person.
    pub person: Person,
    /// The name of their unit of residence.
    pub unit_name: Option<String>,
    /// Their level.
    pub level: Option<LevelView>,
    /// The chain from the case (first) down to them (last).
    pub chain: Vec<ChainStep>,
    /// Their timeline, oldest first.
    pub events: Vec<(Timestamp, Event)>,
    /// Their case, if they are one.
    pub case_id: Option<i64>,
    /// Where the engine is (levels may be stale while it builds).
    pub engine: EngineStatus,
}

impl App {
    /// The person `id` if `actor` may take `action` on them; outside the jurisdiction
    /// is [`AppError::NotFound`], as if they did not exist.
    pub async fn person_in_scope(
        &self,
        actor: &Actor,
        id: i64,
        action: Action,
    ) -> AppResult<(Person, Scope)> {
        check_role(actor, action)?;
        let scope = match self.scope(actor).await {
            Ok(s) => s,
            Err(AppError::Forbidden) => return Err(AppError::NotFound),
            Err(e) => return Err(e),
        };
        let person = match self.store().person(id).await {
            Ok(p) => p,
            Err(StoreError::NotFound { .. }) => return Err(AppError::NotFound),
            Err(e) => return Err(e.into()),
        };
        if !scope.contains(person.unit_code.as_ref()) {
            return Err(AppError::NotFound);
        }
        Ok((person, scope))
    }

    /// Names of units, looked up once each.
    pub(crate) async fn unit_names(
        &self,
        codes: impl IntoIterator<Item = UnitCode>,
    ) -> AppResult<HashMap<UnitCode, String>> {
        let mut names = HashMap::new();
        for code in codes {
            if names.contains_key(&code) {
                continue;
            }
            match self.store().unit(&code).await {
                Ok(u) => {
                    names.insert(code, u.name);
                }
                Err(StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(names)
    }

    /// How `actor` may see each of `ids`.
    pub(crate) async fn someones(
        &self,
        scope: &Scope,
        ids: &[i64],
    ) -> AppResult<HashMap<i64, Someone>> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let persons = self.store().persons_by_ids(&ids).await?;
        let units = persons.iter().filter_map(|p| {
            let u = p.unit_code.as_ref()?;
            if scope.contains(Some(u)) {
                Some(u.clone())
            } else {
                commune_of(u)
            }
        });
        let names = self.unit_names(units.collect::<Vec<_>>()).await?;
        let mut out = HashMap::new();
        for p in persons {
            let who = if scope.contains(p.unit_code.as_ref()) {
                Someone::Known {
                    id: p.id,
                    name: p.full_name.as_str().to_owned(),
                    unit: p.unit_code.as_ref().and_then(|u| names.get(u).cloned()),
                }
            } else {
                Someone::Outside {
                    commune: p
                        .unit_code
                        .as_ref()
                        .and_then(commune_of)
                        .and_then(|c| names.get(&c).cloned()),
                }
            };
            out.insert(p.id, who);
        }
        for id in ids {
            out.entry(id).or_insert(Someone::Outside { commune: None });
        }
        Ok(out)
    }

    /// Searches persons in the actor's jurisdiction by name (with or without
    /// diacritics), identity number or phone. A blank query is refused: nobody pages
    /// through a jurisdiction. Audited as a list read with the query and the ids shown.
    pub async fn search_persons(
        &self,
        actor: &Actor,
        text: &str,
        cursor: Option<&str>,
    ) -> AppResult<SearchPage> {
        let scope = self.scope(actor).await?;
        let text = input::search_text(text);
        if text.is_empty() {
            return Err(AppError::invalid(
                "q",
                "Cần nhập họ tên, số giấy tờ hoặc số điện thoại để tìm.",
                "q: a name, an identity number or a phone is needed.",
            ));
        }
        let offset = input::offset_cursor("cursor", cursor)?;
        let page = self
            .store()
            .search_persons(&PersonQuery {
                text: text.clone(),
                unit: scope.filter(),
                offset,
                limit: SEARCH_LIMIT,
            })
            .await?;
        let ids: Vec<i64> = page.items.iter().map(|p| p.id).collect();
        self.store()
            .insert_audit_event(&self.event(
                actor,
                "view",
                "person_list",
                "search",
                Some(serde_json::json!({ "q": text, "offset": offset, "ids": ids })),
            ))
            .await?;
        let names = self
            .unit_names(
                page.items
                    .iter()
                    .filter_map(|p| p.unit_code.clone())
                    .collect::<Vec<_>>(),
            )
            .await?;
        let next = offset + page.items.len() as u64;
        Ok(SearchPage {
            next_cursor: ((next < page.total || page.total_capped) && !page.items.is_empty())
                .then(|| next.to_string()),
            total: page.total,
            total_capped: page.total_capped,
            items: page
                .items
                .into_iter()
                .map(|p| PersonRow {
                    id: p.id,
                    full_name: p.full_name.as_str().to_owned(),
                    birth: p.birth,
                    unit_name: p.unit_code.as_ref().and_then(|u| names.get(u).cloned()),
                    unit: p.unit_code,
                })
                .collect(),
        })
    }

    /// One person (audited as a view).
    pub async fn view_person(&self, actor: &Actor, id: i64) -> AppResult<Person> {
        let (person, _) = self.person_in_scope(actor, id, Action::Read).await?;
        self.store()
            .insert_audit_event(&self.event(actor, "view", "person", person.id, None))
            .await?;
        Ok(person)
    }

    async fn via(
        &self,
        scope: &Scope,
        level: &TraceLevel,
        who: &HashMap<i64, Someone>,
    ) -> AppResult<Option<Via>> {
        let Some(v) = level.via else { return Ok(None) };
        let place = match v.place_id {
            Some(p) => match self.store().place(p).await {
                Ok(place) => Some(place.name),
                Err(StoreError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let from = match who.get(&v.person_id) {
            Some(s) => s.clone(),
            None => self
                .someones(scope, &[v.person_id])
                .await?
                .remove(&v.person_id)
                .unwrap_or(Someone::Outside { commune: None }),
        };
        Ok(Some(Via {
            from,
            kind: v.kind,
            place,
            start: v.interval.start(),
            end: v.interval.end(),
        }))
    }

    /// A person's level and the exposure that explains it (no view event: the level
    /// holds no personal detail beyond what the caller asked by id).
    pub async fn person_level(&self, actor: &Actor, id: i64) -> AppResult<Option<LevelView>> {
        let (person, scope) = self.person_in_scope(actor, id, Action::Read).await?;
        let Some(level) = self.store().trace_level(person.id).await? else {
            return Ok(None);
        };
        let via = self.via(&scope, &level, &HashMap::new()).await?;
        Ok(Some(LevelView {
            level: level.level,
            exposed_at: level.exposed_at,
            via,
        }))
    }

    /// Everything the person page shows (audited as a view).
    pub async fn person_file(&self, actor: &Actor, id: i64) -> AppResult<PersonFile> {
        let (person, scope) = self.person_in_scope(actor, id, Action::Read).await?;
        let store = self.store();
        store
            .insert_audit_event(&self.event(actor, "view", "person", person.id, None))
            .await?;
        let level = store.trace_level(person.id).await?;
        // The chain: from the engine when ready (it follows the levels that realise
        // this person's), else from the stored links.
        let mut links: Vec<(i64, u8, Option<TraceLevel>)> = Vec::new();
        if let Some(l) = &level {
            match self.engine().chain(person.id).await {
                Some(chain) if !chain.is_empty() => {
                    let first = chain[0].2.person_id;
                    links.push((first, 0, None));
                    for (who, lvl, via) in chain {
                        links.push((
                            who,
                            lvl,
                            Some(TraceLevel {
                                person_id: who,
                                level: lvl,
                                exposed_at: via.interval.start(),
                                via: Some(via),
                                computed_at: l.computed_at,
                            }),
                        ));
                    }
                }
                _ => {
                    let mut step = Some(*l);
                    let mut who = person.id;
                    while let Some(cur) = step {
                        links.push((who, cur.level, Some(cur)));
                        if links.len() > usize::from(l.level) {
                            break;
                        }
                        step = match cur.via {
                            Some(v) => {
                                who = v.person_id;
                                store.trace_level(who).await?
                            }
                            None => None,
                        };
                    }
                    links.reverse();
                }
            }
        }
        let contacts = store.contacts_of_person(person.id).await?;
        let mut ids: Vec<i64> = links.iter().map(|l| l.0).collect();
        ids.extend(
            contacts
                .iter()
                .map(|c| if c.a_id == person.id { c.b_id } else { c.a_id }),
        );
        let who = self.someones(&scope, &ids).await?;
        let mut chain = Vec::with_capacity(links.len());
        for (id, lvl, row) in &links {
            let via = match row {
                Some(r) => self.via(&scope, r, &who).await?,
                None => None,
            };
            chain.push(ChainStep {
                who: who
                    .get(id)
                    .cloned()
                    .unwrap_or(Someone::Outside { commune: None }),
                level: *lvl,
                via,
            });
        }
        let level = match level {
            Some(l) => Some(LevelView {
                level: l.level,
                exposed_at: l.exposed_at,
                via: self.via(&scope, &l, &who).await?,
            }),
            None => None,
        };

        let mut events: Vec<(Timestamp, Event)> = Vec::new();
        let mut place_names: HashMap<i64, String> = HashMap::new();
        for p in store.presences_of_person(person.id).await? {
            #[allow(clippy::map_entry)] // the value needs an await
            if !place_names.contains_key(&p.place_id) {
                let name = match store.place(p.place_id).await {
                    Ok(pl) => pl.name,
                    Err(StoreError::NotFound { .. }) => String::new(),
                    Err(e) => return Err(e.into()),
                };
                place_names.insert(p.place_id, name);
            }
            events.push((
                p.interval.start(),
                Event::Presence {
                    kind: p.kind,
                    place: place_names.get(&p.place_id).cloned().unwrap_or_default(),
                    until: p.interval.end(),
                },
            ));
        }
        for c in contacts {
            let other = if c.a_id == person.id { c.b_id } else { c.a_id };
            events.push((
                c.interval.start(),
                Event::Contact {
                    other: who
                        .get(&other)
                        .cloned()
                        .unwrap_or(Someone::Outside { commune: None }),
                    setting: c.setting,
                    until: c.interval.end(),
                },
            ));
        }
        for t in store.tests_of_person(person.id).await? {
            events.push((
                t.test.sampled_at,
                Event::Test {
                    kind: t.test.kind,
                    result: t.test.result,
                },
            ));
        }
        let case = store.case_of_person(person.id).await?;
        if let Some(c) = &case {
            events.push((
                c.case.infectious_from,
                Event::Case {
                    isolated_at: c.case.isolated_at,
                },
            ));
        }
        events.sort_by_key(|(at, _)| *at);
        let unit_name = match &person.unit_code {
            Some(u) => self.unit_names([u.clone()]).await?.remove(u),
            None => None,
        };
        Ok(PersonFile {
            person,
            unit_name,
            level,
            chain,
            events,
            case_id: case.as_ref().map(|c| c.id),
            engine: self.engine().status(),
        })
    }
}
