-- Core schema: administrative units, households, persons, places, presences, contacts,
-- cases, tests and the trace levels the engine computes. Instants are Unix seconds UTC
-- (bigint), local dates `YYYY-MM-DD` text, enums their stable text form.

create table admin_unit (
    code        text primary key not null,
    name        text not null,
    name_folded text not null,
    level       text not null check (level in ('province', 'district', 'commune', 'village')),
    parent_code text references admin_unit (code),
    created_at  bigint not null default (cast(strftime('%s', 'now') as integer)),
    updated_at  bigint not null default (cast(strftime('%s', 'now') as integer))
);
-- Children of a unit (communes of a district, villages of a commune).
create index admin_unit_parent_idx on admin_unit (parent_code);

create table household (
    id         integer primary key,
    ref        text not null unique,
    unit_code  text not null references admin_unit (code),
    address    text,
    created_at bigint not null default (cast(strftime('%s', 'now') as integer)),
    updated_at bigint not null default (cast(strftime('%s', 'now') as integer))
);
create index household_unit_idx on household (unit_code);

create table person (
    id           integer primary key,
    ref          text not null unique,
    full_name    text not null,
    name_folded  text not null,
    birth        text,
    sex          text check (sex in ('male', 'female')),
    id_kind      text check (id_kind in ('cccd', 'cmnd', 'passport')),
    id_number    text,
    nationality  text not null default 'VN',
    phone        text,
    address      text,
    unit_code    text references admin_unit (code),
    household_id bigint references household (id),
    created_at   bigint not null default (cast(strftime('%s', 'now') as integer)),
    updated_at   bigint not null default (cast(strftime('%s', 'now') as integer))
);
-- One person per identity document number.
create unique index person_id_number_key on person (id_number) where id_number is not null;
-- Name search by folded prefix.
create index person_name_folded_idx on person (name_folded);
create index person_phone_idx on person (phone) where phone is not null;
create index person_unit_idx on person (unit_code);
create index person_household_idx on person (household_id) where household_id is not null;

create table place (
    id         integer primary key,
    ref        text not null unique,
    kind       text not null check (kind in ('household', 'room', 'vehicle', 'venue')),
    venue_kind text,
    name       text not null,
    unit_code  text references admin_unit (code),
    address    text,
    capacity   bigint,
    operator   text,
    created_at bigint not null default (cast(strftime('%s', 'now') as integer)),
    updated_at bigint not null default (cast(strftime('%s', 'now') as integer))
);
create index place_unit_idx on place (unit_code);

create table presence (
    id         integer primary key,
    person_id  bigint not null references person (id),
    place_id   bigint not null references place (id),
    start_at   bigint not null,
    end_at     bigint not null check (end_at >= start_at),
    created_at bigint not null default (cast(strftime('%s', 'now') as integer)),
    updated_at bigint not null default (cast(strftime('%s', 'now') as integer))
);
-- Who else was at a place around a time (the tracing join).
create index presence_place_start_idx on presence (place_id, start_at);
-- A person's movements.
create index presence_person_idx on presence (person_id, start_at);

create table contact (
    id         integer primary key,
    a_id       bigint not null references person (id),
    b_id       bigint not null references person (id),
    start_at   bigint not null,
    end_at     bigint not null check (end_at >= start_at),
    setting    text,
    created_at bigint not null default (cast(strftime('%s', 'now') as integer)),
    updated_at bigint not null default (cast(strftime('%s', 'now') as integer))
);
-- A person's contacts, from either side.
create index contact_a_idx on contact (a_id, start_at);
create index contact_b_idx on contact (b_id, start_at);

create table infection_case (
    id              integer primary key,
    person_id       bigint not null unique references person (id),
    onset           text,
    sample_date     text,
    infectious_from bigint not null,
    isolated_at     bigint,
    classification  text not null default 'confirmed'
                    check (classification in ('suspect', 'probable', 'confirmed')),
    outcome         text not null default 'under_treatment'
                    check (outcome in ('under_treatment', 'recovered', 'died')),
    created_at      bigint not null default (cast(strftime('%s', 'now') as integer)),
    updated_at      bigint not null default (cast(strftime('%s', 'now') as integer))
);

create table lab_test (
    id         integer primary key,
    person_id  bigint not null references person (id),
    sampled_at bigint not null,
    kind       text not null check (kind in ('pcr', 'rapid_antigen')),
    result     text not null default 'pending'
               check (result in ('pending', 'positive', 'negative', 'inconclusive')),
    laboratory text,
    created_at bigint not null default (cast(strftime('%s', 'now') as integer)),
    updated_at bigint not null default (cast(strftime('%s', 'now') as integer))
);
-- A person's tests, newest first.
create index lab_test_person_idx on lab_test (person_id, sampled_at);

create table trace_level (
    person_id     bigint primary key not null references person (id),
    level         bigint not null check (level >= 0),
    exposed_at    bigint not null,
    via_person_id bigint references person (id),
    via_kind      text,
    via_place_id  bigint references place (id),
    via_start     bigint,
    via_end       bigint,
    computed_at   bigint not null,
    created_at    bigint not null default (cast(strftime('%s', 'now') as integer)),
    updated_at    bigint not null default (cast(strftime('%s', 'now') as integer))
);
-- Counts and lists by level (F1 list, F2 list...).
create index trace_level_level_idx on trace_level (level);
