-- Indexes for the staff web app's lists.
-- The contact list with no unit filter (province accounts), newest first, one page at a
-- time; also deferred by bulk loads (crates/store/src/contacts.rs).
create index contact_start_idx on contact (start_at, id);
-- A case's tree: the persons whose stored link points at a given person.
create index trace_level_via_idx on trace_level (via_person_id);
