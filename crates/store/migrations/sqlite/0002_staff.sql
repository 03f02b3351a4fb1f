-- Staff accounts, their sessions and API tokens, and the audit log of personal data.
-- Tokens are stored only as SHA-256 hex digests; passwords only as argon2 PHC strings.

create table app_user (
    id                integer primary key,
    username          text not null unique,
    display_name      text not null,
    password_hash     text not null,
    role              text not null check (role in ('province_admin', 'province_officer',
                          'district_officer', 'commune_officer', 'facility_manager',
                          'checkpoint_officer', 'transport_operator',
                          'accommodation_operator', 'leader')),
    jurisdiction_kind text not null check (jurisdiction_kind in ('unit', 'place')),
    jurisdiction_code text not null,
    disabled          boolean not null default false,
    created_at        bigint not null default (cast(strftime('%s', 'now') as integer)),
    updated_at        bigint not null default (cast(strftime('%s', 'now') as integer))
);

create table session (
    token_hash text primary key not null,
    user_id    bigint not null references app_user (id) on delete cascade,
    csrf_token text not null,
    expires_at bigint not null,
    created_at bigint not null default (cast(strftime('%s', 'now') as integer)),
    updated_at bigint not null default (cast(strftime('%s', 'now') as integer))
);
-- Signing a user out everywhere (disable, password change).
create index session_user_idx on session (user_id);

create table api_token (
    token_hash   text primary key not null,
    user_id      bigint not null references app_user (id) on delete cascade,
    name         text not null,
    last_used_at bigint,
    created_at   bigint not null default (cast(strftime('%s', 'now') as integer)),
    updated_at   bigint not null default (cast(strftime('%s', 'now') as integer))
);
create index api_token_user_idx on api_token (user_id);

create table audit_event (
    id          integer primary key,
    at          bigint not null,
    user_id     bigint references app_user (id),
    action      text not null check (action in ('create', 'update', 'delete', 'view')),
    entity      text not null,
    entity_id   text not null,
    before_json text,
    after_json  text,
    ip          text,
    created_at  bigint not null default (cast(strftime('%s', 'now') as integer)),
    updated_at  bigint not null default (cast(strftime('%s', 'now') as integer))
);
-- The audit page lists newest first, filtered by user or by entity.
create index audit_event_at_idx on audit_event (at);
create index audit_event_user_idx on audit_event (user_id, at);
create index audit_event_entity_idx on audit_event (entity, entity_id);
