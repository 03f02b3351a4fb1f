-- The contact list of a district or a busy commune walks the contacts newest first and
-- keeps those with a person inside: with both persons in the index, that walk reads no
-- table row (crates/store/src/contacts.rs, contact_list). Same name, so bulk loads keep
-- deferring it.
drop index contact_start_idx;
create index contact_start_idx on contact (start_at, id, a_id, b_id);
