-- Person search by name word (crates/store/src/persons.rs, search_persons): one row per
-- distinct word of each person's folded name, with the whole folded name beside it so
-- that the persons having a word come out of one index range already in name order. A
-- province-wide "nguyen" reads the first page and counts up to the cap from the index
-- instead of scanning every name with `like '%nguyen%'`.
--
-- Derived data, kept by the triggers below on every insert, including bulk loads
-- (whose load into an empty `person` defers the two indexes, see PERSON in
-- persons.rs); hence no created_at/updated_at of its own.
create table person_name_word (
    person_id   integer not null,
    word        text not null,
    name_folded text not null
);

-- The words of a folded name (single spaces, no leading or trailing one: see
-- domain::text::fold) as a JSON array: `nguyen van an` -> `["nguyen","van","an"]`.
insert into person_name_word (person_id, word, name_folded)
select distinct p.id, j.value, p.name_folded
from person p, json_each('[' || replace(json_quote(p.name_folded), ' ', '","') || ']') j
where j.value <> '';

-- The persons having a word (or a word starting with a prefix), in name order.
create index person_name_word_idx on person_name_word (word, name_folded, person_id);
-- A person's words: keeps a prefix match to one row per person, serves the triggers.
create index person_name_word_person_idx on person_name_word (person_id, word);

create trigger person_name_word_insert after insert on person
begin
    insert into person_name_word (person_id, word, name_folded)
    select distinct new.id, j.value, new.name_folded
    from json_each('[' || replace(json_quote(new.name_folded), ' ', '","') || ']') j
    where j.value <> '';
end;

create trigger person_name_word_update after update of name_folded on person
begin
    delete from person_name_word where person_id = old.id;
    insert into person_name_word (person_id, word, name_folded)
    select distinct new.id, j.value, new.name_folded
    from json_each('[' || replace(json_quote(new.name_folded), ' ', '","') || ']') j
    where j.value <> '';
end;

create trigger person_name_word_delete after delete on person
begin
    delete from person_name_word where person_id = old.id;
end;
