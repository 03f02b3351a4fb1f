#![allow(clippy::unwrap_used, missing_docs)]
// Scratch profiling tool (not committed): reads a demo export and times the engine.
use phongdich_trace::*;
use std::io::BufRead;
use std::time::Instant;

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}
fn t(s: &str) -> i64 {
    if let Ok(v) = s.parse() {
        return v;
    }
    let b = s.as_bytes();
    let n = |a: usize, l: usize| {
        std::str::from_utf8(&b[a..a + l])
            .unwrap()
            .parse::<i64>()
            .unwrap()
    };
    let (y, mo, d, h, mi, se) = (n(0, 4), n(5, 2), n(8, 2), n(11, 2), n(14, 2), n(17, 2));
    let off = if b.len() > 19 && (b[19] == b'+' || b[19] == b'-') {
        let sign = if b[19] == b'+' { 1 } else { -1 };
        sign * (n(20, 2) * 3600 + n(23, 2) * 60)
    } else {
        0
    };
    days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off
}
fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let mut persons: Ids<String> = Ids::new();
    let mut places: Ids<String> = Ids::new();
    let t0 = Instant::now();
    let mut presences = vec![];
    for line in
        std::io::BufReader::new(std::fs::File::open(format!("{dir}/presences.csv")).unwrap())
            .lines()
            .skip(1)
    {
        let line = line.unwrap();
        let f: Vec<&str> = line.split(',').collect();
        presences.push(Presence {
            person: persons.index(f[0].to_string()),
            place: places.index(f[1].to_string()),
            kind: Kind::parse(f[2]).unwrap(),
            start: t(f[3]),
            end: t(f[4]),
        });
    }
    let mut contacts = vec![];
    for line in std::io::BufReader::new(std::fs::File::open(format!("{dir}/contacts.csv")).unwrap())
        .lines()
        .skip(1)
    {
        let line = line.unwrap();
        let f: Vec<&str> = line.split(',').collect();
        contacts.push(Contact {
            a: persons.index(f[0].to_string()),
            b: persons.index(f[1].to_string()),
            start: t(f[2]),
            end: t(f[3]),
        });
    }
    let mut cases = vec![];
    for line in std::io::BufReader::new(std::fs::File::open(format!("{dir}/cases.csv")).unwrap())
        .lines()
        .skip(1)
    {
        let line = line.unwrap();
        let f: Vec<&str> = line.split(',').collect();
        cases.push(Case {
            person: persons.index(f[0].to_string()),
            infectious_from: t(f[1]),
            isolated_at: if f[2].is_empty() { None } else { Some(t(f[2])) },
        });
    }
    eprintln!(
        "read {} presences {} contacts {} cases {} persons in {:?}",
        presences.len(),
        contacts.len(),
        cases.len(),
        persons.len(),
        t0.elapsed()
    );
    let mut longest = std::collections::HashMap::new();
    for p in &presences {
        let e = longest.entry((p.kind, p.place)).or_insert(0i64);
        *e = (*e).max(p.end - p.start);
    }
    for k in Kind::ALL {
        let v: Vec<i64> = longest
            .iter()
            .filter(|(kk, _)| kk.0 == k)
            .map(|(_, v)| *v)
            .collect();
        eprintln!("{k}: {} places, max longest {:?}", v.len(), v.iter().max());
    }
    let t1 = Instant::now();
    let n_cases = cases.len();
    let held: Vec<Case> = cases.split_off(n_cases - 50);
    let mut engine = Engine::build(Params::default(), &cases, &contacts, &presences).unwrap();
    eprintln!(
        "build+trace {:?}; counts {:?}; heap {} MB = {:.1} B/presence",
        t1.elapsed(),
        engine.level_counts(),
        engine.heap_bytes() >> 20,
        engine.heap_bytes() as f64 / presences.len() as f64
    );
    for _ in 0..2 {
        let t2 = Instant::now();
        engine.recompute();
        eprintln!("recompute {:?}", t2.elapsed());
    }
    let mut times = vec![];
    for c in &held {
        let t3 = Instant::now();
        let u = engine.add_case(*c).unwrap();
        times.push((
            t3.elapsed(),
            u.changed.len(),
            engine.reached(c.person).is_some(),
        ));
    }
    times.sort();
    eprintln!(
        "add_case median {:?} p95 {:?} max {:?}",
        times[times.len() / 2],
        times[times.len() * 95 / 100],
        times.last()
    );
    let mut times2 = vec![];
    for i in 0..50u32 {
        let v = (i * 7919) % persons.len() as u32;
        if engine.is_case(v) {
            continue;
        }
        let t3 = Instant::now();
        let u = engine
            .add_case(Case {
                person: v,
                infectious_from: 1_700_000_000,
                isolated_at: None,
            })
            .unwrap();
        times2.push((t3.elapsed(), u.changed.len()));
    }
    times2.sort();
    eprintln!(
        "random new F0 median {:?} p95 {:?} max {:?}",
        times2[times2.len() / 2],
        times2[times2.len() * 95 / 100],
        times2.last()
    );
}
