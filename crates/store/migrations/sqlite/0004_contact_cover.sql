-- The contact list of a unit reads both persons of a contact from the per-person
-- indexes alone: with the other person's id in the index, telling whether a contact
-- found through its second person was already found through its first needs no
-- table read (crates/store/src/contacts.rs, contact_list). Same names, so bulk loads
-- keep deferring them.
drop index contact_a_idx;
create index contact_a_idx on contact (a_id, start_at, b_id);
drop index contact_b_idx;
create index contact_b_idx on contact (b_id, start_at, a_id);
