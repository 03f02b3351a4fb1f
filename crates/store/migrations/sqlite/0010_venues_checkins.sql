-- Venues with QR posters and their check-ins (issue 10).
--
-- * place: a venue's default stay (minutes; the presence of a visitor who does not
--   check out ends after it), the version of its signed QR token (rotating the poster
--   moves it, so every older poster is refused) and an optional end of the poster's
--   validity.
-- * app_user: the role `venue_operator` (an account bound to one venue by a place
--   jurisdiction). SQLite cannot alter a check constraint, and the usual rebuild of
--   the table needs `foreign_keys = off`, which sqlx's migration transaction ignores
--   (dropping the old table would then cascade to sessions and API tokens). So the
--   constraint's text is widened in place, SQLite's documented procedure for CHECK
--   constraints (`writable_schema`, then `reset` so every connection re-reads the
--   schema): every stored role stays valid under the wider rule. The migration fails
--   if the text was not found.
-- * app_secret: server secrets made on first use (the key that signs venue tokens).
-- * check_in: one row per check-in, each with the presence the tracing engine reads.
alter table place add column stay_minutes bigint check (stay_minutes between 5 and 1440);
alter table place add column token_version bigint not null default 1;
alter table place add column token_expires_at bigint;

pragma writable_schema = on;
update sqlite_schema
set sql = replace(sql, '''accommodation_operator'', ''leader''))',
                  '''accommodation_operator'', ''leader'', ''venue_operator''))')
where type = 'table' and name = 'app_user';
pragma writable_schema = reset;
pragma writable_schema = off;
create temp table migration_0010_check (ok integer not null check (ok = 1));
insert into migration_0010_check
select count(*) from sqlite_schema
where type = 'table' and name = 'app_user' and sql like '%''venue_operator''%';
drop table migration_0010_check;

create table app_secret (
    name       text primary key not null,
    value      text not null,
    created_at bigint not null default (cast(strftime('%s', 'now') as integer)),
    updated_at bigint not null default (cast(strftime('%s', 'now') as integer))
);

create table check_in (
    id              integer primary key,
    place_id        bigint not null references place (id),
    person_id       bigint not null references person (id),
    -- The presence the engine reads; its end is the check-out or the default stay.
    presence_id     bigint not null references presence (id),
    arrived_at      bigint not null,
    -- When the visitor checked out; null: the venue's default stay ended the visit.
    left_at         bigint check (left_at is null or left_at >= arrived_at),
    channel         text not null check (channel in ('self', 'staff', 'cccd')),
    phone           text,
    -- The staff account that checked the person in (null: the person themself).
    staff_user_id   bigint references app_user (id),
    idempotency_key text,
    created_at      bigint not null default (cast(strftime('%s', 'now') as integer)),
    updated_at      bigint not null default (cast(strftime('%s', 'now') as integer))
);
-- A repeated submission finds the first check-in by its key.
create unique index check_in_key_idx on check_in (idempotency_key)
    where idempotency_key is not null;
-- A venue's check-ins by time (the venue page, the operator's count).
create index check_in_place_idx on check_in (place_id, arrived_at);
-- A person's check-ins.
create index check_in_person_idx on check_in (person_id, arrived_at);
-- The retention purge deletes by age.
create index check_in_arrived_idx on check_in (arrived_at);
-- Finding a visitor by phone and name (the person index has the phone alone).
create index person_phone_name_idx on person (phone, name_folded) where phone is not null;

