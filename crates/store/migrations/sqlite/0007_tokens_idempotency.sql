-- API tokens get a surrogate id (to list and revoke them), a scope, an expiry and a
-- revocation time; accounts remember when their password last changed, so that tokens
-- made before it stop working; idempotency keys remember what a client's first try of a
-- write made, so that a retry answers the same instead of writing twice.

-- SQLite cannot add a primary key to a table: the table is rebuilt, each existing token
-- keeping its rowid as its id. Nothing references api_token, so dropping the old table
-- breaks no foreign key.
create table api_token_new (
    id           integer primary key,
    token_hash   text not null,
    user_id      bigint not null references app_user (id) on delete cascade,
    name         text not null,
    scope        text not null default 'read' check (scope in ('read', 'write')),
    -- Null: never expires (only tokens made before expiry existed).
    expires_at   bigint,
    revoked_at   bigint,
    last_used_at bigint,
    created_at   bigint not null default (cast(strftime('%s', 'now') as integer)),
    updated_at   bigint not null default (cast(strftime('%s', 'now') as integer))
);
-- Tokens made before scopes existed could write: they keep that.
insert into api_token_new (id, token_hash, user_id, name, scope, expires_at, revoked_at,
                           last_used_at, created_at, updated_at)
select rowid, token_hash, user_id, name, 'write', null, null, last_used_at, created_at,
       updated_at
from api_token;
drop table api_token;
alter table api_token_new rename to api_token;
-- Signing in with a token looks it up by digest.
create unique index api_token_hash_idx on api_token (token_hash);
create index api_token_user_idx on api_token (user_id);

-- Null: not changed since expiry and revocation existed.
alter table app_user add column password_changed_at bigint;

-- Deleting expired sessions reads them by expiry.
create index session_expires_idx on session (expires_at);

create table idempotency_key (
    user_id    bigint not null references app_user (id) on delete cascade,
    client_key text not null,
    action     text not null,
    entity_id  text not null,
    created_at bigint not null default (cast(strftime('%s', 'now') as integer)),
    updated_at bigint not null default (cast(strftime('%s', 'now') as integer)),
    primary key (user_id, client_key)
);
-- Old keys are deleted by age.
create index idempotency_key_created_idx on idempotency_key (created_at);
