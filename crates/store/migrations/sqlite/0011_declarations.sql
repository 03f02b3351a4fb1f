-- Health declarations (khai báo y tế, issue 10): one row per person declared; persons
-- declared together (a family, by one declarant) share `submission`, the code of its
-- first row. The row keeps what was declared as it was declared; `person_id` is the
-- person it was matched to by identity number (never by name), or created for it.
--
-- * code: 10 characters of Crockford base 32, shown with its QR code at checkpoints;
-- * province_code, unit_code: the address's province and commune (official units),
--   `village` and `address` free text;
-- * visited_provinces, symptoms, flags: comma-separated stable codes (empty: none);
-- * follow_up: `none` (nothing flagged it), `open` (on the commune's follow-up list)
--   or `done` (by `followed_up_by` at `followed_up_at`);
-- * device_hash: SHA-256 of the declaring device's cookie, the only thing that lets
--   the declarant see the declaration again; client_key: the form's idempotency key
--   (on the submission's first row), unique per device;
-- * every row is deleted by the retention purge `created_at` + the retention period.
create table declaration (
    id                integer primary key,
    code              text not null unique,
    submission        text not null,
    kind              text not null check (kind in ('domestic', 'entry', 'voluntary')),
    declarant_id      bigint not null references person (id),
    person_id         bigint not null references person (id),
    full_name         text not null,
    id_kind           text not null check (id_kind in ('cccd', 'cmnd', 'passport')),
    id_number         text not null,
    birth             text not null,
    sex               text not null check (sex in ('male', 'female')),
    nationality       text not null,
    phone             text,
    province_code     text not null references admin_unit (code),
    unit_code         text not null references admin_unit (code),
    village           text,
    address           text,
    visited_provinces text not null default '',
    visited_places    text,
    origin            text,
    arrival_date      text,
    symptoms          text not null default '',
    case_contact      boolean not null default false,
    epidemic_zone     boolean not null default false,
    flags             text not null default '',
    follow_up         text not null default 'none' check (follow_up in ('none', 'open', 'done')),
    followed_up_by    bigint references app_user (id),
    followed_up_at    bigint,
    follow_up_note    text,
    device_hash       text,
    client_key        text,
    created_at        bigint not null default (cast(strftime('%s', 'now') as integer)),
    updated_at        bigint not null default (cast(strftime('%s', 'now') as integer))
);
-- The follow-up list of a jurisdiction: its communes' open (or done) rows, newest first.
create index declaration_follow_up_idx on declaration (follow_up, unit_code, created_at);
-- The retention purge deletes by age.
create index declaration_created_idx on declaration (created_at);
-- A repeated form finds the first submission by the device and the form's key.
create unique index declaration_client_key_idx on declaration (device_hash, client_key)
    where client_key is not null;
-- The persons declared together.
create index declaration_submission_idx on declaration (submission);
-- A person's declarations (and the purge's check that a person it created is unused).
create index declaration_person_idx on declaration (person_id);
create index declaration_declarant_idx on declaration (declarant_id);
