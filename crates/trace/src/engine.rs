//! The engine: columnar exposures, per-level earliest arrivals and their supports.
//!
//! # State
//!
//! For every person `v` and level `k <= max_level` the engine keeps `A_k(v)` (the
//! earliest arrival of tracing.md, [`NEVER`] when infinite) and the *support* that
//! realises it: inherited from `A_{k-1}(v)`, or an offer from `(u, k-1)` through one
//! contact or one pair of presences. Levels and `exposed_at` are read off `A`.
//!
//! # Rounds
//!
//! Round `k` computes level `k` from level `k-1`. Only persons whose `A_{k-1}` improved
//! through an offer can offer anything new (a person's window only grows when its
//! arrival moves earlier), so a round pushes from that frontier only. Presences of the
//! frontier are grouped by place and sorted by start; every presence at the place that
//! can overlap them then gets its best offer from two binary searches: the earliest
//! source that started before it and lasts long enough (prefix maximum of ends), or
//! else the first source that starts inside it.
//!
//! # Changes
//!
//! A new presence or contact only adds offers: the rounds are re-run from its two ends.
//! A new case whose person was never reached only adds offers too. A new case whose
//! person was already reached (or a case whose dates change) changes that person's
//! transmission window, which can shrink: every entry supported through the person's
//! old entries is invalidated, recomputed level by level from its neighbours, and the
//! rounds are re-run from the repaired entries and the case.
//!
//! A presence whose end moves (a check-out): a later end only adds offers (rounds from
//! the presence, as for a new one); an earlier end can take offers away, so the
//! entries offered through that presence are cleared with everything supported
//! through them, repaired from their neighbours and the rounds re-run, as for a case.
//! A new presence (or a longer one) that meets nobody traced at its place, and is not
//! of someone traced, offers nothing at any level and runs no round.

use crate::{
    Case, Contact, Kind, Link, Params, Presence, Reached, Time, TraceError, Update, Via, MAX_LEVEL,
};
use std::collections::HashMap;

/// Infinity: not reached.
pub const NEVER: Time = Time::MAX;

/// Reserved person index meaning "no support".
const NONE: u32 = u32::MAX;
/// Reserved person index meaning "inherited from the level below".
const INHERIT: u32 = u32::MAX - 1;
/// `dst` of a support through a contact.
const CONTACT: u32 = u32::MAX;
/// From this many source presences a round scans the places they visited instead of
/// sorting the presences themselves.
const SCAN_FROM: usize = 1 << 16;
/// No kind recorded for a place yet.
const NO_KIND: u8 = u8::MAX;

/// What realises `A_k(v)`: an offer from `from` through contact `src` (`dst ==
/// CONTACT`) or through `from`'s presence `src` and `v`'s presence `dst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Support {
    from: u32,
    src: u32,
    dst: u32,
}

impl Support {
    const NONE: Support = Support {
        from: NONE,
        src: NONE,
        dst: NONE,
    };
    const INHERIT: Support = Support {
        from: INHERIT,
        src: NONE,
        dst: NONE,
    };
}

/// A source presence in a round: `person`'s presence `id`, clipped to its window.
#[derive(Debug, Clone, Copy)]
struct Source {
    place: u32,
    start: Time,
    end: Time,
    person: u32,
    id: u32,
}

/// The tracing engine. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct Engine {
    params: Params,
    /// `max_level + 1`.
    depth: usize,
    /// `as_of`, or [`NEVER`].
    horizon: Time,
    thresholds: [i64; 5],

    // Presences, by id.
    pr_person: Vec<u32>,
    pr_place: Vec<u32>,
    pr_start: Vec<Time>,
    pr_end: Vec<Time>,

    // Contacts, by id.
    ct_a: Vec<u32>,
    ct_b: Vec<u32>,
    ct_start: Vec<Time>,
    ct_end: Vec<Time>,

    // Places, by index.
    place_kind: Vec<u8>,
    place_longest: Vec<Time>,
    /// Presence ids at each place, sorted by start (once `sorted`).
    place_slots: Vec<Vec<u32>>,
    place_mark: Vec<bool>,
    sorted: bool,

    // Persons, by index.
    person_presences: Vec<Vec<u32>>,
    person_contacts: Vec<Vec<u32>>,
    /// `A_k(v)` at `v * depth + k`.
    arrival: Vec<Time>,
    support: Vec<Support>,
    cases: HashMap<u32, (Time, Time)>,
    is_case: Vec<bool>,

    // Scratch, kept to avoid reallocating per round.
    mark: Vec<bool>,
    source_mark: Vec<bool>,
    scan_from: usize,
    before: HashMap<u32, (Option<Reached>, Support)>,
    recording: bool,
}

impl Engine {
    /// An empty engine.
    ///
    /// # Panics
    /// If `params` are invalid (see [`Engine::try_new`]).
    pub fn new(params: Params) -> Self {
        match Self::try_new(params) {
            Ok(engine) => engine,
            Err(e) => panic!("invalid tracing parameters: {e}"),
        }
    }

    /// An empty engine, or an error for `max_level` above [`MAX_LEVEL`] or a negative
    /// threshold.
    pub fn try_new(params: Params) -> Result<Self, TraceError> {
        if params.max_level > MAX_LEVEL {
            return Err(TraceError::MaxLevel(params.max_level));
        }
        let t = params.thresholds;
        let thresholds = [t.household, t.room, t.vehicle, t.venue, t.contact];
        if let Some(&negative) = thresholds.iter().find(|&&s| s < 0) {
            return Err(TraceError::NegativeThreshold(negative));
        }
        Ok(Self {
            params,
            depth: usize::from(params.max_level) + 1,
            horizon: params.as_of.unwrap_or(NEVER),
            thresholds,
            pr_person: Vec::new(),
            pr_place: Vec::new(),
            pr_start: Vec::new(),
            pr_end: Vec::new(),
            ct_a: Vec::new(),
            ct_b: Vec::new(),
            ct_start: Vec::new(),
            ct_end: Vec::new(),
            place_kind: Vec::new(),
            place_longest: Vec::new(),
            place_slots: Vec::new(),
            place_mark: Vec::new(),
            sorted: true,
            person_presences: Vec::new(),
            person_contacts: Vec::new(),
            arrival: Vec::new(),
            support: Vec::new(),
            cases: HashMap::new(),
            is_case: Vec::new(),
            mark: Vec::new(),
            source_mark: Vec::new(),
            scan_from: SCAN_FROM,
            before: HashMap::new(),
            recording: false,
        })
    }

    /// Builds an engine over all of the input at once and traces it.
    pub fn build(
        params: Params,
        cases: &[Case],
        contacts: &[Contact],
        presences: &[Presence],
    ) -> Result<Self, TraceError> {
        let mut engine = Self::try_new(params)?;
        engine.reserve(contacts.len(), presences.len());
        // Size every per-person and per-place list exactly once.
        let persons = presences
            .iter()
            .map(|p| p.person)
            .chain(contacts.iter().flat_map(|c| [c.a, c.b]))
            .chain(cases.iter().map(|c| c.person))
            .max();
        if let Some(max) = persons {
            engine.ensure_person(Self::check_index(max)?);
        }
        if let Some(max) = presences.iter().map(|p| p.place).max() {
            engine.ensure_place(Self::check_index(max)?);
        }
        let mut per_person = vec![0u32; engine.persons()];
        let mut per_place = vec![0u32; engine.place_kind.len()];
        for p in presences {
            per_person[p.person as usize] += 1;
            per_place[p.place as usize] += 1;
        }
        for (list, &n) in engine.person_presences.iter_mut().zip(&per_person) {
            list.reserve_exact(n as usize);
        }
        for (list, &n) in engine.place_slots.iter_mut().zip(&per_place) {
            list.reserve_exact(n as usize);
        }
        per_person.fill(0);
        for c in contacts {
            per_person[c.a as usize] += 1;
            per_person[c.b as usize] += 1;
        }
        for (list, &n) in engine.person_contacts.iter_mut().zip(&per_person) {
            list.reserve_exact(n as usize);
        }
        drop(per_person);
        drop(per_place);
        // Presence ids in (place, start) order: a place's presences are then one run of
        // the columns, read sequentially by every round.
        let mut order: Vec<u32> = (0..presences.len() as u32).collect();
        order.sort_unstable_by_key(|&i| (presences[i as usize].place, presences[i as usize].start));
        for i in order {
            engine.load_presence(presences[i as usize])?;
        }
        for c in contacts {
            engine.load_contact(*c)?;
        }
        for c in cases {
            engine.load_case(*c)?;
        }
        engine.recompute();
        Ok(engine)
    }

    /// Sets from how many source presences a round scans places instead of sorting
    /// presences (both give the same result; tests run both).
    #[doc(hidden)]
    pub fn set_scan_from(&mut self, source_presences: usize) {
        self.scan_from = source_presences;
    }

    /// The parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Room for this many more contacts and presences.
    pub fn reserve(&mut self, contacts: usize, presences: usize) {
        self.pr_person.reserve_exact(presences);
        self.pr_place.reserve_exact(presences);
        self.pr_start.reserve_exact(presences);
        self.pr_end.reserve_exact(presences);
        self.ct_a.reserve_exact(contacts);
        self.ct_b.reserve_exact(contacts);
        self.ct_start.reserve_exact(contacts);
        self.ct_end.reserve_exact(contacts);
    }

    /// Number of persons the engine knows (one more than the largest index seen).
    pub fn persons(&self) -> usize {
        self.person_presences.len()
    }

    /// Number of presences held (after `as_of`).
    pub fn presences(&self) -> usize {
        self.pr_person.len()
    }

    /// Number of contacts held (after `as_of`).
    pub fn contacts(&self) -> usize {
        self.ct_a.len()
    }

    /// Number of cases.
    pub fn cases(&self) -> usize {
        self.cases.len()
    }

    /// Bytes of heap the engine holds (capacities, not lengths).
    pub fn heap_bytes(&self) -> usize {
        fn v<T>(x: &Vec<T>) -> usize {
            x.capacity() * std::mem::size_of::<T>()
        }
        fn vv(x: &[Vec<u32>]) -> usize {
            x.iter().map(|l| l.capacity() * 4).sum::<usize>()
        }
        v(&self.pr_person)
            + v(&self.pr_place)
            + v(&self.pr_start)
            + v(&self.pr_end)
            + v(&self.ct_a)
            + v(&self.ct_b)
            + v(&self.ct_start)
            + v(&self.ct_end)
            + v(&self.place_kind)
            + v(&self.place_longest)
            + v(&self.place_slots)
            + v(&self.place_mark)
            + vv(&self.place_slots)
            + v(&self.person_presences)
            + vv(&self.person_presences)
            + v(&self.person_contacts)
            + vv(&self.person_contacts)
            + v(&self.arrival)
            + v(&self.support)
            + v(&self.is_case)
            + v(&self.mark)
            + v(&self.source_mark)
            + self.cases.capacity() * (std::mem::size_of::<(u32, (Time, Time))>() + 1)
    }

    // ----- Loading -----

    fn check_index(index: u32) -> Result<usize, TraceError> {
        if index >= INHERIT {
            Err(TraceError::IndexOutOfRange { index })
        } else {
            Ok(index as usize)
        }
    }

    fn ensure_person(&mut self, v: usize) {
        if v >= self.person_presences.len() {
            let n = v + 1;
            self.person_presences.resize_with(n, Vec::new);
            self.person_contacts.resize_with(n, Vec::new);
            self.arrival.resize(n * self.depth, NEVER);
            self.support.resize(n * self.depth, Support::NONE);
            self.is_case.resize(n, false);
            self.mark.resize(n, false);
            self.source_mark.resize(n, false);
        }
    }

    fn ensure_place(&mut self, p: usize) {
        if p >= self.place_kind.len() {
            self.place_kind.resize(p + 1, NO_KIND);
            self.place_longest.resize(p + 1, 0);
            self.place_slots.resize_with(p + 1, Vec::new);
            self.place_mark.resize(p + 1, false);
        }
    }

    /// Clips `[start, end]` to `as_of`; `None` when it starts after.
    fn clip(&self, start: Time, end: Time) -> Result<Option<(Time, Time)>, TraceError> {
        if end < start {
            return Err(TraceError::EndBeforeStart { start, end });
        }
        if start > self.horizon {
            return Ok(None);
        }
        Ok(Some((start, end.min(self.horizon))))
    }

    /// Stores a presence without tracing; returns its id.
    fn load_presence(&mut self, p: Presence) -> Result<Option<u32>, TraceError> {
        let person = Self::check_index(p.person)?;
        let place = Self::check_index(p.place)?;
        let Some((start, end)) = self.clip(p.start, p.end)? else {
            return Ok(None);
        };
        self.ensure_place(place);
        match Kind::from_code(self.place_kind[place]) {
            Some(existing) if existing != p.kind => {
                return Err(TraceError::KindMismatch {
                    place: p.place,
                    existing,
                    given: p.kind,
                })
            }
            _ => self.place_kind[place] = p.kind.code(),
        }
        self.ensure_person(person);
        let id = u32::try_from(self.pr_person.len())
            .ok()
            .filter(|&id| id < INHERIT)
            .ok_or(TraceError::IndexOutOfRange { index: u32::MAX })?;
        self.pr_person.push(p.person);
        self.pr_place.push(p.place);
        self.pr_start.push(start);
        self.pr_end.push(end);
        self.place_longest[place] = self.place_longest[place].max(end - start);
        self.place_slots[place].push(id);
        self.sorted = false;
        self.person_presences[person].push(id);
        Ok(Some(id))
    }

    /// Stores a contact without tracing; returns its id.
    fn load_contact(&mut self, c: Contact) -> Result<Option<u32>, TraceError> {
        let a = Self::check_index(c.a)?;
        let b = Self::check_index(c.b)?;
        if a == b {
            return Err(TraceError::SelfContact { person: c.a });
        }
        let Some((start, end)) = self.clip(c.start, c.end)? else {
            return Ok(None);
        };
        self.ensure_person(a.max(b));
        let id = u32::try_from(self.ct_a.len())
            .ok()
            .filter(|&id| id < INHERIT)
            .ok_or(TraceError::IndexOutOfRange { index: u32::MAX })?;
        self.ct_a.push(c.a);
        self.ct_b.push(c.b);
        self.ct_start.push(start);
        self.ct_end.push(end);
        self.person_contacts[a].push(id);
        self.person_contacts[b].push(id);
        Ok(Some(id))
    }

    /// The window of a case, clipped to `as_of`; `None` when it starts after.
    fn case_window(&self, c: &Case) -> Result<Option<(Time, Time)>, TraceError> {
        Self::check_index(c.person)?;
        if c.infectious_from > self.horizon {
            return Ok(None);
        }
        // An isolation before the infectious period leaves an empty window: the case
        // is F0 but transmits nothing.
        Ok(Some((
            c.infectious_from,
            c.isolated_at.unwrap_or(NEVER).min(self.horizon),
        )))
    }

    /// Stores a case without tracing (the last one given for a person wins).
    fn load_case(&mut self, c: Case) -> Result<(), TraceError> {
        if let Some(window) = self.case_window(&c)? {
            let v = c.person as usize;
            self.ensure_person(v);
            self.cases.insert(c.person, window);
            self.is_case[v] = true;
        }
        Ok(())
    }

    fn sort_places(&mut self) {
        if self.sorted {
            return;
        }
        let starts = &self.pr_start;
        for slots in &mut self.place_slots {
            slots.sort_unstable_by_key(|&id| starts[id as usize]);
        }
        self.sorted = true;
    }

    // ----- Reading -----

    fn at(&self, v: u32, k: usize) -> usize {
        v as usize * self.depth + k
    }

    /// The presences at `place` that can overlap `[start, end]`: those starting from
    /// `start` minus the place's longest stay up to `end` (the slots sorted by start).
    fn near(&self, place: usize, start: Time, end: Time) -> &[u32] {
        let slots = &self.place_slots[place];
        let lo = start.saturating_sub(self.place_longest[place]);
        let from = slots.partition_point(|&o| self.pr_start[o as usize] < lo);
        let to = from + slots[from..].partition_point(|&o| self.pr_start[o as usize] <= end);
        &slots[from..to]
    }

    /// `A_k(v)`, or [`NEVER`].
    pub fn arrival(&self, v: u32, k: u8) -> Time {
        if v as usize >= self.is_case.len() || usize::from(k) >= self.depth {
            return NEVER;
        }
        self.arrival[self.at(v, usize::from(k))]
    }

    /// Whether `v` is a case.
    pub fn is_case(&self, v: u32) -> bool {
        self.is_case.get(v as usize).copied().unwrap_or(false)
    }

    /// `v`'s level and `exposed_at`, if traced.
    pub fn reached(&self, v: u32) -> Option<Reached> {
        if v as usize >= self.is_case.len() {
            return None;
        }
        let base = v as usize * self.depth;
        self.arrival[base..base + self.depth]
            .iter()
            .position(|&a| a != NEVER)
            .map(|k| Reached {
                level: k as u8,
                exposed_at: self.arrival[base + k],
            })
    }

    /// Every traced person with their level, by person index.
    pub fn iter_reached(&self) -> impl Iterator<Item = (u32, Reached)> + '_ {
        (0..self.is_case.len() as u32).filter_map(|v| self.reached(v).map(|r| (v, r)))
    }

    /// How many persons are at each level, `0..=max_level`.
    pub fn level_counts(&self) -> Vec<u64> {
        let mut counts = vec![0; self.depth];
        for (_, r) in self.iter_reached() {
            counts[usize::from(r.level)] += 1;
        }
        counts
    }

    /// The window of `u` at level `k`: `[start, end]`, possibly empty (`start > end`).
    fn window(&self, u: u32, k: usize) -> Option<(Time, Time)> {
        if self.is_case[u as usize] {
            return self.cases.get(&u).copied();
        }
        let a = self.arrival[self.at(u, k)];
        (a != NEVER).then_some((a, self.horizon))
    }

    fn threshold_contact(&self) -> i64 {
        self.thresholds[4]
    }

    fn threshold_place(&self, place: u32) -> i64 {
        self.thresholds[usize::from(self.place_kind[place as usize].min(3))]
    }

    /// The link through which `v` reached its level: `None` for a case or a person
    /// not traced. The person it names may have been reached at a lower level than
    /// `level - 1` but later; [`Engine::chain`] follows the levels that realise `v`.
    pub fn link(&self, v: u32) -> Option<Link> {
        let r = self.reached(v)?;
        self.link_at(v, usize::from(r.level)).map(|(link, _)| link)
    }

    /// The link realising `A_k(v)`, and the level of its `from` that offered it.
    fn link_at(&self, v: u32, k: usize) -> Option<(Link, usize)> {
        let mut k = k;
        let mut s = self.support[self.at(v, k)];
        while s == Support::INHERIT && k > 0 {
            k -= 1;
            s = self.support[self.at(v, k)];
        }
        if k == 0 || s.from >= INHERIT {
            return None;
        }
        let (ws, we) = self.window(s.from, k - 1)?;
        let link = if s.dst == CONTACT {
            let c = s.src as usize;
            Link {
                from: s.from,
                to: v,
                via: Via::Contact,
                place: None,
                start: self.ct_start[c].max(ws),
                end: self.ct_end[c].min(we),
            }
        } else {
            let (a, b) = (s.src as usize, s.dst as usize);
            let place = self.pr_place[b];
            Link {
                from: s.from,
                to: v,
                via: Via::Place(Kind::from_code(self.place_kind[place as usize])?),
                place: Some(place),
                start: self.pr_start[a].max(self.pr_start[b]).max(ws),
                end: self.pr_end[a].min(self.pr_end[b]).min(we),
            }
        };
        Some((link, k - 1))
    }

    /// One chain that realises `v`'s level and `exposed_at`, from the case down to
    /// `v`: as many links as the level, each starting at the arrival it gives. Empty
    /// for a case or a person not traced.
    pub fn chain(&self, v: u32) -> Vec<Link> {
        let mut chain = Vec::new();
        let Some(r) = self.reached(v) else {
            return chain;
        };
        let (mut at, mut k) = (v, usize::from(r.level));
        while let Some((link, below)) = self.link_at(at, k) {
            chain.push(link);
            at = link.from;
            k = below;
            if chain.len() > self.depth {
                break;
            }
        }
        chain.reverse();
        chain
    }

    // ----- Writing, with a record of what changed -----

    fn touch(&mut self, v: u32) {
        if self.recording && !self.before.contains_key(&v) {
            let r = self.reached(v);
            let s = match r {
                Some(r) => self.support[self.at(v, usize::from(r.level))],
                None => Support::NONE,
            };
            self.before.insert(v, (r, s));
        }
    }

    fn set(&mut self, v: u32, k: usize, a: Time, s: Support) {
        self.touch(v);
        let i = self.at(v, k);
        self.arrival[i] = a;
        self.support[i] = s;
    }

    fn start_recording(&mut self) {
        self.recording = true;
        self.before.clear();
    }

    /// [`Engine::finish_recording`], reporting `also` as changed too.
    fn finish_recording_with(&mut self, also: Vec<u32>) -> Update {
        let mut update = self.finish_recording();
        update.changed.extend(also);
        update.changed.sort_unstable();
        update.changed.dedup();
        update
    }

    fn finish_recording(&mut self) -> Update {
        self.recording = false;
        let before = std::mem::take(&mut self.before);
        let mut changed: Vec<u32> = before
            .into_iter()
            .filter(|&(v, (r, s))| {
                let now = self.reached(v);
                now != r
                    || now.is_some_and(|now| self.support[self.at(v, usize::from(now.level))] != s)
            })
            .map(|(v, _)| v)
            .collect();
        changed.sort_unstable();
        Update { changed }
    }

    // ----- Full computation -----

    /// Recomputes every level from scratch.
    pub fn recompute(&mut self) {
        self.sort_places();
        self.arrival.fill(NEVER);
        self.support.fill(Support::NONE);
        let mut cases: Vec<u32> = self.cases.keys().copied().collect();
        cases.sort_unstable();
        for &p in &cases {
            let (from, _) = self.cases[&p];
            for k in 0..self.depth {
                let i = self.at(p, k);
                self.arrival[i] = from;
            }
        }
        let mut extra = vec![Vec::new(); self.depth];
        extra[0] = cases;
        self.rounds(extra, Vec::new(), &[]);
    }

    /// Runs rounds `1..=max_level`. `extra_src[k]` are pushed from at level `k` on
    /// top of the persons improved in the previous round; `extra_inh[k]` are inherited
    /// from level `k` into `k + 1`; `new_exposures` are offered in both directions at
    /// every round.
    fn rounds(&mut self, extra_src: Vec<Vec<u32>>, extra_inh: Vec<Vec<u32>>, new: &[NewExposure]) {
        let mut improved: Vec<u32> = Vec::new();
        let mut changed: Vec<u32> = Vec::new();
        for k in 1..self.depth {
            // Inheritance: A_k(v) <= A_{k-1}(v).
            let mut next_changed = Vec::new();
            let mut next_improved = Vec::new();
            let inh = changed
                .iter()
                .chain(extra_inh.get(k - 1).into_iter().flatten())
                .copied()
                .collect::<Vec<_>>();
            // (Not into the deepest level: see `offer`.)
            let last = k + 1 == self.depth;
            for v in inh {
                let below = self.arrival[self.at(v, k - 1)];
                if last && below != NEVER {
                    continue;
                }
                if !self.is_case[v as usize] && below < self.arrival[self.at(v, k)] {
                    self.set(v, k, below, Support::INHERIT);
                    if !self.mark[v as usize] {
                        self.mark[v as usize] = true;
                        next_changed.push(v);
                    }
                }
            }
            // Offers through the new exposures, from level k - 1.
            for e in new {
                self.offer_new(e, k, &mut next_improved);
            }
            // Offers from the frontier.
            let mut sources = std::mem::take(&mut improved);
            if let Some(extra) = extra_src.get(k - 1) {
                sources.extend_from_slice(extra);
                sources.sort_unstable();
                sources.dedup();
            }
            self.push(k, &sources, &mut next_improved);
            for &v in &next_improved {
                if !self.mark[v as usize] {
                    self.mark[v as usize] = true;
                    next_changed.push(v);
                }
            }
            for &v in &next_changed {
                self.mark[v as usize] = false;
            }
            let mut dedup = next_improved;
            dedup.sort_unstable();
            dedup.dedup();
            improved = dedup;
            changed = next_changed;
            if improved.is_empty()
                && changed.is_empty()
                && new.is_empty()
                && extra_src.iter().skip(k).all(Vec::is_empty)
                && extra_inh.iter().skip(k).all(Vec::is_empty)
            {
                break;
            }
        }
    }

    /// Offers `t` to `A_k(v)`.
    fn offer(&mut self, v: u32, k: usize, t: Time, s: Support, improved: &mut Vec<u32>) {
        if self.is_case[v as usize] {
            return;
        }
        let i = self.at(v, k);
        // The deepest level is only kept for persons reached at no lower level: nothing
        // is computed from it but their own `exposed_at`.
        if k + 1 == self.depth && self.arrival[i - 1] != NEVER {
            return;
        }
        if t < self.arrival[i] {
            self.set(v, k, t, s);
            improved.push(v);
        }
    }

    /// One round's offers from `sources` (at level `k - 1`) to level `k`.
    fn push(&mut self, k: usize, sources: &[u32], improved: &mut Vec<u32>) {
        let thr_contact = self.threshold_contact();
        let mut source_presences = 0usize;
        for &u in sources {
            let Some((ws, we)) = self.window(u, k - 1) else {
                continue;
            };
            if ws > we {
                continue;
            }
            source_presences += self.person_presences[u as usize].len();
            for ci in 0..self.person_contacts[u as usize].len() {
                let c = self.person_contacts[u as usize][ci] as usize;
                let v = if self.ct_a[c] == u {
                    self.ct_b[c]
                } else {
                    self.ct_a[c]
                };
                let (s, e) = (self.ct_start[c].max(ws), self.ct_end[c].min(we));
                if s <= e && e - s >= thr_contact {
                    let support = Support {
                        from: u,
                        src: c as u32,
                        dst: CONTACT,
                    };
                    self.offer(v, k, s, support, improved);
                }
            }
        }
        if source_presences < self.scan_from {
            self.push_few(k, sources, improved);
        } else {
            self.push_many(k, sources, improved);
        }
    }

    /// Co-presence offers from a small frontier: its presences, sorted by place and
    /// start, each place answered over the ranges they can overlap.
    fn push_few(&mut self, k: usize, sources: &[u32], improved: &mut Vec<u32>) {
        let mut by_place: Vec<Source> = Vec::new();
        for &u in sources {
            let Some((ws, we)) = self.window(u, k - 1) else {
                continue;
            };
            for &id in &self.person_presences[u as usize] {
                let i = id as usize;
                let place = self.pr_place[i];
                let (s, e) = (self.pr_start[i].max(ws), self.pr_end[i].min(we));
                if s <= e && e - s >= self.threshold_place(place) {
                    by_place.push(Source {
                        place,
                        start: s,
                        end: e,
                        person: u,
                        id,
                    });
                }
            }
        }
        by_place.sort_unstable_by_key(|s| (s.place, s.start));
        let mut rest = by_place.as_slice();
        while let Some(first) = rest.first() {
            let n = rest.iter().take_while(|s| s.place == first.place).count();
            let (group, tail) = rest.split_at(n);
            self.push_place(k, group, improved);
            rest = tail;
        }
    }

    /// Co-presence offers from a large frontier, place by place: each place the
    /// frontier visited is scanned once for its sources (already nearly in order of
    /// start) and then answered; nothing is materialised beyond one place.
    fn push_many(&mut self, k: usize, sources: &[u32], improved: &mut Vec<u32>) {
        let mut places: Vec<u32> = Vec::new();
        for &u in sources {
            self.source_mark[u as usize] = true;
            for &id in &self.person_presences[u as usize] {
                let place = self.pr_place[id as usize];
                if !self.place_mark[place as usize] {
                    self.place_mark[place as usize] = true;
                    places.push(place);
                }
            }
        }
        places.sort_unstable();
        let mut group: Vec<Source> = Vec::new();
        for &place in &places {
            self.place_mark[place as usize] = false;
            let thr = self.threshold_place(place);
            group.clear();
            for &id in &self.place_slots[place as usize] {
                let i = id as usize;
                let u = self.pr_person[i];
                if !self.source_mark[u as usize] {
                    continue;
                }
                let Some((ws, we)) = self.window(u, k - 1) else {
                    continue;
                };
                let (s, e) = (self.pr_start[i].max(ws), self.pr_end[i].min(we));
                if s <= e && e - s >= thr {
                    group.push(Source {
                        place,
                        start: s,
                        end: e,
                        person: u,
                        id,
                    });
                }
            }
            if !group.is_empty() {
                group.sort_unstable_by_key(|s| s.start);
                self.push_place(k, &group, improved);
            }
        }
        for &u in sources {
            self.source_mark[u as usize] = false;
        }
    }

    /// Offers from `sources` (one place, sorted by start) to every presence there.
    fn push_place(&mut self, k: usize, sources: &[Source], improved: &mut Vec<u32>) {
        let place = sources[0].place as usize;
        let thr = self.threshold_place(sources[0].place);
        let longest = self.place_longest[place];
        // Prefix maxima of ends: the best source, and the best of another person.
        let mut best: Vec<(usize, usize)> = Vec::with_capacity(sources.len());
        let (mut b1, mut b2) = (usize::MAX, usize::MAX);
        for (j, s) in sources.iter().enumerate() {
            if b1 == usize::MAX || s.end > sources[b1].end {
                if b1 != usize::MAX && sources[b1].person != s.person {
                    b2 = b1;
                }
                b1 = j;
            } else if s.person != sources[b1].person
                && (b2 == usize::MAX || s.end > sources[b2].end)
            {
                b2 = j;
            }
            best.push((b1, b2));
        }
        let slots = std::mem::take(&mut self.place_slots[place]);
        // Walk the presences that can overlap some source: start in
        // [source.start - longest, source.end] for some source.
        let mut pos = 0;
        for src in sources {
            // Every presence visited is answered from all the sources at once, so the
            // ranges are merged: never step back.
            let lo = src.start.saturating_sub(longest);
            pos = pos.max(slots.partition_point(|&id| self.pr_start[id as usize] < lo));
            while pos < slots.len() && self.pr_start[slots[pos] as usize] <= src.end {
                let id = slots[pos];
                pos += 1;
                let i = id as usize;
                let v = self.pr_person[i];
                let (s2, e2) = (self.pr_start[i], self.pr_end[i]);
                if e2 - s2 < thr || self.arrival[self.at(v, k)] <= s2 || self.is_case[v as usize] {
                    continue;
                }
                // Sources that started at or before s2: the longest-lasting one.
                let n_before = sources.partition_point(|s| s.start <= s2);
                let mut offer: Option<(Time, usize)> = None;
                if n_before > 0 {
                    let (c1, c2) = best[n_before - 1];
                    let c = if sources[c1].person != v { c1 } else { c2 };
                    if c != usize::MAX && sources[c].end >= s2.saturating_add(thr) {
                        offer = Some((s2, c));
                    }
                }
                if offer.is_none() {
                    // Else the first source of another person starting inside.
                    let last = e2 - thr;
                    offer = sources[n_before..]
                        .iter()
                        .enumerate()
                        .take_while(|(_, s)| s.start <= last)
                        .find(|(_, s)| s.person != v)
                        .map(|(j, s)| (s.start, n_before + j));
                }
                if let Some((t, c)) = offer {
                    let support = Support {
                        from: sources[c].person,
                        src: sources[c].id,
                        dst: id,
                    };
                    self.offer(v, k, t, support, improved);
                }
            }
        }
        self.place_slots[place] = slots;
    }

    /// The best offer to `A_k(v)` from its neighbours at level `k - 1`, and from
    /// `A_{k-1}(v)` itself.
    fn pull(&self, v: u32, k: usize) -> (Time, Support) {
        let mut best = (self.arrival[self.at(v, k - 1)], Support::INHERIT);
        if best.0 == NEVER {
            best.1 = Support::NONE;
        }
        let thr_contact = self.threshold_contact();
        for &c in &self.person_contacts[v as usize] {
            let c = c as usize;
            let u = if self.ct_a[c] == v {
                self.ct_b[c]
            } else {
                self.ct_a[c]
            };
            if let Some((ws, we)) = self.window(u, k - 1) {
                let (s, e) = (self.ct_start[c].max(ws), self.ct_end[c].min(we));
                if s <= e && e - s >= thr_contact && s < best.0 {
                    best = (
                        s,
                        Support {
                            from: u,
                            src: c as u32,
                            dst: CONTACT,
                        },
                    );
                }
            }
        }
        for &id in &self.person_presences[v as usize] {
            let i = id as usize;
            let place = self.pr_place[i];
            let thr = self.threshold_place(place);
            let (s2, e2) = (self.pr_start[i], self.pr_end[i]);
            if e2 - s2 < thr || best.0 <= s2 {
                continue;
            }
            let slots = &self.place_slots[place as usize];
            let lo = s2.saturating_sub(self.place_longest[place as usize]);
            let from = slots.partition_point(|&o| self.pr_start[o as usize] < lo);
            for &o in &slots[from..] {
                let oi = o as usize;
                if self.pr_start[oi] > e2 {
                    break;
                }
                let u = self.pr_person[oi];
                if u == v {
                    continue;
                }
                let Some((ws, we)) = self.window(u, k - 1) else {
                    continue;
                };
                let s = s2.max(self.pr_start[oi]).max(ws);
                let e = e2.min(self.pr_end[oi]).min(we);
                if s <= e && e - s >= thr && s < best.0 {
                    best = (
                        s,
                        Support {
                            from: u,
                            src: o,
                            dst: id,
                        },
                    );
                }
            }
        }
        best
    }

    /// Offers through one new exposure, both ways, from level `k - 1` to `k`.
    fn offer_new(&mut self, e: &NewExposure, k: usize, improved: &mut Vec<u32>) {
        match *e {
            NewExposure::Contact(c) => {
                let c = c as usize;
                let (a, b) = (self.ct_a[c], self.ct_b[c]);
                for (u, v) in [(a, b), (b, a)] {
                    if let Some((ws, we)) = self.window(u, k - 1) {
                        let (s, e) = (self.ct_start[c].max(ws), self.ct_end[c].min(we));
                        if s <= e && e - s >= self.threshold_contact() {
                            let support = Support {
                                from: u,
                                src: c as u32,
                                dst: CONTACT,
                            };
                            self.offer(v, k, s, support, improved);
                        }
                    }
                }
            }
            NewExposure::Presence(id) => {
                let i = id as usize;
                let v = self.pr_person[i];
                let place = self.pr_place[i];
                let thr = self.threshold_place(place);
                let (s2, e2) = (self.pr_start[i], self.pr_end[i]);
                let lo = s2.saturating_sub(self.place_longest[place as usize]);
                let slots = std::mem::take(&mut self.place_slots[place as usize]);
                let from = slots.partition_point(|&o| self.pr_start[o as usize] < lo);
                let own = self.window(v, k - 1);
                for &o in &slots[from..] {
                    let oi = o as usize;
                    if self.pr_start[oi] > e2 {
                        break;
                    }
                    let u = self.pr_person[oi];
                    if u == v {
                        continue;
                    }
                    let (s0, e0) = (s2.max(self.pr_start[oi]), e2.min(self.pr_end[oi]));
                    // u -> v
                    if let Some((ws, we)) = self.window(u, k - 1) {
                        let (s, e) = (s0.max(ws), e0.min(we));
                        if s <= e && e - s >= thr {
                            let support = Support {
                                from: u,
                                src: o,
                                dst: id,
                            };
                            self.offer(v, k, s, support, improved);
                        }
                    }
                    // v -> u
                    if let Some((ws, we)) = own {
                        let (s, e) = (s0.max(ws), e0.min(we));
                        if s <= e && e - s >= thr {
                            let support = Support {
                                from: v,
                                src: id,
                                dst: o,
                            };
                            self.offer(u, k, s, support, improved);
                        }
                    }
                }
                self.place_slots[place as usize] = slots;
            }
        }
    }

    // ----- Incremental changes -----

    /// Adds a presence and updates the levels it changes.
    pub fn add_presence(&mut self, p: Presence) -> Result<Update, TraceError> {
        self.sort_places();
        let Some(id) = self.load_presence(p)? else {
            return Ok(Update::default());
        };
        // Keep the place's presences sorted: move the new one into position.
        let place = p.place as usize;
        let slots = &mut self.place_slots[place];
        slots.pop();
        let start = self.pr_start[id as usize];
        let at = slots.partition_point(|&o| self.pr_start[o as usize] <= start);
        slots.insert(at, id);
        self.sorted = true;
        if !self.meets_anyone_traced(id) {
            // Nobody on either side can offer anything yet: later changes that reach
            // someone here push through this presence from them.
            return Ok(Update::default());
        }
        self.start_recording();
        self.rounds(Vec::new(), Vec::new(), &[NewExposure::Presence(id)]);
        Ok(self.finish_recording())
    }

    /// Moves the end of a presence added before (`p` as it was given) to `end`, and
    /// updates the levels that changes: a check-out before the expected end of a
    /// visit shortens it, a later one lengthens it. A longer presence only adds
    /// offers; a shorter one can only take offers away, so every entry supported
    /// through it, and what was built on those, is cleared and recomputed, as for a
    /// case whose dates change. A presence not found is added with the new end.
    pub fn set_presence_end(&mut self, p: Presence, end: Time) -> Result<Update, TraceError> {
        if end < p.start {
            return Err(TraceError::EndBeforeStart {
                start: p.start,
                end,
            });
        }
        self.sort_places();
        let Some(id) = self.find_presence(&p)? else {
            return self.add_presence(Presence { end, ..p });
        };
        let i = id as usize;
        let (old, new) = (self.pr_end[i], end.min(self.horizon));
        if new == old {
            return Ok(Update::default());
        }
        let place = self.pr_place[i] as usize;
        // Links through this presence keep their support but not their times.
        let linked = self.linked_through(id, old);
        self.start_recording();
        if new > old {
            self.pr_end[i] = new;
            self.place_longest[place] = self.place_longest[place].max(new - self.pr_start[i]);
            if self.meets_anyone_traced(id) {
                self.rounds(Vec::new(), Vec::new(), &[NewExposure::Presence(id)]);
            }
            return Ok(self.finish_recording_with(linked));
        }
        // The entries offered through this presence, found while it has its old end.
        let w = self.pr_person[i];
        let mut seeds: Vec<Vec<u32>> = vec![Vec::new(); self.depth];
        let near = self.near(place, self.pr_start[i], old);
        for (k, seed) in seeds.iter_mut().enumerate().skip(1) {
            let s = self.support[self.at(w, k)];
            if s.dst == id && s.from < INHERIT {
                seed.push(w);
            }
            for &o in near {
                let v = self.pr_person[o as usize];
                let s = self.support[self.at(v, k)];
                if s.from == w && s.src == id && s.dst == o {
                    seed.push(v);
                }
            }
        }
        self.pr_end[i] = new;
        let mut repaired = self.invalidate(seeds, None);
        self.repair(&mut repaired);
        self.rounds(repaired.clone(), repaired, &[]);
        Ok(self.finish_recording_with(linked))
    }

    /// The persons with an entry (at any level) offered through presence `id`, which
    /// ends at `end`: its person, offered through it, and those it offered to.
    fn linked_through(&self, id: u32, end: Time) -> Vec<u32> {
        let i = id as usize;
        let w = self.pr_person[i];
        let mut linked = Vec::new();
        let through = |v: u32, dst: u32| {
            (0..self.depth).any(|k| {
                let s = self.support[self.at(v, k)];
                s.from < INHERIT
                    && s.dst != CONTACT
                    && (s.dst == id || (s.src == id && s.dst == dst))
            })
        };
        if through(w, id) {
            linked.push(w);
        }
        for &o in self.near(self.pr_place[i] as usize, self.pr_start[i], end) {
            let v = self.pr_person[o as usize];
            if v != w && through(v, o) {
                linked.push(v);
            }
        }
        linked
    }

    /// The id of presence `p` (as it was given: clipped like it was), if loaded.
    fn find_presence(&self, p: &Presence) -> Result<Option<u32>, TraceError> {
        let person = Self::check_index(p.person)?;
        Self::check_index(p.place)?;
        let Some((start, end)) = self.clip(p.start, p.end)? else {
            return Ok(None);
        };
        Ok(self.person_presences.get(person).and_then(|ids| {
            ids.iter().copied().find(|&id| {
                let i = id as usize;
                self.pr_place[i] == p.place && self.pr_start[i] == start && self.pr_end[i] == end
            })
        }))
    }

    /// Whether presence `id` is of someone traced, or overlaps at its place a
    /// presence of someone traced: otherwise it carries no offer at any level.
    fn meets_anyone_traced(&self, id: u32) -> bool {
        let i = id as usize;
        let v = self.pr_person[i];
        if self.reached(v).is_some() {
            return true;
        }
        self.near(self.pr_place[i] as usize, self.pr_start[i], self.pr_end[i])
            .iter()
            .any(|&o| {
                self.pr_end[o as usize] >= self.pr_start[i]
                    && self.reached(self.pr_person[o as usize]).is_some()
            })
    }

    /// Adds a direct contact and updates the levels it changes.
    pub fn add_contact(&mut self, c: Contact) -> Result<Update, TraceError> {
        self.sort_places();
        let Some(id) = self.load_contact(c)? else {
            return Ok(Update::default());
        };
        self.start_recording();
        self.rounds(Vec::new(), Vec::new(), &[NewExposure::Contact(id)]);
        Ok(self.finish_recording())
    }

    /// Adds a case (or changes a case's dates) and updates the levels it changes.
    pub fn add_case(&mut self, c: Case) -> Result<Update, TraceError> {
        self.sort_places();
        let Some(window) = self.case_window(&c)? else {
            return Ok(Update::default());
        };
        let p = c.person;
        self.ensure_person(p as usize);
        if self.cases.get(&p) == Some(&window) {
            return Ok(Update::default());
        }
        self.start_recording();
        let was_reached = self.reached(p).is_some();
        let mut repaired = vec![Vec::new(); self.depth];
        if was_reached {
            repaired = self.invalidate(vec![Vec::new(); self.depth], Some(p));
        }
        self.cases.insert(p, window);
        self.is_case[p as usize] = true;
        for k in 0..self.depth {
            self.set(p, k, window.0, Support::NONE);
        }
        if was_reached {
            self.repair(&mut repaired);
        }
        let mut extra_src = repaired.clone();
        extra_src[0].push(p);
        self.rounds(extra_src, repaired, &[]);
        Ok(self.finish_recording())
    }

    /// Clears the entries `seeds` (persons per level) and every entry supported
    /// through a cleared one, level by level; returns the cleared persons per level.
    /// With a `source` (a case whose dates change) every entry offered by the source
    /// is cleared too, at every level, the source's own entries excepted (the caller
    /// replaces them).
    fn invalidate(&mut self, mut seeds: Vec<Vec<u32>>, source: Option<u32>) -> Vec<Vec<u32>> {
        let mut invalid: Vec<Vec<u32>> = vec![Vec::new(); self.depth];
        let mut previous: Vec<u32> = source.into_iter().collect();
        for (k, slot) in invalid.iter_mut().enumerate().skip(1) {
            let mut found: Vec<u32> = std::mem::take(&mut seeds[k]);
            for &u in &previous {
                // Inherited from an invalid entry below.
                if Some(u) != source && self.support[self.at(u, k)] == Support::INHERIT {
                    found.push(u);
                }
                self.offered_by(u, k, &mut found);
            }
            if k + 1 == self.depth {
                // The deepest level of a person whose level below is cleared was not
                // kept (see `offer`): recompute it.
                found.extend_from_slice(&previous);
            }
            found.sort_unstable();
            found.dedup();
            found.retain(|&v| Some(v) != source);
            for &v in &found {
                self.set(v, k, NEVER, Support::NONE);
            }
            // The persons whose level-k entry is now invalid also invalidate level
            // k + 1 of themselves (inheritance) and of those they offered to.
            *slot = found.clone();
            previous = found;
            // The source's entries are replaced at every level, so it stays a source
            // of invalid supports all the way up.
            previous.extend(source);
        }
        invalid
    }

    /// Adds to `found` the neighbours of `u` whose level-`k` entry `u` offered (maybe
    /// through another exposure: a superset).
    fn offered_by(&self, u: u32, k: usize, found: &mut Vec<u32>) {
        for &c in &self.person_contacts[u as usize] {
            let c = c as usize;
            let v = if self.ct_a[c] == u {
                self.ct_b[c]
            } else {
                self.ct_a[c]
            };
            if self.support[self.at(v, k)].from == u {
                found.push(v);
            }
        }
        for &id in &self.person_presences[u as usize] {
            let i = id as usize;
            for &o in self.near(self.pr_place[i] as usize, self.pr_start[i], self.pr_end[i]) {
                let v = self.pr_person[o as usize];
                if self.support[self.at(v, k)].from == u {
                    found.push(v);
                }
            }
        }
    }

    /// Recomputes the cleared entries level by level from their neighbours.
    fn repair(&mut self, repaired: &mut [Vec<u32>]) {
        for (k, slot) in repaired.iter_mut().enumerate().skip(1) {
            let list = std::mem::take(slot);
            let mut keep = Vec::with_capacity(list.len());
            for v in list {
                let (a, s) = self.pull(v, k);
                if a != NEVER {
                    self.set(v, k, a, s);
                    keep.push(v);
                }
            }
            *slot = keep;
        }
    }
}

/// An exposure added since the last round.
#[derive(Debug, Clone, Copy)]
enum NewExposure {
    Contact(u32),
    Presence(u32),
}
