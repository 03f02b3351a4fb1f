-- A counter that bulk loads from another process (imports) move forward in their own
-- transaction; a running server polls it and rebuilds its tracing engine when it moved.
create table data_version (
    id         integer primary key check (id = 1),
    version    bigint not null,
    created_at bigint not null default 0,
    updated_at bigint not null default 0
);
insert into data_version (id, version) values (1, 0);
