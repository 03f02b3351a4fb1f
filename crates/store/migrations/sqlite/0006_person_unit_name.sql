-- A name search inside a district or commune reads the folded names from the index of
-- the persons' units instead of each person's row (crates/store/src/persons.rs,
-- search_persons): on the 500k demo, a district's "nguyen" halves in CPU time.
drop index person_unit_idx;
create index person_unit_idx on person (unit_code, name_folded);
